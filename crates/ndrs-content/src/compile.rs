//! Compiling a questionnaire: every field checked, every expression parsed and checked against
//! the questions it may read, every problem reported at once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ndrs_core::classification::{SubjectGroup, SubjectType};
use ndrs_core::units::Unit;

use crate::ContentError;
use crate::expression::{Expression, Fields, Scope, ValueKind, compile_condition};
use crate::limits;
use crate::questionnaire::{CodeList, Label, Question, QuestionType, Questionnaire, Requirement};

/// A questionnaire whose every part was checked: answers can be checked against it.
#[derive(Debug)]
pub struct CompiledQuestionnaire {
    pub document: Questionnaire,
    /// Who answers it; empty: anyone who reports the kind.
    pub(crate) respondents: Vec<Asked>,
    pub(crate) questions: Vec<CompiledQuestion>,
    /// What expressions over its answers may name (an indicator's measures read these).
    pub(crate) answer_fields: Fields,
}

/// The answer a question takes, with what the answer is checked against.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerKind {
    Integer(Unit),
    Decimal(Unit),
    Boolean,
    Choice {
        code_list: String,
        codes: BTreeSet<String>,
        multiple: bool,
    },
    Text {
        max_chars: usize,
    },
    Date,
    Group {
        max_repeats: usize,
    },
}

/// Who a question is asked of, by subject type or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asked {
    Type(SubjectType),
    Group(SubjectGroup),
}

impl Asked {
    pub(crate) fn includes(self, subject: SubjectType) -> bool {
        match self {
            Asked::Type(t) => t == subject,
            Asked::Group(g) => subject.group() == g,
        }
    }
}

/// Whether an asked question must be answered.
#[derive(Debug)]
pub(crate) enum Required {
    Always(bool),
    When(Expression),
}

#[derive(Debug)]
pub(crate) struct CompiledConstraint {
    pub expression: Expression,
    pub severity: ndrs_rules::Severity,
    pub message: Label,
}

#[derive(Debug)]
pub(crate) struct CompiledQuestion {
    pub id: String,
    pub kind: AnswerKind,
    pub required: Required,
    pub relevant: Option<Expression>,
    pub constraints: Vec<CompiledConstraint>,
    /// Empty: asked of every respondent of the return kind.
    pub asked_of: Vec<Asked>,
    /// A group's questions.
    pub members: Vec<CompiledQuestion>,
}

/// Whether a list of subject types and groups takes in `subject`; an empty list takes in all.
pub(crate) fn takes_in(asked: &[Asked], subject: SubjectType) -> bool {
    asked.is_empty() || asked.iter().any(|a| a.includes(subject))
}

impl CompiledQuestion {
    /// Whether the question is asked of units of `subject` (before its `relevant` condition).
    pub(crate) fn asked_of_unit(&self, subject: SubjectType) -> bool {
        takes_in(&self.asked_of, subject)
    }
}

impl CompiledQuestionnaire {
    /// Checks a questionnaire; on any problem, every problem found, in document order.
    pub fn compile(document: Questionnaire) -> Result<Self, Vec<ContentError>> {
        let mut c = Compiler::default();
        c.header(&document);
        let respondents = c.subjects(&document.respondents, "respondents", None);
        let code_lists = c.code_lists(&document.code_lists);
        let total = count_questions(&document.questions);
        if total > limits::MAX_QUESTIONS {
            c.error(
                "questions",
                None,
                format!(
                    "holds {total} questions; a questionnaire holds at most {}",
                    limits::MAX_QUESTIONS
                ),
            );
            return Err(c.errors);
        }
        c.unique_ids(&document.questions, "questions", &mut BTreeSet::new());
        let answers = fields(&document.questions, &code_lists);
        let questions = document
            .questions
            .iter()
            .enumerate()
            .filter_map(|(i, q)| {
                c.question(
                    q,
                    &format!("questions[{i}]"),
                    Place {
                        answers: &answers,
                        position: i,
                        row: None,
                    },
                    &code_lists,
                )
            })
            .collect();
        if c.errors.is_empty() {
            Ok(Self {
                document,
                respondents,
                questions,
                answer_fields: answers,
            })
        } else {
            Err(c.errors)
        }
    }

    /// Reads and compiles a questionnaire written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, Vec<ContentError>> {
        Self::compile(Questionnaire::from_toml(text).map_err(|e| vec![e])?)
    }

    /// The ids of every question, group members after their group, in the order they are asked.
    pub fn question_ids(&self) -> Vec<&str> {
        fn walk<'q>(questions: &'q [CompiledQuestion], out: &mut Vec<&'q str>) {
            for q in questions {
                out.push(&q.id);
                walk(&q.members, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.questions, &mut out);
        out
    }

    /// The answer a question takes, if the questionnaire has it.
    pub fn answer_kind(&self, id: &str) -> Option<&AnswerKind> {
        fn find<'q>(questions: &'q [CompiledQuestion], id: &str) -> Option<&'q AnswerKind> {
            questions.iter().find_map(|q| {
                (q.id == id)
                    .then_some(&q.kind)
                    .or_else(|| find(&q.members, id))
            })
        }
        find(&self.questions, id)
    }
}

