//! The questionnaire API's messages, to and from the content types. Every size is bounded here,
//! before anything is parsed or checked.

use ndrs_content::{Answer, Answers, Questionnaire, Respondent};
use ndrs_core::classification::{SubjectType, province};
use ndrs_core::{Error, Result, Violations};
use ndrs_proto::v1 as pb;

use super::{DryRun, Source, edit_finding, lineage_ref};
use crate::documents::Versioned;
use crate::returns::ReturnHeader;
use crate::stage::finding_to_proto;

/// The largest questionnaire document accepted, in bytes (the 2023 application questionnaire
/// is about 10 KB).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Answers in one answer set, group rows' answers included.
pub const MAX_ANSWERS: usize = 20_000;
/// Examples in one dry run.
pub const MAX_EXAMPLES: usize = 100;

/// The draft of a request, or a violation on `source`.
pub fn source_from_proto(
    source: Option<pb::QuestionnaireSource>,
    v: &mut Violations,
) -> Option<Source> {
    use pb::questionnaire_source::Format;
    let source = match source.and_then(|s| s.format) {
        None => {
            v.push("source", "a questionnaire is required, as toml or json");
            return None;
        }
        Some(Format::Toml(text)) => Source::Toml(text),
        Some(Format::Json(text)) => Source::Json(text),
    };
    within_size(source, v)
}

/// A content document of any kind, or a violation on `source` when it is over
/// [`MAX_DOCUMENT_BYTES`]: checked before anything is parsed.
pub fn within_size(source: Source, v: &mut Violations) -> Option<Source> {
    let bytes = source.text().len();
    if bytes > MAX_DOCUMENT_BYTES {
        v.push(
            "source",
            format!("the document is {bytes} bytes; at most {MAX_DOCUMENT_BYTES}"),
        );
        return None;
    }
    Some(source)
}

/// The frame classification of a request, or violations on `field`.
pub fn respondent_from_proto(
    respondent: Option<pb::Respondent>,
    field: &str,
    v: &mut Violations,
) -> Option<Respondent> {
    let Some(pb::Respondent {
        subject_type,
        province_code,
        industry,
        size_class,
    }) = respondent
    else {
        v.push(field, "is required");
        return None;
    };
    let subject = SubjectType::from_i32(subject_type);
    v.check(
        subject.is_some(),
        format!("{field}.subject_type"),
        "unknown subject type",
    );
    v.check(
        province(&province_code).is_some(),
        format!("{field}.province_code"),
        "must be a GB/T 2260 province code (or 66 for XPCC)",
    );
    for (name, code) in [("industry", &industry), ("size_class", &size_class)] {
        v.check(
            code.chars().count() <= ndrs_content::limits::MAX_ID_CHARS,
            format!("{field}.{name}"),
            format!(
                "is longer than {} characters",
                ndrs_content::limits::MAX_ID_CHARS
            ),
        );
    }
    Some(Respondent {
        subject_type: subject?,
        province: province_code,
        industry,
        size_class,
    })
}

/// Answers by question id; an entry without a value, or a set over [`MAX_ANSWERS`], is a
/// violation on `field`.
pub fn answers_from_proto(set: Option<pb::AnswerSet>, field: &str, v: &mut Violations) -> Answers {
    let mut budget = MAX_ANSWERS;
    let answers = convert_set(set.unwrap_or_default(), field, v, &mut budget);
    if budget == 0 {
        v.push(field, format!("holds more than {MAX_ANSWERS} answers"));
    }
    answers
}

fn convert_set(set: pb::AnswerSet, path: &str, v: &mut Violations, budget: &mut usize) -> Answers {
    let mut out = Answers::new();
    for (id, answer) in set.answers {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let at = format!("{path}.{}", ndrs_core::error::bounded(&id, 64));
        if let Some(a) = convert(answer, &at, v, budget) {
            out.0.insert(id, a);
        }
    }
    out
}

