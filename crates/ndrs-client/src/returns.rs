//! One return of any kind, sent to the service that receives it; and reading stored returns back
//! (a cycle's list, one return's versions).

use ndrs_core::{Error, Result};
use ndrs_proto::v1 as pb;

use crate::session::{Session, Stage};

/// A return as one of the typed messages of its kind, or as answers by question id (the form
/// every questionnaire-driven kind accepts).
#[derive(Debug, Clone, PartialEq)]
pub enum Return {
    DeviceParameters(pb::DeviceParameterReturn),
    StorageMedium(pb::StorageMediumReturn),
    Centre(pb::ComputeCentreReturn),
    Carrier(pb::CarrierReturn),
    Exchange(pb::ExchangeReturn),
    Questionnaire(pb::ApplicationReturn),
    SharingHub(pb::SharingHubReturn),
    Answers(pb::AnswerReturn),
}

/// Return kinds whose services accept answers by question id (`SubmitAnswers`).
pub const ANSWERED_KINDS: [&str; 2] = ["compute_centre", "application_questionnaire"];

impl Return {
    /// Reads a return of `kind` from its JSON form: the kind's typed message, or with `answers`
    /// an `AnswerReturn` (whose `kind`, when empty, is `kind`).
    pub fn from_json(
        kind: &str,
        answers: bool,
        value: &serde_json::Value,
    ) -> std::result::Result<Self, String> {
        use ndrs_proto::json::from_value as read;
        if answers {
            if !ANSWERED_KINDS.contains(&kind) {
                return Err(format!(
                    "`{kind}` returns are not submitted as answers by question id; \
                     those are: {}",
                    ANSWERED_KINDS.join(", ")
                ));
            }
            let mut answers: pb::AnswerReturn = read(value)?;
            if answers.kind.is_empty() {
                answers.kind = kind.to_string();
            } else if answers.kind != kind {
                return Err(format!(
                    "the line's kind `{kind}` and its answers' kind `{}` differ",
                    ndrs_core::error::bounded(&answers.kind, 64)
                ));
            }
            return Ok(Return::Answers(answers));
        }
        Ok(match kind {
            "device_parameters" => Return::DeviceParameters(read(value)?),
            "storage_medium" => Return::StorageMedium(read(value)?),
            "compute_centre" => Return::Centre(read(value)?),
            "carrier_traffic" => Return::Carrier(read(value)?),
            "exchange_activity" => Return::Exchange(read(value)?),
            "application_questionnaire" => Return::Questionnaire(read(value)?),
            "sharing_hub" => Return::SharingHub(read(value)?),
            other => {
                return Err(Stage::receiving(other)
                    .err()
                    .map_or_else(|| format!("unknown kind {other}"), |e| e.to_string()));
            }
        })
    }

    /// The return kind, as receipts and questionnaires name it.
    pub fn kind(&self) -> &str {
        match self {
            Return::DeviceParameters(_) => "device_parameters",
            Return::StorageMedium(_) => "storage_medium",
            Return::Centre(_) => "compute_centre",
            Return::Carrier(_) => "carrier_traffic",
            Return::Exchange(_) => "exchange_activity",
            Return::Questionnaire(_) => "application_questionnaire",
            Return::SharingHub(_) => "sharing_hub",
            Return::Answers(r) => &r.kind,
        }
    }

    pub fn header(&self) -> Option<&pb::ReturnHeader> {
        match self {
            Return::DeviceParameters(r) => r.header.as_ref(),
            Return::StorageMedium(r) => r.header.as_ref(),
            Return::Centre(r) => r.header.as_ref(),
            Return::Carrier(r) => r.header.as_ref(),
            Return::Exchange(r) => r.header.as_ref(),
            Return::Questionnaire(r) => r.header.as_ref(),
            Return::SharingHub(r) => r.header.as_ref(),
            Return::Answers(r) => r.header.as_ref(),
        }
    }

    /// The header, created empty when the return has none.
    pub fn header_mut(&mut self) -> &mut pb::ReturnHeader {
        let header = match self {
            Return::DeviceParameters(r) => &mut r.header,
            Return::StorageMedium(r) => &mut r.header,
            Return::Centre(r) => &mut r.header,
            Return::Carrier(r) => &mut r.header,
            Return::Exchange(r) => &mut r.header,
            Return::Questionnaire(r) => &mut r.header,
            Return::SharingHub(r) => &mut r.header,
            Return::Answers(r) => &mut r.header,
        };
        header.get_or_insert_with(Default::default)
    }

    /// The idempotency key it is sent under (empty when the header names none).
    pub fn idempotency_key(&self) -> &str {
        self.header().map_or("", |h| h.idempotency_key.as_str())
    }

    /// The cycle it reports for (0 when the header names none).
    pub fn cycle_year(&self) -> i32 {
        self.header().map_or(0, |h| h.cycle_year)
    }

    /// This return as a revision of the stored return `return_id`: a new version of it, under a
    /// new idempotency key (the original key with its original content would be a retry).
    pub fn revising(mut self, return_id: &str) -> Self {
        let header = self.header_mut();
        header.return_id = return_id.to_string();
        header.idempotency_key = format!("{}-revision", header.idempotency_key);
        self
    }