fn count_questions(questions: &[Question]) -> usize {
    questions
        .iter()
        .map(|q| 1 + count_questions(&q.questions))
        .sum()
}

/// The kinds expressions see, by question id, for one level (the return, or a group's row).
fn fields(questions: &[Question], code_lists: &BTreeMap<String, BTreeSet<String>>) -> Fields {
    questions
        .iter()
        .enumerate()
        .filter_map(|(i, q)| value_kind(q, code_lists).map(|k| (q.id.clone(), (i, k))))
        .collect()
}

fn value_kind(q: &Question, code_lists: &BTreeMap<String, BTreeSet<String>>) -> Option<ValueKind> {
    Some(match q.answer_type {
        QuestionType::Integer | QuestionType::Decimal => {
            ValueKind::Number(Unit::from_code(q.unit.as_deref()?)?.dimension())
        }
        QuestionType::Boolean => ValueKind::Bool,
        QuestionType::Choice => {
            let codes = Arc::new(
                q.code_list
                    .as_ref()
                    .and_then(|l| code_lists.get(l))
                    .cloned()
                    .unwrap_or_default(),
            );
            if q.multiple {
                ValueKind::Codes(codes)
            } else {
                ValueKind::Code(codes)
            }
        }
        QuestionType::Text | QuestionType::Date => ValueKind::String,
        QuestionType::Group => ValueKind::Rows(Arc::new(fields(&q.questions, code_lists))),
    })
}

/// Where a question stands: what its expressions may read.
#[derive(Clone, Copy)]
struct Place<'a> {
    answers: &'a Fields,
    /// Position among the return's questions (of the group, for a member).
    position: usize,
    /// For a group member: the group's row fields, and the group's own position.
    row: Option<(&'a Fields, usize)>,
}

#[derive(Default)]
struct Compiler {
    errors: Vec<ContentError>,
}

impl Compiler {
    fn error(&mut self, field: impl Into<String>, question: Option<&str>, message: String) {
        self.errors.push(ContentError {
            field: field.into(),
            question_id: question.map(|q| ndrs_core::error::bounded(q, 64).into_owned()),
            indicator_id: None,
            message,
        });
    }

    fn label(&mut self, field: &str, question: Option<&str>, label: &Label) {
        for (language, problem) in limits::label_problems(label) {
            self.error(format!("{field}.{language}"), question, problem);
        }
    }

    fn header(&mut self, document: &Questionnaire) {
        for (field, problem) in limits::header_problems(&document.kind, &document.version) {
            self.error(field, None, problem);
        }
        self.label("title", None, &document.title);
    }

    fn code_lists(
        &mut self,
        lists: &BTreeMap<String, CodeList>,
    ) -> BTreeMap<String, BTreeSet<String>> {
        if lists.len() > limits::MAX_CODE_LISTS {
            self.error(
                "code_lists",
                None,
                format!(
                    "holds {} code lists; at most {}",
                    lists.len(),
                    limits::MAX_CODE_LISTS
                ),
            );
            return BTreeMap::new();
        }
        let mut out = BTreeMap::new();
        for (id, list) in lists {
            let field = format!("code_lists.{}", ndrs_core::error::bounded(id, 64));
            if let Some(problem) = limits::identifier_problem(id) {
                self.error(&field, None, problem);
            }
            if list.codes.is_empty() || list.codes.len() > limits::MAX_CODES {
                self.error(
                    &field,
                    None,
                    format!("must hold 1 to {} codes", limits::MAX_CODES),
                );
                continue;
            }
            let mut codes = BTreeSet::new();
            for (i, code) in list.codes.iter().enumerate() {
                let at = format!("{field}.code[{i}]");
                if code.code.is_empty()
                    || code.code.chars().count() > limits::MAX_ID_CHARS
                    || code.code.chars().any(char::is_control)
                {
                    self.error(
                        format!("{at}.code"),
                        None,
                        format!(
                            "must be 1 to {} characters without control characters",
                            limits::MAX_ID_CHARS
                        ),
                    );
                } else if !codes.insert(code.code.clone()) {
                    self.error(
                        format!("{at}.code"),
                        None,
                        format!("`{}` is listed twice", code.code),
                    );
                }
                self.label(&format!("{at}.label"), None, &code.label);
            }
            out.insert(id.clone(), codes);
        }
        out
    }

