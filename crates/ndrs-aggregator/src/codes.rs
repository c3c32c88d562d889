//! Enums the aggregator stores as text codes and exchanges as protobuf enums of the same variant
//! names (a verdict, a benchmark's comparability). The mapping is written once, by
//! [`coded_enum!`], so the stored code, the proto value and the domain value cannot drift apart.

/// Declares a `Copy` enum with `code`/`from_code` (the text stored in the database) and
/// `to_proto`/`from_proto` (the `ndrs.v1` enum whose variants have the same names, and whose
/// `unspecified` variant maps to `None`). Matches are exhaustive, so a variant added to the proto
/// enum fails to compile here until the domain says what it means.
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident => pb::$proto:ident, unspecified $unspecified:ident {
            $($variant:ident = $code:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// The code stored in the database.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The value a stored code names, if any.
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            pub fn to_proto(self) -> ndrs_proto::v1::$proto {
                match self {
                    $($name::$variant => ndrs_proto::v1::$proto::$variant),+
                }
            }

            /// The value of a request's enum field; unspecified or unknown values are `None`.
            pub fn from_proto(value: i32) -> Option<Self> {
                match ndrs_proto::v1::$proto::try_from(value).ok()? {
                    $(ndrs_proto::v1::$proto::$variant => Some($name::$variant),)+
                    ndrs_proto::v1::$proto::$unspecified => None,
                }
            }
        }
    };
}

pub(crate) use coded_enum;
