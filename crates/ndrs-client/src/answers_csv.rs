//! Returns as a CSV of answers by question id: one row per return, one column per question of
//! the kind's published questionnaire, typed by it (a working group's spreadsheet, exported).
//!
//! Reserved columns: `kind` (or `--kind` for the whole file), `reporting_unit_id`, `cycle_year`
//! (or `--cycle`), `idempotency_key` and `return_id` (both optional), and the respondent's
//! classification `subject_type`, `province_code`, `industry`, `size_class` (the last two also
//! answer the questions of those ids where the questionnaire asks them). Every other column is a
//! question id. An empty cell is a question not answered (never `false` or 0); a choice of
//! several codes separates them with `;`. Repeat groups cannot be written in one row: a column
//! naming one is refused (send those returns as JSON lines).

use std::collections::BTreeMap;
use std::path::Path;

use ndrs_content::Questionnaire;
use ndrs_content::questionnaire::QuestionType;
use ndrs_core::error::bounded;
use ndrs_core::{Error, FieldViolation, Result};
use ndrs_proto::v1 as pb;
use pb::answer::Value;

use crate::returns::{ANSWERED_KINDS, Return};
use crate::session::{Session, Stage};

/// Columns of the header, never answers.
const HEADER_COLUMNS: [&str; 5] = [
    "kind",
    "reporting_unit_id",
    "cycle_year",
    "idempotency_key",
    "return_id",
];
/// Columns of the respondent's classification; also answers when the questionnaire asks a
/// question of that id (the 2023 questionnaire asks `industry` and `size_class`).
const RESPONDENT_COLUMNS: [&str; 4] = ["subject_type", "province_code", "industry", "size_class"];

/// The questionnaire in force for a cycle and kind, from the service that receives the kind.
pub async fn questionnaire(
    session: &Session,
    cycle_year: i32,
    kind: &str,
) -> Result<Questionnaire> {
    use pb::questionnaire_service_client::QuestionnaireServiceClient;
    let stage = Stage::receiving(kind)?;
    let document = QuestionnaireServiceClient::new(session.stage_channel(stage)?)
        .get_questionnaire(pb::GetQuestionnaireRequest {
            cycle_year,
            kind: kind.to_string(),
            version: 0,
        })
        .await
        .map_err(session.at_stage(stage, &format!("get the {kind} questionnaire")))?
        .into_inner();
    Questionnaire::from_json(&document.document_json)
        .map_err(|e| Error::Internal(format!("the published {kind} questionnaire: {e}")))
}

/// One cell as the answer its question's type reads it; `None` for an empty cell.
fn answer(
    question: &ndrs_content::questionnaire::Question,
    cell: &str,
) -> std::result::Result<Option<pb::Answer>, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    let unit = question.unit.clone().unwrap_or_default();
    let value = match question.answer_type {
        QuestionType::Integer => Value::Integer(pb::IntegerAnswer {
            value: cell
                .parse()
                .map_err(|_| format!("`{}` is not a whole number", bounded(cell, 40)))?,
            unit,
        }),
        QuestionType::Decimal => {
            let value: f64 = cell
                .parse()
                .map_err(|_| format!("`{}` is not a number", bounded(cell, 40)))?;
            if !value.is_finite() {
                return Err("a number must be finite".into());
            }
            Value::Decimal(pb::DecimalAnswer { value, unit })
        }
        QuestionType::Boolean => Value::Boolean(match cell.to_lowercase().as_str() {
            "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            _ => return Err(format!("`{}` is not true or false", bounded(cell, 40))),
        }),
        QuestionType::Choice => Value::Choice(pb::ChoiceAnswer {
            codes: cell
                .split(';')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect(),
        }),
        QuestionType::Text => Value::Text(cell.to_string()),
        QuestionType::Date => Value::Date(cell.to_string()),
        QuestionType::Group => {
            return Err("a repeat group cannot be written in one CSV cell".into());
        }
    };
    Ok(Some(pb::Answer { value: Some(value) }))
}

