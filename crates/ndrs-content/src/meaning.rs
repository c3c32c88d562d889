//! What a new version of a questionnaire may not change: the meaning of a question that was
//! already published.
//!
//! Stored returns keep the answers they were given under their own version, and a series of
//! figures reads one question across cycles. A question id therefore names one thing forever:
//! a later version may add questions, drop questions, reword labels and help, change who is
//! asked, the conditions and the edit rules, and add codes to a code list; it may not give an
//! id another type, unit, code list or choice multiplicity, nor take codes away from the list a
//! published question uses (answers already stored would then carry codes that mean nothing).

use std::collections::BTreeMap;

use crate::ContentError;
use crate::questionnaire::{Question, Questionnaire};

/// Every question of `document` by id, with its path, group members included.
fn by_id(questions: &[Question], path: &str, out: &mut BTreeMap<String, (String, Question)>) {
    for (i, q) in questions.iter().enumerate() {
        let at = format!("{path}[{i}]");
        by_id(&q.questions, &format!("{at}.questions"), out);
        out.insert(q.id.clone(), (at, q.clone()));
    }
}

/// The changes `new` makes to the meaning of questions `published` already had; empty when
/// `new` may be published after it.
pub fn meaning_changes(published: &Questionnaire, new: &Questionnaire) -> Vec<ContentError> {
    let mut old = BTreeMap::new();
    by_id(&published.questions, "questions", &mut old);
    let mut current = BTreeMap::new();
    by_id(&new.questions, "questions", &mut current);
    let mut errors = Vec::new();
    let mut refuse = |field: String, id: &str, message: String| {
        errors.push(ContentError {
            field,
            question_id: Some(id.to_string()),
            indicator_id: None,
            message: format!("{message} (published in version {})", published.version),
        })
    };
    for (id, (path, q)) in &current {
        let Some((_, was)) = old.get(id) else {
            continue;
        };
        if q.answer_type != was.answer_type {
            refuse(
                format!("{path}.type"),
                id,
                format!(
                    "was {:?} and cannot become {:?}: give the new question a new id",
                    was.answer_type, q.answer_type
                )
                .to_lowercase(),
            );
            continue;
        }
        if q.unit != was.unit {
            refuse(
                format!("{path}.unit"),
                id,
                format!(
                    "was in {} and cannot change unit",
                    was.unit.as_deref().unwrap_or("no unit")
                ),
            );
        }
        if q.multiple != was.multiple {
            refuse(
                format!("{path}.multiple"),
                id,
                "cannot change between one code and several".into(),
            );
        }
        if q.code_list != was.code_list {
            refuse(
                format!("{path}.code_list"),
                id,
                "cannot draw on another code list".into(),
            );
        } else if let Some(list) = &q.code_list {
            let codes = |d: &Questionnaire| -> Vec<String> {
                d.code_lists
                    .get(list)
                    .map(|l| l.codes.iter().map(|c| c.code.clone()).collect())
                    .unwrap_or_default()
            };
            let now = codes(new);
            for code in codes(published) {
                if !now.contains(&code) {
                    refuse(
                        format!("code_lists.{list}"),
                        id,
                        format!("drops code `{code}`, which stored answers may carry"),
                    );
                }
            }
        }
    }
    errors
}