    /// Question ids are unique across the whole questionnaire, group members included, so a
    /// finding or an indicator that names a question is never ambiguous.
    fn unique_ids(&mut self, questions: &[Question], path: &str, seen: &mut BTreeSet<String>) {
        for (i, q) in questions.iter().enumerate() {
            let field = format!("{path}[{i}].id");
            if let Some(problem) = limits::identifier_problem(&q.id) {
                self.error(field, Some(&q.id), problem);
            } else if !seen.insert(q.id.clone()) {
                self.error(field, Some(&q.id), "is used by an earlier question".into());
            }
            self.unique_ids(&q.questions, &format!("{path}[{i}].questions"), seen);
        }
    }

    fn question(
        &mut self,
        q: &Question,
        path: &str,
        place: Place<'_>,
        code_lists: &BTreeMap<String, BTreeSet<String>>,
    ) -> Option<CompiledQuestion> {
        let before = self.errors.len();
        let id = Some(q.id.as_str());
        self.label(&format!("{path}.label"), id, &q.label);
        if let Some(help) = &q.help {
            self.label(&format!("{path}.help"), id, help);
        }
        let kind = self.answer_kind(q, path, place, code_lists);
        let asked_of = self.asked_of(q, path);
        let own = value_kind(q, code_lists);
        let (answers_before, row) = match place.row {
            None => (Some(place.position), None),
            Some((row, group_position)) => {
                (Some(group_position), Some((row, Some(place.position))))
            }
        };
        // `relevant` and a conditional `required` read the same: earlier answers and the frame.
        let condition_scope = Scope {
            answers: place.answers,
            answers_before,
            row,
            value: None,
        };
        let relevant = q.relevant.as_ref().and_then(|source| {
            self.expression(source, condition_scope, &format!("{path}.relevant"), id)
        });
        let required = match &q.required {
            Requirement::Always(flag) => Some(Required::Always(*flag)),
            Requirement::When(source) => self
                .expression(source, condition_scope, &format!("{path}.required"), id)
                .map(Required::When),
        };
        if q.constraints.len() > limits::MAX_CONSTRAINTS {
            self.error(
                format!("{path}.constraint"),
                id,
                format!("at most {} constraints", limits::MAX_CONSTRAINTS),
            );
        }
        let mut constraints = Vec::new();
        for (i, constraint) in q
            .constraints
            .iter()
            .enumerate()
            .take(limits::MAX_CONSTRAINTS)
        {
            let at = format!("{path}.constraint[{i}]");
            self.label(&format!("{at}.message"), id, &constraint.message);
            let scope = Scope {
                answers: place.answers,
                answers_before: None,
                row: row.map(|(fields, _)| (fields, None)),
                value: own.as_ref(),
            };
            if let Some(expression) = self.expression(
                &constraint.expression,
                scope,
                &format!("{at}.expression"),
                id,
            ) {
                constraints.push(CompiledConstraint {
                    expression,
                    severity: constraint.severity,
                    message: constraint.message.clone(),
                });
            }
        }
        let members = match (&kind, own.as_ref()) {
            (Some(AnswerKind::Group { .. }), Some(ValueKind::Rows(row_fields))) => q
                .questions
                .iter()
                .enumerate()
                .filter_map(|(i, member)| {
                    self.question(
                        member,
                        &format!("{path}.questions[{i}]"),
                        Place {
                            answers: place.answers,
                            position: i,
                            row: Some((row_fields, place.position)),
                        },
                        code_lists,
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        let (kind, required) = (kind?, required?);
        (self.errors.len() == before).then(|| CompiledQuestion {
            id: q.id.clone(),
            kind,
            required,
            relevant,
            constraints,
            asked_of,
            members,
        })
    }

    fn expression(
        &mut self,
        source: &str,
        scope: Scope<'_>,
        field: &str,
        question: Option<&str>,
    ) -> Option<Expression> {
        match compile_condition(source, scope) {
            Ok(e) => Some(e),
            Err(message) => {
                self.error(field, question, message);
                None
            }
        }
    }

    /// The answer kind, after checking that the question states exactly the fields its type needs.
    fn answer_kind(
        &mut self,
        q: &Question,
        path: &str,
        place: Place<'_>,
        code_lists: &BTreeMap<String, BTreeSet<String>>,
    ) -> Option<AnswerKind> {
        let id = Some(q.id.as_str());
        let t = q.answer_type;
        let quantity = matches!(t, QuestionType::Integer | QuestionType::Decimal);
        let stray = [
            ("unit", q.unit.is_some() && !quantity),
            (
                "code_list",
                q.code_list.is_some() && t != QuestionType::Choice,
            ),
            ("multiple", q.multiple && t != QuestionType::Choice),
            (
                "max_chars",
                q.max_chars.is_some() && t != QuestionType::Text,
            ),
            (
                "max_repeats",
                q.max_repeats.is_some() && t != QuestionType::Group,
            ),
            (
                "questions",
                !q.questions.is_empty() && t != QuestionType::Group,
            ),
        ];
        for (field, present) in stray {
            if present {
                self.error(
                    format!("{path}.{field}"),
                    id,
                    format!("does not apply to a question of type {}", type_name(t)),
                );
            }
        }
        match t {
            QuestionType::Integer | QuestionType::Decimal => {
                let unit = match q.unit.as_deref() {
                    None => {
                        self.error(
                            format!("{path}.unit"),
                            id,
                            "a quantity needs a unit (bytes, flops, count, ratio, times, yuan, bytes_per_year)".into(),
                        );
                        return None;
                    }
                    Some(code) => match Unit::from_code(code) {
                        Some(unit) => unit,
                        None => {
                            self.error(
                                format!("{path}.unit"),
                                id,
                                format!("unknown unit `{}`", ndrs_core::error::bounded(code, 64)),
                            );
                            return None;
                        }
                    },
                };
                Some(if t == QuestionType::Integer {
                    AnswerKind::Integer(unit)
                } else {
                    AnswerKind::Decimal(unit)
                })
            }
            QuestionType::Boolean => Some(AnswerKind::Boolean),
            QuestionType::Date => Some(AnswerKind::Date),
            QuestionType::Choice => {
                let Some(list) = q.code_list.as_deref() else {
                    self.error(
                        format!("{path}.code_list"),
                        id,
                        "a choice needs a code list".into(),
                    );
                    return None;
                };
                let Some(codes) = code_lists.get(list) else {
                    self.error(
                        format!("{path}.code_list"),
                        id,
                        format!(
                            "unknown code list `{}`",
                            ndrs_core::error::bounded(list, 64)
                        ),
                    );
                    return None;
                };
                Some(AnswerKind::Choice {
                    code_list: list.to_string(),
                    codes: codes.clone(),
                    multiple: q.multiple,
                })
            }
            QuestionType::Text => {
                let max_chars = q.max_chars.unwrap_or(limits::DEFAULT_TEXT_CHARS);
                if max_chars == 0 || max_chars > limits::MAX_TEXT_CHARS {
                    self.error(
                        format!("{path}.max_chars"),
                        id,
                        format!("must be 1 to {}", limits::MAX_TEXT_CHARS),
                    );
                    return None;
                }
                Some(AnswerKind::Text { max_chars })
            }
            QuestionType::Group => {
                if place.row.is_some() {
                    self.error(
                        format!("{path}.type"),
                        id,
                        "a group cannot hold another group".into(),
                    );
                    return None;
                }
                if q.questions.is_empty() {
                    self.error(
                        format!("{path}.questions"),
                        id,
                        "a group needs at least one question".into(),
                    );
                }
                match q.max_repeats {
                    Some(n) if (1..=limits::MAX_REPEATS).contains(&n) => {
                        Some(AnswerKind::Group { max_repeats: n })
                    }
                    _ => {
                        self.error(
                            format!("{path}.max_repeats"),
                            id,
                            format!(
                                "a group needs max_repeats from 1 to {}",
                                limits::MAX_REPEATS
                            ),
                        );
                        None
                    }
                }
            }
        }
    }

    fn asked_of(&mut self, q: &Question, path: &str) -> Vec<Asked> {
        self.subjects(&q.asked_of, &format!("{path}.asked_of"), Some(&q.id))
    }

    /// Subject type or group codes, each unknown one an error at `path[i]`.
    fn subjects(&mut self, codes: &[String], path: &str, question: Option<&str>) -> Vec<Asked> {
        codes
            .iter()
            .enumerate()
            .filter_map(|(i, code)| {
                let asked = SubjectType::from_code(code)
                    .map(Asked::Type)
                    .or_else(|| SubjectGroup::from_code(code).map(Asked::Group));
                if asked.is_none() {
                    self.error(
                        format!("{path}[{i}]"),
                        question,
                        format!(
                            "`{}` is neither a subject type nor a subject group",
                            ndrs_core::error::bounded(code, 64)
                        ),
                    );
                }
                asked
            })
            .collect()
    }
}

fn type_name(t: QuestionType) -> &'static str {
    match t {
        QuestionType::Integer => "integer",
        QuestionType::Decimal => "decimal",
        QuestionType::Boolean => "boolean",
        QuestionType::Choice => "choice",
        QuestionType::Text => "text",
        QuestionType::Date => "date",
        QuestionType::Group => "group",
    }
}
