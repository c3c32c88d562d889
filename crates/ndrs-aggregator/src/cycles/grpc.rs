//! `ndrs.v1.SurveyCycleService`: authenticate, convert, call the calendar, the frames or the
//! progress report, audit what changed, map the error.

use chrono::{NaiveDate, Utc};
use ndrs_core::{Error, Result, Violations};
use ndrs_platform::IntoStatus;
use ndrs_platform::auth::{IdentityStore, Principal, Role};
use ndrs_platform::calendar::{Calendar, Opening};
use ndrs_platform::stage::check_cycle_year;
use ndrs_platform::timestamp::to_datetime;
use ndrs_proto::v1 as pb;
use pb::survey_cycle_service_server::{SurveyCycleService, SurveyCycleServiceServer};
use sea_orm::DatabaseConnection;
use tonic::{Request, Response, Status};

use super::frame::{self, Frames};
use super::{cycle_to_proto, progress};
use crate::audit;
use crate::stages::StageClients;

/// The gRPC name of the service, for health and reflection.
pub const SERVICE_NAME: &str = "ndrs.v1.SurveyCycleService";

/// Attempts at appending an audit row when concurrent appends race for the same sequence number.
const AUDIT_ATTEMPTS: usize = 5;

#[derive(Clone)]
pub struct CycleApi {
    db: DatabaseConnection,
    identity: IdentityStore,
    calendar: Calendar,
    frames: Frames,
    stages: StageClients,
}

impl CycleApi {
    pub fn new(db: DatabaseConnection, identity: IdentityStore, stages: StageClients) -> Self {
        Self {
            calendar: identity.calendar(),
            frames: Frames::new(&db),
            db,
            identity,
            stages,
        }
    }

