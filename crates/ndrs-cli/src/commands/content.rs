//! `ndrs content check|publish|get|publish-shipped`: the survey's content documents
//! (questionnaires, indicator documents, derived figures) for a working group member, without a
//! gRPC client. A document file goes to the service its `kind` belongs to; the answer is printed
//! as JSON, and a refused document exits non-zero with every field violation.

use ndrs_core::{Error, Result};
use ndrs_platform::client::{SystemEndpoints, channel};
use ndrs_platform::grpc_status::answer;
use ndrs_proto::v1 as pb;
use pb::aggregator_service_client::AggregatorServiceClient;
use pb::indicator_service_client::IndicatorServiceClient;
use pb::questionnaire_service_client::QuestionnaireServiceClient;
use serde_json::json;

use super::demo::configured_endpoints;
use super::load_settings;
use crate::cli::ContentCommand;

/// What a document is, by its `kind`.
enum Document {
    Questionnaire(String),
    Indicators(String),
    Derived,
}

fn classify(kind: &str, endpoints: &SystemEndpoints) -> Result<Document> {
    if kind == "derived_figures" {
        Ok(Document::Derived)
    } else if endpoints.estimating(kind).is_some() {
        Ok(Document::Indicators(kind.to_string()))
    } else if endpoints.receiving(kind).is_some() {
        Ok(Document::Questionnaire(kind.to_string()))
    } else {
        Err(Error::invalid(
            "kind",
            format!(
                "`{}` is not a content kind of this system",
                ndrs_core::error::bounded(kind, 64)
            ),
        ))
    }
}

/// The `kind` a TOML document states; the service parses the whole document and names any other
/// mistake.
fn kind_of(text: &str) -> Result<String> {
    ndrs_content::document_kind(text).map_err(|e| ndrs_content::into_invalid(vec![e]))
}

fn read(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::invalid("file", format!("{}: {e}", path.display())))
}

fn print(value: serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
    );
}