    /// The reporting unit the return is for (empty when the header names none).
    pub fn reporting_unit_id(&self) -> &str {
        self.header().map_or("", |h| h.reporting_unit_id.as_str())
    }

    /// The return's protobuf encoding, which is deterministic (maps are ordered), so equal
    /// returns encode to equal bytes.
    pub fn encoded(&self) -> Vec<u8> {
        use prost::Message as _;
        match self {
            Return::DeviceParameters(r) => r.encode_to_vec(),
            Return::StorageMedium(r) => r.encode_to_vec(),
            Return::Centre(r) => r.encode_to_vec(),
            Return::Carrier(r) => r.encode_to_vec(),
            Return::Exchange(r) => r.encode_to_vec(),
            Return::Questionnaire(r) => r.encode_to_vec(),
            Return::SharingHub(r) => r.encode_to_vec(),
            Return::Answers(r) => r.encode_to_vec(),
        }
    }

    /// The stage whose service receives it.
    pub fn stage(&self) -> Result<Stage> {
        Stage::receiving(self.kind())
    }

    /// Sends the return, as the caller of `session`, to the service that receives it.
    pub async fn send(self, session: &Session) -> Result<pb::Receipt> {
        let stage = self.stage()?;
        let what = format!("submit a {} return", self.kind());
        let failed = session.at_stage(stage, &what);
        let receipt = match self {
            Return::DeviceParameters(r) => session.production()?.submit_device_parameters(r).await,
            Return::StorageMedium(r) => session.production()?.submit_storage_medium(r).await,
            Return::Centre(r) => session.compute()?.submit_centre_return(r).await,
            Return::Carrier(r) => session.circulation()?.submit_carrier_return(r).await,
            Return::Exchange(r) => session.circulation()?.submit_exchange_return(r).await,
            Return::Questionnaire(r) => session.application()?.submit_questionnaire(r).await,
            Return::SharingHub(r) => session.application()?.submit_sharing_hub_return(r).await,
            Return::Answers(r) => match stage {
                Stage::Compute => session.compute()?.submit_answers(r).await,
                Stage::Application => session.application()?.submit_answers(r).await,
                _ => {
                    return Err(Error::invalid(
                        "kind",
                        format!("{} returns are not answered by question id", r.kind),
                    ));
                }
            },
        };
        receipt.map(tonic::Response::into_inner).map_err(failed)
    }
}

/// The latest version of every return of `kind`'s service for a cycle the caller may see
/// (a reporter: its own unit's), following the pages to the end.
pub async fn list(
    session: &Session,
    stage: Stage,
    cycle_year: i32,
    reporting_unit_id: &str,
) -> Result<Vec<pb::ReturnVersion>> {
    let mut returns = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListReturnsRequest {
            cycle_year,
            reporting_unit_id: reporting_unit_id.to_string(),
            page_size: 0,
            page_token,
        };
        let failed = session.at_stage(stage, "list returns");
        let page = match stage {
            Stage::Production => session.production()?.list_returns(request).await,
            Stage::Compute => session.compute()?.list_returns(request).await,
            Stage::Circulation => session.circulation()?.list_returns(request).await,
            Stage::Application => session.application()?.list_returns(request).await,
        }
        .map_err(failed)?
        .into_inner();
        returns.extend(page.returns);
        if page.next_page_token.is_empty() {
            return Ok(returns);
        }
        page_token = page.next_page_token;
    }
}

/// A return's stored versions (`version` 0: all of them, latest last), from the service of its
/// stage.
pub async fn history(
    session: &Session,
    stage: Stage,
    return_id: &str,
    version: u32,
) -> Result<Vec<pb::ReturnVersion>> {
    let request = pb::GetReturnRequest {
        return_id: return_id.to_string(),
        version,
    };
    let failed = session.at_stage(stage, "get a return");
    let history = match stage {
        Stage::Production => session.production()?.get_return(request).await,
        Stage::Compute => session.compute()?.get_return(request).await,
        Stage::Circulation => session.circulation()?.get_return(request).await,
        Stage::Application => session.application()?.get_return(request).await,
    }
    .map_err(failed)?
    .into_inner();
    Ok(history.versions)
}

/// A return's versions from whichever stage service holds it (return ids are UUIDs that do not
/// name their stage): every stage is asked, and a return none holds is not found.
pub async fn find_history(
    session: &Session,
    return_id: &str,
    version: u32,
) -> Result<(Stage, Vec<pb::ReturnVersion>)> {
    let stages = [
        Stage::Production,
        Stage::Compute,
        Stage::Circulation,
        Stage::Application,
    ];
    let answers =
        futures::future::join_all(stages.map(|s| history(session, s, return_id, version))).await;
    let mut unreachable = None;
    for (stage, answer) in stages.into_iter().zip(answers) {
        match answer {
            Ok(versions) => return Ok((stage, versions)),
            Err(Error::NotFound(_)) => {}
            Err(other) => {
                unreachable.get_or_insert(other);
            }
        }
    }
    Err(unreachable.unwrap_or_else(|| {
        Error::NotFound(format!(
            "no stage service holds return {}",
            ndrs_core::error::bounded(return_id, 128)
        ))
    }))
}
