//! What a rule may be: sizes checked before anything parses it.
//!
//! The CEL parser and interpreter recurse once per nested expression, so a rule such as
//! `((((…P01…))))` or `P01 + P01 + … + P01` with thousands of terms exhausts a thread's stack and
//! aborts the whole process (every service under `ndrs serve all`). A lexical scan bounds the
//! expression's length, its nesting and its number of operators *before* the parser sees it, and
//! the parser and interpreter then run on a thread with a stack sized for the largest expression
//! these limits allow ([`STACK_BYTES`]), so that no expression within them can overflow either.
//!
//! The limits are generous for survey rules: the longest default rule has 14 operators and nests
//! 3 deep.

/// The most rules one set may hold.
pub const MAX_RULES: usize = 500;
/// The longest rule id, in characters (ids are ASCII letters, digits, `_`, `-`, `.`).
pub const MAX_ID_CHARS: usize = 64;
/// The longest rule description, in characters (one line, no control characters).
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
/// The longest expression, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 2_000;
/// The deepest nesting of brackets and calls, `(`, `[`, `{`.
pub const MAX_NESTING: usize = 16;
/// The most operators (arithmetic, comparison, logical, conditional, member access, argument
/// separators) one expression may use.
pub const MAX_OPERATORS: usize = 128;
/// The stack of the thread that parses and runs rules: room for an expression at every limit at
/// once, in a debug build, with a wide margin (measured in the tests below).
pub const STACK_BYTES: usize = 64 * 1024 * 1024;

/// How deep and how busy an expression is, from a lexical scan that skips string literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    pub nesting: usize,
    pub operators: usize,
}

/// Scans an expression without parsing it. Unbalanced brackets are left for the parser to report.
pub fn shape(expression: &str) -> Shape {
    let bytes = expression.as_bytes();
    let mut shape = Shape::default();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' | b'\'' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                shape.nesting = shape.nesting.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'.' => {
                // A member access, not the point of a number such as `1.5`.
                let after_digit = i > 0 && bytes[i - 1].is_ascii_digit();
                if !after_digit {
                    shape.operators += 1;
                }
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'!' | b'<' | b'>' | b'=' | b'&' | b'|' | b'?'
            | b':' | b',' => {
                shape.operators += 1;
                // A two-character operator (`<=`, `&&`, `==`, `!=`, `||`) counts once.
                if i + 1 < bytes.len() && matches!(bytes[i + 1], b'=' | b'&' | b'|') {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    shape
}

/// The index just past the string literal that starts at `start` (single, double or triple
/// quoted; a backslash escapes the next character).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes.len() >= start + 3 && bytes[start + 1] == quote && bytes[start + 2] == quote;
    let mut i = start + if triple { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            q if q == quote => {
                if !triple {
                    return i + 1;
                }
                if bytes.len() >= i + 3 && bytes[i + 1] == quote && bytes[i + 2] == quote {
                    return i + 3;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Why an expression is refused before parsing, or `None` when it is within every limit.
pub fn expression_limit(expression: &str) -> Option<String> {
    if expression.len() > MAX_EXPRESSION_BYTES {
        return Some(format!(
            "the expression is {} bytes; the limit is {MAX_EXPRESSION_BYTES}",
            expression.len()
        ));
    }
    let shape = shape(expression);
    if shape.nesting > MAX_NESTING {
        return Some(format!(
            "the expression nests {} levels of brackets; the limit is {MAX_NESTING}",
            shape.nesting
        ));
    }
    if shape.operators > MAX_OPERATORS {
        return Some(format!(
            "the expression has {} operators; the limit is {MAX_OPERATORS}",
            shape.operators
        ));
    }
    None
}

/// Why an id is refused, or `None`.
pub fn id_limit(id: &str) -> Option<String> {
    if id.trim().is_empty() {
        Some("is required".into())
    } else if id.chars().count() > MAX_ID_CHARS {
        Some(format!("must be at most {MAX_ID_CHARS} characters"))
    } else if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        Some("must use only ASCII letters, digits, '_', '-' and '.'".into())
    } else {
        None
    }
}

/// Why a description is refused, or `None`.
pub fn description_limit(description: &str) -> Option<String> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        Some(format!(
            "must be at most {MAX_DESCRIPTION_CHARS} characters"
        ))
    } else if description.chars().any(char::is_control) {
        Some("must be one line without control characters".into())
    } else {
        None
    }
}

/// Runs `work` on a thread with a [`STACK_BYTES`] stack and waits for it. The parser and the
/// interpreter recurse per nesting level; the caller's thread (a tokio worker has 2 MiB) is not
/// sized for that, this one is. Should the system refuse a new thread (out of threads or memory),
/// the work runs on the caller's thread, which the limits still keep safe in release builds.
pub fn on_rule_stack<T: Send, F: FnOnce() -> T + Send>(work: F) -> T {
    let slot = std::sync::Mutex::new(Some(work));
    let take = || slot.lock().ok().and_then(|mut w| w.take());
    let spawned = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("ndrs-rules".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || take().map(|work| work()))
            .ok()?;
        match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    match spawned {
        Some(result) => result,
        None => match take() {
            Some(work) => work(),
            None => unreachable!("the rule thread neither ran nor returned its work"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_do_not_count_and_numbers_are_not_member_access() {
        assert_eq!(
            shape("P01 + 1.5 > 0.0"),
            Shape {
                nesting: 0,
                operators: 2
            }
        );
        assert_eq!(shape("'(((' == \"+++\"").operators, 1);
        assert_eq!(shape("abs(P05 - P04 / P01) <= tolerance").nesting, 1);
        assert_eq!(shape("a.b.c").operators, 2);
    }

    #[test]
    fn oversize_deep_and_busy_expressions_are_named() {
        let terms = vec!["P01"; 5_400].join(" + ") + " > 0.0";
        assert!(expression_limit(&terms).unwrap().contains("bytes"));
        let busy = vec!["P01"; 200].join("+") + ">0.0";
        assert!(expression_limit(&busy).unwrap().contains("operators"));
        let deep = format!("{}P01{} > 0.0", "(".repeat(20), ")".repeat(20));
        assert!(expression_limit(&deep).unwrap().contains("nests 20 levels"));
        assert_eq!(expression_limit("P04 <= P01"), None);
    }
}