pub(super) async fn run(command: ContentCommand, token: Option<String>) -> Result<()> {
    let settings = load_settings()?;
    let endpoints = configured_endpoints(&settings);
    let token =
        token.ok_or_else(|| Error::Unauthenticated("pass --token or set NDRS_TOKEN".into()))?;
    match command {
        ContentCommand::Check {
            file,
            cycle,
            returns_cycle,
        } => {
            let text = read(&file)?;
            let kind = kind_of(&text)?;
            match classify(&kind, &endpoints)? {
                Document::Questionnaire(kind) => {
                    let endpoint = endpoints.receiving(&kind).unwrap_or_default();
                    let mut client =
                        QuestionnaireServiceClient::new(channel(endpoint, Some(&token))?);
                    let run = answer(
                        client
                            .check_questionnaire(pb::CheckQuestionnaireRequest {
                                cycle_year: cycle,
                                source: Some(pb::QuestionnaireSource {
                                    format: Some(pb::questionnaire_source::Format::Toml(text)),
                                }),
                                examples: Vec::new(),
                            })
                            .await,
                    )?;
                    print(json!({
                        "kind": run.kind,
                        "version_name": run.version_name,
                        "questions": run.question_ids,
                    }));
                }
                Document::Indicators(kind) => {
                    let endpoint = endpoints.estimating(&kind).unwrap_or_default();
                    let mut client = IndicatorServiceClient::new(channel(endpoint, Some(&token))?);
                    let check = answer(
                        client
                            .check_indicators(pb::CheckIndicatorsRequest {
                                cycle_year: cycle,
                                source: Some(pb::IndicatorSource {
                                    format: Some(pb::indicator_source::Format::Toml(text)),
                                }),
                                returns_cycle_year: returns_cycle.unwrap_or(0),
                            })
                            .await,
                    )?;
                    let differences: Vec<serde_json::Value> = check
                        .differences
                        .iter()
                        .map(|d| {
                            json!({
                                "figure": d.figure_id,
                                "dimensions": d.dimensions,
                                "draft": d.draft_value,
                                "current": d.current_value,
                                "difference": d.difference,
                            })
                        })
                        .collect();
                    print(json!({
                        "kind": check.kind,
                        "version_name": check.version_name,
                        "returns_cycle_year": check.returns_cycle_year,
                        "current": check.current_lineage_ref,
                        "indicators": check.indicator_ids,
                        "differences": differences,
                        "notes": check.notes,
                    }));
                }
                Document::Derived => {
                    return Err(Error::FailedPrecondition(
                        "derived figures have no dry run: the aggregator checks them when they \
                         are published, and a refused document changes nothing"
                            .into(),
                    ));
                }
            }
        }
        ContentCommand::Publish { file, cycle } => {
            let text = read(&file)?;
            let kind = kind_of(&text)?;
            let summary = match classify(&kind, &endpoints)? {
                Document::Questionnaire(kind) => {
                    let endpoint = endpoints.receiving(&kind).unwrap_or_default();
                    let mut client =
                        QuestionnaireServiceClient::new(channel(endpoint, Some(&token))?);
                    let s = answer(
                        client
                            .publish_questionnaire(pb::PublishQuestionnaireRequest {
                                cycle_year: cycle,
                                source: Some(pb::QuestionnaireSource {
                                    format: Some(pb::questionnaire_source::Format::Toml(text)),
                                }),
                            })
                            .await,
                    )?;
                    json!({"kind": s.kind, "cycle_year": s.cycle_year, "version": s.version,
                           "version_name": s.version_name, "lineage_ref": s.lineage_ref})
                }
                Document::Indicators(kind) => {
                    let endpoint = endpoints.estimating(&kind).unwrap_or_default();
                    let mut client = IndicatorServiceClient::new(channel(endpoint, Some(&token))?);
                    let s = answer(
                        client
                            .publish_indicators(pb::PublishIndicatorsRequest {
                                cycle_year: cycle,
                                source: Some(pb::IndicatorSource {
                                    format: Some(pb::indicator_source::Format::Toml(text)),
                                }),
                            })
                            .await,
                    )?;
                    json!({"kind": s.kind, "cycle_year": s.cycle_year, "version": s.version,
                           "version_name": s.version_name, "lineage_ref": s.lineage_ref})
                }
                Document::Derived => {
                    let mut client =
                        AggregatorServiceClient::new(channel(&endpoints.aggregator, Some(&token))?);
                    let s = answer(
                        client
                            .publish_derived_figures(pb::PublishDerivedFiguresRequest {
                                cycle_year: cycle,
                                source: Some(pb::IndicatorSource {
                                    format: Some(pb::indicator_source::Format::Toml(text)),
                                }),
                            })
                            .await,
                    )?;
                    json!({"kind": "derived_figures", "cycle_year": s.cycle_year,
                           "version": s.version, "version_name": s.version_name,
                           "lineage_ref": s.lineage_ref})
                }
            };
            print(summary);
        }
        ContentCommand::Get {
            kind,
            cycle,
            version,
        } => {
            let document = match classify(&kind, &endpoints)? {
                Document::Questionnaire(kind) => {
                    let endpoint = endpoints.receiving(&kind).unwrap_or_default();
                    let mut client =
                        QuestionnaireServiceClient::new(channel(endpoint, Some(&token))?);
                    answer(
                        client
                            .get_questionnaire(pb::GetQuestionnaireRequest {
                                cycle_year: cycle,
                                kind,
                                version,
                            })
                            .await,
                    )?
                    .document_json
                }
                Document::Indicators(kind) => {
                    let endpoint = endpoints.estimating(&kind).unwrap_or_default();
                    let mut client = IndicatorServiceClient::new(channel(endpoint, Some(&token))?);
                    answer(
                        client
                            .get_indicators(pb::GetIndicatorsRequest {
                                cycle_year: cycle,
                                kind,
                                version,
                            })
                            .await,
                    )?
                    .document_json
                }
                Document::Derived => {
                    let mut client =
                        AggregatorServiceClient::new(channel(&endpoints.aggregator, Some(&token))?);
                    answer(
                        client
                            .get_derived_figures(pb::GetDerivedFiguresRequest {
                                cycle_year: cycle,
                                version,
                            })
                            .await,
                    )?
                    .document_json
                }
            };
            println!("{document}");
        }
        ContentCommand::PublishShipped { cycle } => {
            let published =
                ndrs_platform::client::publish_shipped_content(&endpoints, &token, cycle).await?;
            print(json!({ "cycle_year": cycle, "published": published }));
        }
    }
    Ok(())
}