    pub fn into_server(self, max_message_bytes: usize) -> SurveyCycleServiceServer<Self> {
        SurveyCycleServiceServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes * 16)
    }

    /// Computes and records (as gauges) the progress of every open cycle, every `interval`,
    /// until `shutdown`: a dashboard follows the round without anyone asking. A failure (a stage
    /// down) is logged and the next tick tries again.
    pub async fn monitor(
        self,
        interval: std::time::Duration,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        // The first report one interval after start, when the stage services are up.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            if let Err(e) = self.record_open_cycles().await {
                tracing::warn!(error = %e, "cycle progress not recorded; retrying at the next tick");
            }
        }
    }

    async fn record_open_cycles(&self) -> Result<()> {
        for cycle in self.calendar.list().await? {
            if cycle.state != ndrs_platform::calendar::CycleState::Open {
                continue;
            }
            let report = self.report(&cycle).await?;
            super::record_metrics(&report);
        }
        Ok(())
    }

    /// The progress report of `cycle` now.
    async fn report(&self, cycle: &ndrs_platform::calendar::Cycle) -> Result<pb::CycleProgress> {
        let frame = self.frames.get(cycle.cycle_year, 0).await?;
        let activity = self.stages.activity(cycle.cycle_year).await?;
        Ok(progress::progress(
            cycle,
            frame.as_ref(),
            &activity,
            Utc::now(),
        ))
    }

    async fn admit<T>(
        &self,
        request: Request<T>,
        roles: &[Role],
        action: &str,
    ) -> std::result::Result<(Principal, T), Status> {
        self.identity.admit(request, roles, action).await
    }

    /// Appends an audit row, retrying while concurrent appends take the sequence number first.
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let entry = audit::Entry {
                actor,
                action,
                subject,
                details: details.clone(),
            };
            match audit::append(&self.db, entry).await {
                Ok(_) => return Ok(()),
                Err(Error::Conflict(_)) if attempt < AUDIT_ATTEMPTS => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

fn cycle_checked(cycle_year: i32) -> Result<i32> {
    let mut v = Violations::new();
    check_cycle_year("cycle_year", cycle_year, &mut v);
    v.finish(cycle_year)
}

fn required_time(
    field: &str,
    t: Option<&ndrs_proto::prost_types::Timestamp>,
) -> Result<chrono::DateTime<Utc>> {
    match t {
        Some(t) => to_datetime(field, t),
        None => Err(Error::invalid(field, "is required")),
    }
}

#[tonic::async_trait]
impl SurveyCycleService for CycleApi {
    async fn open_cycle(
        &self,
        request: Request<pb::OpenCycleRequest>,
    ) -> std::result::Result<Response<pb::Cycle>, Status> {
        let (who, req) = self
            .admit(request, &[Role::Organiser], "open a cycle")
            .await?;
        let opening = (|| {
            let reference_date = if req.reference_date.trim().is_empty() {
                None
            } else {
                Some(
                    NaiveDate::parse_from_str(req.reference_date.trim(), "%Y-%m-%d")
                        .map_err(|_| Error::invalid("reference_date", "a date, YYYY-MM-DD"))?,
                )
            };
            Ok::<_, Error>(Opening {
                cycle_year: req.cycle_year,
                reference_date,
                opens_at: req
                    .opens_at
                    .as_ref()
                    .map(|t| to_datetime("opens_at", t))
                    .transpose()?,
                deadline: required_time("deadline", req.deadline.as_ref())?,
            })
        })()
        .into_status()?;
        let cycle = self
            .calendar
            .open(opening, &who.name, Utc::now())
            .await
            .into_status()?;
        let proto = cycle_to_proto(&cycle);
        self.audit(
            &who.name,
            "cycle.opened",
            &format!("cycle {}", cycle.cycle_year),
            serde_json::json!({
                "reference_date": proto.reference_date,
                "opens_at": ndrs_platform::timestamp::display(proto.opens_at.as_ref()),
                "deadline": ndrs_platform::timestamp::display(proto.deadline.as_ref()),
            }),
        )
        .await
        .into_status()?;
        Ok(Response::new(proto))
    }

    async fn extend_cycle(
        &self,
        request: Request<pb::ExtendCycleRequest>,
    ) -> std::result::Result<Response<pb::Cycle>, Status> {
        let (who, req) = self
            .admit(request, &[Role::Organiser], "extend a cycle")
            .await?;
        cycle_checked(req.cycle_year).into_status()?;
        let deadline = required_time("deadline", req.deadline.as_ref()).into_status()?;
        let cycle = self
            .calendar
            .extend(req.cycle_year, deadline, &req.reason, &who.name, Utc::now())
            .await
            .into_status()?;
        let proto = cycle_to_proto(&cycle);
        self.audit(
            &who.name,
            "cycle.extended",
            &format!("cycle {}", cycle.cycle_year),
            serde_json::json!({
                "deadline": ndrs_platform::timestamp::display(proto.deadline.as_ref()),
                "reason": req.reason.trim(),
            }),
        )
        .await
        .into_status()?;
        Ok(Response::new(proto))
    }

    async fn close_cycle(
        &self,
        request: Request<pb::CloseCycleRequest>,
    ) -> std::result::Result<Response<pb::Cycle>, Status> {
        let (who, req) = self
            .admit(request, &[Role::Organiser], "close a cycle")
            .await?;
        cycle_checked(req.cycle_year).into_status()?;
        let cycle = self
            .calendar
            .close(req.cycle_year, &who.name, Utc::now())
            .await
            .into_status()?;
        self.audit(
            &who.name,
            "cycle.closed",
            &format!("cycle {}", cycle.cycle_year),
            serde_json::json!({}),
        )
        .await
        .into_status()?;
        Ok(Response::new(cycle_to_proto(&cycle)))
    }

    async fn get_cycle(
        &self,
        request: Request<pb::GetCycleRequest>,
    ) -> std::result::Result<Response<pb::Cycle>, Status> {
        let (_, req) = self.admit(request, &Role::ALL, "read a cycle").await?;
        cycle_checked(req.cycle_year).into_status()?;
        let cycle = self.calendar.get(req.cycle_year).await.into_status()?;
        Ok(Response::new(cycle_to_proto(&cycle)))
    }

    async fn list_cycles(
        &self,
        request: Request<pb::ListCyclesRequest>,
    ) -> std::result::Result<Response<pb::ListCyclesResponse>, Status> {
        self.admit(request, &Role::ALL, "list cycles").await?;
        let cycles = self.calendar.list().await.into_status()?;
        Ok(Response::new(pb::ListCyclesResponse {
            cycles: cycles.iter().map(cycle_to_proto).collect(),
        }))
    }

    async fn load_frame(
        &self,
        request: Request<pb::LoadFrameRequest>,
    ) -> std::result::Result<Response<pb::FrameSummary>, Status> {
        let (who, req) = self
            .admit(request, &[Role::Organiser], "load a reporting frame")
            .await?;
        let (cycle_year, body) = frame::from_request(req).into_status()?;
        let loaded = self
            .frames
            .load(cycle_year, body, &who.name)
            .await
            .into_status()?;
        let summary = frame::summary(&loaded);
        self.audit(
            &who.name,
            "frame.loaded",
            &format!("cycle {cycle_year} frame v{}", loaded.version),
            serde_json::json!({
                "units": summary.units,
                "expected_returns": summary.expected_returns,
                "content_hash": summary.content_hash,
            }),
        )
        .await
        .into_status()?;
        Ok(Response::new(summary))
    }

    async fn get_frame(
        &self,
        request: Request<pb::GetFrameRequest>,
    ) -> std::result::Result<Response<pb::Frame>, Status> {
        let (_, req) = self
            .admit(request, &[Role::Organiser], "read a reporting frame")
            .await?;
        cycle_checked(req.cycle_year).into_status()?;
        let frame = self
            .frames
            .get(req.cycle_year, req.version)
            .await
            .into_status()?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no reporting frame for cycle {} (version {})",
                    req.cycle_year, req.version
                ))
            })
            .into_status()?;
        Ok(Response::new(pb::Frame {
            summary: Some(frame::summary(&frame)),
            units: frame.body.units.iter().map(frame::unit_to_proto).collect(),
        }))
    }

    async fn get_cycle_progress(
        &self,
        request: Request<pb::GetCycleProgressRequest>,
    ) -> std::result::Result<Response<pb::CycleProgress>, Status> {
        let (_, req) = self
            .admit(request, &[Role::Organiser], "read a cycle's progress")
            .await?;
        cycle_checked(req.cycle_year).into_status()?;
        let cycle = self.calendar.get(req.cycle_year).await.into_status()?;
        let report = self.report(&cycle).await.into_status()?;
        crate::cycles::record_metrics(&report);
        Ok(Response::new(report))
    }
}
