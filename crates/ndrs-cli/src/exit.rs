//! The exit code of a failed command, by the class of its error: the one place that chooses
//! them, and what `ndrs --help` documents. Scripts branch on the class (retry on 69, fix the
//! input on 3, ask for a token on 4) without reading the message.

use ndrs_core::Error;

/// Usage: clap's own code for a command line it cannot parse.
pub const USAGE: u8 = 2;
pub const INVALID_ARGUMENT: u8 = 3;
pub const PERMISSION: u8 = 4;
pub const NOT_FOUND_OR_PRECONDITION: u8 = 5;
/// `EX_UNAVAILABLE` of sysexits.h.
pub const UNAVAILABLE: u8 = 69;
pub const OTHER: u8 = 1;

/// The exit code for a command that failed with `error`.
pub fn code(error: &Error) -> u8 {
    match error {
        Error::InvalidArgument(_) => INVALID_ARGUMENT,
        Error::Unauthenticated(_) | Error::PermissionDenied(_) => PERMISSION,
        Error::NotFound(_) | Error::FailedPrecondition(_) | Error::Conflict(_) => {
            NOT_FOUND_OR_PRECONDITION
        }
        Error::Unavailable(_) | Error::RateLimited { .. } => UNAVAILABLE,
        Error::Internal(_) => OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_of_error_has_its_documented_code() {
        let cases = [
            (Error::invalid("f", "bad"), 3),
            (Error::Unauthenticated("no token".into()), 4),
            (Error::PermissionDenied("role".into()), 4),
            (Error::NotFound("release".into()), 5),
            (Error::FailedPrecondition("closed".into()), 5),
            (Error::Conflict("key".into()), 5),
            (Error::Unavailable("down".into()), 69),
            (Error::Internal("bug".into()), 1),
        ];
        for (error, expected) in cases {
            assert_eq!(code(&error), expected, "{error}");
        }
        // The codes --help lists are the ones chosen here.
        let help = crate::cli::EXIT_CODES;
        for documented in [
            USAGE,
            INVALID_ARGUMENT,
            PERMISSION,
            NOT_FOUND_OR_PRECONDITION,
            UNAVAILABLE,
        ] {
            assert!(
                help.contains(&format!("\n  {documented:<3}")),
                "{documented} undocumented"
            );
        }
    }
}
