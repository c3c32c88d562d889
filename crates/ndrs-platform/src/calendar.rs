//! The survey calendar: each cycle's collection window (opened, extended, closed by the
//! organiser) and the one question every stage service asks of it before storing a return: is
//! the cycle open, and is the return late?
//!
//! The calendar lives beside the tokens, in the identity database every service already opens,
//! rather than behind a gRPC call to the aggregator: a partner's submission must not fail because
//! another service is down, and a deadline or a close takes effect at once for every service and
//! replica, with no cache to go stale (docs/decisions.md). Only the aggregator's
//! `SurveyCycleService` writes it, and it audits every change.

mod entity;
pub mod migration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use ndrs_core::{Error, Result, Violations};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use crate::db::db_error;
use entity::{cycle, cycle_event};

/// Longest reason an extension may give.
pub const MAX_REASON_CHARS: usize = 1_000;

/// Whether a cycle takes returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleState {
    Open,
    Closed,
}

impl CycleState {
    fn code(self) -> &'static str {
        match self {
            CycleState::Open => "open",
            CycleState::Closed => "closed",
        }
    }

    fn from_code(code: &str) -> Self {
        if code == "closed" {
            CycleState::Closed
        } else {
            CycleState::Open
        }
    }
}

/// One recorded action on a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `open`, `extend` or `close`.
    pub action: String,
    /// The deadline in force from this event on (open and extend).
    pub deadline: Option<DateTime<Utc>>,
    pub reason: String,
}

/// A cycle as the calendar holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub cycle_year: i32,
    pub reference_date: NaiveDate,
    pub opens_at: DateTime<Utc>,
    /// The deadline in force now.
    pub deadline: DateTime<Utc>,
    pub state: CycleState,
    /// Oldest first.
    pub events: Vec<CycleEvent>,
}

impl Cycle {
    /// The deadline that was in force at `at`: the one set by the last opening or extension
    /// before it. A return is late when it came after the deadline of its own moment, so a later
    /// extension does not make an earlier late return punctual, nor the other way round.
    pub fn deadline_at(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.events
            .iter()
            .filter(|e| e.at <= at)
            .filter_map(|e| e.deadline)
            .next_back()
            .unwrap_or(self.deadline)
    }

    /// Whether a return first received at `at` was late.
    pub fn is_late(&self, at: DateTime<Utc>) -> bool {
        at > self.deadline_at(at)
    }
}

/// What the calendar says of a return arriving now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// After the deadline, before the close: taken, flagged late.
    pub late: bool,
}

/// How a new cycle is opened.
#[derive(Debug, Clone)]
pub struct Opening {
    pub cycle_year: i32,
    /// `None`: 31 December of the cycle year.
    pub reference_date: Option<NaiveDate>,
    /// `None`: now.
    pub opens_at: Option<DateTime<Utc>>,
    pub deadline: DateTime<Utc>,
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse(field: &str, t: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Internal(format!("stored {field} {t:?} does not parse: {e}")))
}

/// The calendar over the identity database.
#[derive(Clone)]
pub struct Calendar {
    db: DatabaseConnection,
}

