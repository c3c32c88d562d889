//! Declares the code-list enums of the vocabulary from one table per enum.
//!
//! Each code list needs the same handful of lookups (stable code, Chinese and English names, every
//! member, parse from code and, for enums mirrored in protobuf, from the wire integer). Generating
//! them from a single table means a member cannot be added to the enum and forgotten in a lookup,
//! and the serde form is the code by construction rather than by a naming convention.

/// Declares a code-list enum.
///
/// Each member is written `Variant = "code", "名称", "English name";`. Members written
/// `Variant = 1 => "code", "名称", "English name";` make the enum `#[repr(i32)]` with those
/// discriminants and give it `as_i32`/`from_i32`, so it can mirror a protobuf enum.
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $num:literal => $code:literal, $zh:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[repr(i32)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant = $num, )+
        }

        code_list!(@common $name { $( $variant = $code, $zh, $en; )+ });

        impl $name {
            /// The protobuf wire value; discriminants equal the protobuf enum numbers.
            pub const fn as_i32(self) -> i32 {
                self as i32
            }

            /// The member for a protobuf wire value; `None` for 0 (unspecified) and unknown numbers,
            /// which callers must reject rather than default.
            pub const fn from_i32(value: i32) -> Option<Self> {
                match value {
                    $( $num => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant, )+
        }

        code_list!(@common $name { $( $variant = $code, $zh, $en; )+ });
    };
    (@common $name:ident { $( $variant:ident = $code:literal, $zh:literal, $en:literal; )+ }) => {
        impl $name {
            /// Every member, in declaration order.
            pub const ALL: [Self; [$($code),+].len()] = [$(Self::$variant),+];

            /// Stable snake_case code used in data files, configuration and serde.
            pub const fn code(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }

            /// Name as the survey report writes it.
            pub const fn name_zh(self) -> &'static str {
                match self {
                    $( Self::$variant => $zh, )+
                }
            }

            pub const fn name_en(self) -> &'static str {
                match self {
                    $( Self::$variant => $en, )+
                }
            }

            /// The member with this code; codes are case-sensitive.
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