/// Reads a CSV of answers into returns, each checked here only for what the questionnaire's
/// types say (the service checks the rest, as for any submission). Every bad cell is named by
/// row and column; a file with one sends nothing.
pub async fn read(
    session: &Session,
    path: &Path,
    kind: Option<&str>,
    cycle_year: Option<i32>,
) -> Result<Vec<(usize, Return)>> {
    let text = crate::files::read_text(path)?;
    let name = bounded(&path.display().to_string(), 200).into_owned();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid(name.clone(), e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let column = |c: &str| headers.iter().position(|h| h == c);
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::invalid(name.clone(), e.to_string()))?;
    if rows.len() > crate::submit::MAX_LINES {
        return Err(Error::invalid(
            name,
            format!("at most {} rows", crate::submit::MAX_LINES),
        ));
    }
    let cell = |row: &csv::StringRecord, c: &str| {
        column(c)
            .and_then(|i| row.get(i))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let mut questionnaires: BTreeMap<(i32, String), Questionnaire> = BTreeMap::new();
    let mut violations = Vec::new();
    let mut returns = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        let at = |c: &str| format!("{name}:{line}:{c}");
        let row_kind = kind.map_or_else(|| cell(row, "kind"), str::to_string);
        if !ANSWERED_KINDS.contains(&row_kind.as_str()) {
            violations.push(FieldViolation::new(
                at("kind"),
                format!(
                    "`{}` is not a kind answered by question id ({})",
                    bounded(&row_kind, 64),
                    ANSWERED_KINDS.join(", ")
                ),
            ));
            continue;
        }
        let year = match (cell(row, "cycle_year"), cycle_year) {
            (y, _) if !y.is_empty() => match y.parse::<i32>() {
                Ok(y) => y,
                Err(_) => {
                    violations.push(FieldViolation::new(at("cycle_year"), "not a year"));
                    continue;
                }
            },
            (_, Some(y)) => y,
            _ => {
                violations.push(FieldViolation::new(
                    at("cycle_year"),
                    "no cycle; pass --cycle",
                ));
                continue;
            }
        };
        let key = (year, row_kind.clone());
        if !questionnaires.contains_key(&key) {
            let q = questionnaire(session, year, &row_kind).await?;
            questionnaires.insert(key.clone(), q);
        }
        let q = &questionnaires[&key];
        let by_id: BTreeMap<&str, &ndrs_content::questionnaire::Question> =
            q.questions.iter().map(|q| (q.id.as_str(), q)).collect();
        let mut answers = BTreeMap::new();
        for (c, header) in headers.iter().enumerate() {
            if HEADER_COLUMNS.contains(&header.as_str()) {
                continue;
            }
            let respondent_column = RESPONDENT_COLUMNS.contains(&header.as_str());
            let Some(question) = by_id.get(header.as_str()) else {
                if respondent_column {
                    continue;
                }
                violations.push(FieldViolation::new(
                    at(header),
                    format!(
                        "not a question of the {row_kind} questionnaire {}",
                        q.version
                    ),
                ));
                continue;
            };
            match answer(question, row.get(c).unwrap_or("")) {
                Ok(Some(a)) => {
                    answers.insert(header.clone(), a);
                }
                Ok(None) => {}
                Err(e) => violations.push(FieldViolation::new(at(header), e)),
            }
        }
        let subject = cell(row, "subject_type");
        let subject_type = if subject.is_empty() {
            0
        } else if let Some(t) = crate::cycles::subject_type(&subject) {
            t as i32
        } else {
            violations.push(FieldViolation::new(
                at("subject_type"),
                format!("`{}` is not a subject type", bounded(&subject, 64)),
            ));
            continue;
        };
        returns.push((
            line,
            Return::Answers(pb::AnswerReturn {
                header: Some(pb::ReturnHeader {
                    cycle_year: year,
                    reporting_unit_id: cell(row, "reporting_unit_id"),
                    idempotency_key: cell(row, "idempotency_key"),
                    return_id: cell(row, "return_id"),
                }),
                kind: row_kind,
                respondent: Some(pb::Respondent {
                    subject_type,
                    province_code: cell(row, "province_code"),
                    industry: cell(row, "industry"),
                    size_class: cell(row, "size_class"),
                }),
                answers: Some(pb::AnswerSet { answers }),
            }),
        ));
        if violations.len() > 1_000 {
            break;
        }
    }
    if violations.is_empty() {
        Ok(returns)
    } else {
        Err(Error::InvalidArgument(violations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(toml: &str) -> ndrs_content::questionnaire::Question {
        let document = format!(
            "kind = \"application_questionnaire\"\nversion = \"t\"\n\
             title = {{ zh = \"t\", en = \"t\" }}\n[[question]]\n\
             label = {{ zh = \"q\", en = \"q\" }}\n{toml}"
        );
        Questionnaire::from_toml(&document)
            .unwrap()
            .questions
            .remove(0)
    }

    #[test]
    fn cells_read_as_the_type_their_question_states() {
        let int = question("id = \"n\"\ntype = \"integer\"\nunit = \"bytes\"");
        match answer(&int, " 42 ").unwrap().unwrap().value {
            Some(Value::Integer(a)) => assert_eq!((a.value, a.unit.as_str()), (42, "bytes")),
            other => panic!("{other:?}"),
        }
        assert!(answer(&int, "4.5").is_err());
        assert_eq!(
            answer(&int, "").unwrap(),
            None,
            "empty is unanswered, not 0"
        );
        let flag = question("id = \"b\"\ntype = \"boolean\"");
        assert_eq!(
            answer(&flag, "no").unwrap().unwrap().value,
            Some(Value::Boolean(false))
        );
        assert!(answer(&flag, "maybe").is_err());
        let decimal = question("id = \"d\"\ntype = \"decimal\"\nunit = \"yuan\"");
        assert!(answer(&decimal, "NaN").is_err());
        let group = question("id = \"g\"\ntype = \"group\"");
        assert!(answer(&group, "x").unwrap_err().contains("group"));
    }
}