impl Calendar {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// A cycle with its events; NOT_FOUND when it was never opened.
    pub async fn get(&self, cycle_year: i32) -> Result<Cycle> {
        self.find(cycle_year).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "cycle {cycle_year} has not been opened (an organiser opens it with `ndrs cycle open`)"
            ))
        })
    }

    async fn find(&self, cycle_year: i32) -> Result<Option<Cycle>> {
        let Some(row) = cycle::Entity::find_by_id(cycle_year)
            .one(&self.db)
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        let events = cycle_event::Entity::find()
            .filter(cycle_event::Column::CycleYear.eq(cycle_year))
            .order_by_asc(cycle_event::Column::Seq)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(Some(to_cycle(row, events)?))
    }

    /// Every cycle, latest year first.
    pub async fn list(&self) -> Result<Vec<Cycle>> {
        let rows = cycle::Entity::find()
            .order_by_desc(cycle::Column::CycleYear)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut cycles = Vec::with_capacity(rows.len());
        for row in rows {
            cycles.push(self.get(row.cycle_year).await?);
        }
        Ok(cycles)
    }

    /// Opens a cycle. A cycle opens once: FAILED_PRECONDITION when it was opened before (its
    /// deadline is extended, not re-opened).
    pub async fn open(&self, opening: Opening, actor: &str, now: DateTime<Utc>) -> Result<Cycle> {
        let mut v = Violations::new();
        crate::stage::check_cycle_year("cycle_year", opening.cycle_year, &mut v);
        let opens_at = opening.opens_at.unwrap_or(now);
        if opening.deadline <= opens_at {
            v.push("deadline", "must be after the window opens");
        }
        let reference_date = opening
            .reference_date
            .or_else(|| NaiveDate::from_ymd_opt(opening.cycle_year, 12, 31));
        if reference_date.is_none() {
            v.push("reference_date", "is required");
        }
        let reference_date = v.finish(reference_date)?.expect("checked above");
        let txn = self.db.begin().await.map_err(db_error)?;
        if cycle::Entity::find_by_id(opening.cycle_year)
            .one(&txn)
            .await
            .map_err(db_error)?
            .is_some()
        {
            return Err(Error::FailedPrecondition(format!(
                "cycle {} was opened before; extend its deadline or close it",
                opening.cycle_year
            )));
        }
        cycle::ActiveModel {
            cycle_year: Set(opening.cycle_year),
            reference_date: Set(reference_date.to_string()),
            opens_at: Set(text(opens_at)),
            deadline: Set(text(opening.deadline)),
            state: Set(CycleState::Open.code().into()),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            Error::FailedPrecondition(format!(
                "cycle {} was opened concurrently: {e}",
                opening.cycle_year
            ))
        })?;
        record(
            &txn,
            opening.cycle_year,
            now,
            actor,
            "open",
            Some(opening.deadline),
            "",
        )
        .await?;
        txn.commit().await.map_err(db_error)?;
        self.get(opening.cycle_year).await
    }

    /// Moves an open cycle's deadline later.
    pub async fn extend(
        &self,
        cycle_year: i32,
        deadline: DateTime<Utc>,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Cycle> {
        let reason = reason.trim();
        let mut v = Violations::new();
        if reason.is_empty() {
            v.push("reason", "is required: say why the deadline moves");
        } else if reason.chars().count() > MAX_REASON_CHARS {
            v.push("reason", format!("at most {MAX_REASON_CHARS} characters"));
        }
        v.finish(())?;
        let txn = self.db.begin().await.map_err(db_error)?;
        let current = open_row(&txn, cycle_year, "extended").await?;
        let in_force = parse("deadline", &current.deadline)?;
        if deadline <= in_force {
            return Err(Error::invalid(
                "deadline",
                format!(
                    "must be later than the deadline in force ({}); a deadline is extended, never \
                     brought forward",
                    text(in_force)
                ),
            ));
        }
        let mut row: cycle::ActiveModel = current.into();
        row.deadline = Set(text(deadline));
        row.update(&txn).await.map_err(db_error)?;
        record(
            &txn,
            cycle_year,
            now,
            actor,
            "extend",
            Some(deadline),
            reason,
        )
        .await?;
        txn.commit().await.map_err(db_error)?;
        self.get(cycle_year).await
    }

    /// Closes an open cycle.
    pub async fn close(&self, cycle_year: i32, actor: &str, now: DateTime<Utc>) -> Result<Cycle> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let current = open_row(&txn, cycle_year, "closed").await?;
        let mut row: cycle::ActiveModel = current.into();
        row.state = Set(CycleState::Closed.code().into());
        row.update(&txn).await.map_err(db_error)?;
        record(&txn, cycle_year, now, actor, "close", None, "").await?;
        txn.commit().await.map_err(db_error)?;
        self.get(cycle_year).await
    }

    /// Whether a return for `cycle_year` arriving at `now` is taken: FAILED_PRECONDITION, saying
    /// why, when the cycle was never opened, has not opened yet or is closed.
    pub async fn admit(&self, cycle_year: i32, now: DateTime<Utc>) -> Result<Admission> {
        let row = cycle::Entity::find_by_id(cycle_year)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| {
                Error::FailedPrecondition(format!(
                    "cycle {cycle_year} is not open: the working group has not opened it"
                ))
            })?;
        if CycleState::from_code(&row.state) == CycleState::Closed {
            return Err(Error::FailedPrecondition(format!(
                "cycle {cycle_year} is closed: returns for it are no longer taken"
            )));
        }
        let opens_at = parse("opens_at", &row.opens_at)?;
        if now < opens_at {
            return Err(Error::FailedPrecondition(format!(
                "cycle {cycle_year} is not open yet: its collection window opens at {}",
                row.opens_at
            )));
        }
        Ok(Admission {
            late: now > parse("deadline", &row.deadline)?,
        })
    }
}

/// The cycle's row, which must be open for the change `done` names.
async fn open_row<C: sea_orm::ConnectionTrait>(
    conn: &C,
    cycle_year: i32,
    done: &str,
) -> Result<cycle::Model> {
    let row = cycle::Entity::find_by_id(cycle_year)
        .one(conn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::NotFound(format!("cycle {cycle_year} has not been opened")))?;
    if CycleState::from_code(&row.state) == CycleState::Closed {
        return Err(Error::FailedPrecondition(format!(
            "cycle {cycle_year} is closed and cannot be {done}"
        )));
    }
    Ok(row)
}

async fn record<C: sea_orm::ConnectionTrait>(
    conn: &C,
    cycle_year: i32,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    deadline: Option<DateTime<Utc>>,
    reason: &str,
) -> Result<()> {
    cycle_event::ActiveModel {
        seq: sea_orm::NotSet,
        cycle_year: Set(cycle_year),
        at: Set(text(at)),
        actor: Set(actor.to_string()),
        action: Set(action.to_string()),
        deadline: Set(deadline.map(text)),
        reason: Set(reason.to_string()),
    }
    .insert(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

fn to_cycle(row: cycle::Model, events: Vec<cycle_event::Model>) -> Result<Cycle> {
    let events = events
        .into_iter()
        .map(|e| {
            Ok(CycleEvent {
                at: parse("at", &e.at)?,
                actor: e.actor,
                action: e.action,
                deadline: e
                    .deadline
                    .as_deref()
                    .map(|d| parse("deadline", d))
                    .transpose()?,
                reason: e.reason,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Cycle {
        cycle_year: row.cycle_year,
        reference_date: NaiveDate::parse_from_str(&row.reference_date, "%Y-%m-%d")
            .map_err(|e| Error::Internal(format!("stored reference date does not parse: {e}")))?,
        opens_at: parse("opens_at", &row.opens_at)?,
        deadline: parse("deadline", &row.deadline)?,
        state: CycleState::from_code(&row.state),
        events,
    })
}

#[cfg(test)]
mod tests;