fn convert(answer: pb::Answer, at: &str, v: &mut Violations, budget: &mut usize) -> Option<Answer> {
    use pb::answer::Value;
    Some(match answer.value {
        None => {
            v.push(at, "has no value: leave an unanswered question out instead");
            return None;
        }
        Some(Value::Integer(pb::IntegerAnswer { value, unit })) => Answer::Integer { value, unit },
        Some(Value::Decimal(pb::DecimalAnswer { value, unit })) => Answer::Decimal { value, unit },
        Some(Value::Boolean(b)) => Answer::Boolean(b),
        Some(Value::Choice(pb::ChoiceAnswer { codes })) => Answer::Choice(codes),
        Some(Value::Text(text)) => Answer::Text(text),
        Some(Value::Date(date)) => Answer::Date(date),
        Some(Value::Group(pb::GroupAnswer { rows })) => Answer::Group(
            rows.into_iter()
                .enumerate()
                .map(|(i, row)| convert_set(row, &format!("{at}[{i}]"), v, budget))
                .collect(),
        ),
    })
}

/// The examples of a dry run, checked; violations name `examples[i]`.
pub fn examples_from_proto(
    examples: Vec<pb::QuestionnaireExample>,
    v: &mut Violations,
) -> Vec<(String, Respondent, Answers)> {
    if examples.len() > MAX_EXAMPLES {
        v.push(
            "examples",
            format!("at most {MAX_EXAMPLES} examples, not {}", examples.len()),
        );
        return Vec::new();
    }
    examples
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let pb::QuestionnaireExample {
                name,
                respondent,
                answers,
            } = e;
            v.check(
                name.chars().count() <= ndrs_core::limits::MAX_LINE_CHARS,
                format!("examples[{i}].name"),
                format!(
                    "is longer than {} characters",
                    ndrs_core::limits::MAX_LINE_CHARS
                ),
            );
            let respondent =
                respondent_from_proto(respondent, &format!("examples[{i}].respondent"), v);
            let answers = answers_from_proto(answers, &format!("examples[{i}].answers"), v);
            Some((name, respondent?, answers))
        })
        .collect()
}

pub fn summary_to_proto(q: &Versioned<Questionnaire>) -> pb::QuestionnaireSummary {
    fn count(questions: &[ndrs_content::questionnaire::Question]) -> usize {
        questions.iter().map(|q| 1 + count(&q.questions)).sum()
    }
    pb::QuestionnaireSummary {
        cycle_year: q.cycle_year,
        kind: q.body.kind.clone(),
        version: q.version,
        version_name: q.body.version.clone(),
        content_hash: q.content_hash.clone(),
        published_at: crate::timestamp::from_text(&q.loaded_at),
        published_by: q.loaded_by.clone(),
        questions: u32::try_from(count(&q.body.questions)).unwrap_or(u32::MAX),
        lineage_ref: lineage_ref(q),
    }
}

pub fn document_to_proto(q: &Versioned<Questionnaire>) -> pb::QuestionnaireDocument {
    pb::QuestionnaireDocument {
        summary: Some(summary_to_proto(q)),
        document_json: q.body.to_json(),
    }
}

pub fn dry_run_to_proto(run: DryRun) -> pb::CheckQuestionnaireResponse {
    pb::CheckQuestionnaireResponse {
        kind: run.questionnaire.document.kind.clone(),
        version_name: run.questionnaire.document.version.clone(),
        question_ids: run
            .questionnaire
            .question_ids()
            .into_iter()
            .map(str::to_string)
            .collect(),
        examples: run
            .examples
            .into_iter()
            .map(|(name, checked)| pb::ExampleResult {
                name,
                refused: checked.refused(),
                findings: checked
                    .findings
                    .into_iter()
                    .map(|f| finding_to_proto(edit_finding(f)))
                    .collect(),
            })
            .collect(),
    }
}

/// A `SubmitAnswers` request: its header, respondent and answers, every bad field named. The
/// `kind` must be the one the RPC receives (`expected`).
pub fn answer_return_from_proto(
    request: pb::AnswerReturn,
    expected: &str,
) -> Result<(ReturnHeader, Respondent, Answers)> {
    let pb::AnswerReturn {
        header,
        kind,
        respondent,
        answers,
    } = request;
    let mut v = Violations::new();
    let header = crate::stage::header_from_proto(header, &mut v);
    if kind != expected {
        v.push(
            "kind",
            format!(
                "`{}` is not received here; this RPC receives `{expected}`",
                ndrs_core::error::bounded(&kind, 64)
            ),
        );
    }
    let respondent = respondent_from_proto(respondent, "respondent", &mut v);
    let answers = answers_from_proto(answers, "answers", &mut v);
    v.finish(())?;
    // respondent_from_proto names a violation whenever it gives None, so this is only a guard.
    let respondent = respondent.ok_or_else(|| Error::invalid("respondent", "is required"))?;
    Ok((header, respondent, answers))
}
