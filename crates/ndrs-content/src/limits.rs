//! The sizes a questionnaire may have. Every one is checked before anything is compiled, so a
//! document built to exhaust the service is refused as cheaply as a typo. Expressions have the
//! stage-1 rules' limits ([`ndrs_rules::limits`]).

/// Questions in one questionnaire, group members included.
pub const MAX_QUESTIONS: usize = 500;
/// Edit rules on one question.
pub const MAX_CONSTRAINTS: usize = 20;
/// Code lists in one questionnaire.
pub const MAX_CODE_LISTS: usize = 100;
/// Codes in one code list (the 2-digit province list has 34, industry divisions about 100).
pub const MAX_CODES: usize = 2_000;
/// Characters of an id (question, code list, code, kind, version).
pub const MAX_ID_CHARS: usize = 64;
/// Characters of a label, help text or constraint message, in each language.
pub const MAX_LABEL_CHARS: usize = 1_000;
/// The largest `max_chars` a text question may allow.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The `max_chars` of a text question that states none.
pub const DEFAULT_TEXT_CHARS: usize = 2_000;
/// The largest `max_repeats` a group may allow.
pub const MAX_REPEATS: usize = 10_000;

/// CEL's reserved words cannot name a question: `a.in` would not parse.
const RESERVED: [&str; 21] = [
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// Why `id` cannot be a question or code list id, if it cannot: ids are CEL identifiers
/// (`a.<id>` in expressions) of lower-case ASCII letters, digits and underscores.
pub fn identifier_problem(id: &str) -> Option<String> {
    let mut chars = id.chars();
    let Some(first) = chars.next() else {
        return Some("must not be empty".into());
    };
    if id.chars().count() > MAX_ID_CHARS {
        return Some(format!("is longer than {MAX_ID_CHARS} characters"));
    }
    if !first.is_ascii_lowercase()
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Some(
            "must start with a lower-case letter and hold only a-z, 0-9 and _ (it is a CEL name)"
                .into(),
        );
    }
    if RESERVED.contains(&id) {
        return Some(format!("`{id}` is a reserved word of CEL"));
    }
    None
}

/// Why a label text is refused, if it is: empty, too long, or holding control characters.
pub fn label_problem(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        Some("must not be empty".into())
    } else if text.chars().count() > MAX_LABEL_CHARS {
        Some(format!("is longer than {MAX_LABEL_CHARS} characters"))
    } else if text.chars().any(|c| c.is_control() && c != '\n') {
        Some("must not hold control characters".into())
    } else {
        None
    }
}

/// Indicator definitions in one indicator document (the 2023 application stage has 38).
pub const MAX_INDICATORS: usize = 1_000;
/// Fixed dimensions of one indicator definition.
pub const MAX_FIGURE_DIMENSIONS: usize = 8;

/// Why a document's `kind` and `version` are refused, as (field, message): each is a name of 1
/// to [`MAX_ID_CHARS`] characters.
pub fn header_problems(kind: &str, version: &str) -> Vec<(&'static str, String)> {
    [("kind", kind), ("version", version)]
        .into_iter()
        .filter(|(_, value)| value.trim().is_empty() || value.chars().count() > MAX_ID_CHARS)
        .map(|(field, _)| (field, format!("must be 1 to {MAX_ID_CHARS} characters")))
        .collect()
}

/// Why a bilingual label is refused, as (language, message) for each text refused.
pub fn label_problems(label: &crate::questionnaire::Label) -> Vec<(&'static str, String)> {
    [("zh", &label.zh), ("en", &label.en)]
        .into_iter()
        .filter_map(|(language, text)| label_problem(text).map(|p| (language, p)))
        .collect()
}
