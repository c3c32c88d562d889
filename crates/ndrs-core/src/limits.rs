//! The sizes a client's text may have, in one place, so that every request field has a documented
//! limit and every refusal reads the same.
//!
//! Identifiers (ids, hashes, unit codes) are checked where they are parsed (`stage::check_identifier`
//! in the platform: at most 128 printable ASCII characters). Free text comes in two kinds:
//! - a **line** (a name, a publisher, a scope, a unit): one line, no control characters;
//! - a **note** (a justification, a reason, a release note): several lines allowed, no other
//!   control characters (a NUL byte or an escape sequence has no place in a published record).
//!
//! Repeated fields have a most-items limit each, stated beside the request they belong to.

use crate::error::Violations;

/// The longest one-line text (names, publishers, scopes), in characters.
pub const MAX_LINE_CHARS: usize = 200;
/// The longest note (justifications, reasons, release and registry notes), in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

impl Violations {
    /// A one-line text of at most `max_chars` characters; `required` refuses an empty one.
    pub fn line(&mut self, field: &str, value: &str, max_chars: usize, required: bool) {
        if required && value.trim().is_empty() {
            self.push(field, "is required");
        } else if value.chars().count() > max_chars {
            self.push(field, format!("must be at most {max_chars} characters"));
        } else if value.chars().any(char::is_control) {
            self.push(field, "must be one line without control characters");
        }
    }

    /// A note of at most `max_chars` characters; line breaks and tabs are allowed, other control
    /// characters are not.
    pub fn note(&mut self, field: &str, value: &str, max_chars: usize, required: bool) {
        if required && value.trim().is_empty() {
            self.push(field, "is required");
        } else if value.chars().count() > max_chars {
            self.push(field, format!("must be at most {max_chars} characters"));
        } else if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            self.push(field, "must not contain control characters");
        }
    }

    /// A repeated field of at most `max_items` items.
    pub fn items(&mut self, field: &str, len: usize, max_items: usize) {
        if len > max_items {
            self.push(
                field,
                format!("holds {len} items; at most {max_items} are accepted in one request"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: Violations) -> Vec<String> {
        v.finish(())
            .err()
            .map(|e| {
                e.field_violations()
                    .iter()
                    .map(|f| f.field.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn lines_notes_and_lists_are_bounded() {
        let mut v = Violations::new();
        v.line("a", "fine", 10, true);
        v.line("b", "", 10, true);
        v.line("c", &"x".repeat(11), 10, false);
        v.line("d", "two\nlines", 10, false);
        v.note("e", "two\nlines\tok", 100, true);
        v.note("f", "nul\0byte", 100, false);
        v.note("g", &"y".repeat(1_000_000), MAX_NOTE_CHARS, false);
        v.items("h", 3, 2);
        v.items("i", 2, 2);
        assert_eq!(fields(v), ["b", "c", "d", "f", "g", "h"]);
    }
}
