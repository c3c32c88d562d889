//! The calendar's tables, in the identity database (run by its migrator).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::db;

pub struct CreateCalendar;

impl MigrationName for CreateCalendar {
    fn name(&self) -> &str {
        "m20261203_000003_create_survey_calendar"
    }
}

#[derive(DeriveIden)]
enum SurveyCycle {
    Table,
    CycleYear,
    ReferenceDate,
    OpensAt,
    Deadline,
    State,
}

#[derive(DeriveIden)]
enum SurveyCycleEvent {
    Table,
    Seq,
    CycleYear,
    At,
    Actor,
    Action,
    Deadline,
    Reason,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCalendar {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        db::create_table(
            manager,
            Table::create()
                .table(SurveyCycle::Table)
                .col(integer(SurveyCycle::CycleYear).primary_key())
                .col(string(SurveyCycle::ReferenceDate))
                .col(string(SurveyCycle::OpensAt))
                .col(string(SurveyCycle::Deadline))
                .col(string(SurveyCycle::State)),
        )
        .await?;
        db::create_table(
            manager,
            Table::create()
                .table(SurveyCycleEvent::Table)
                .col(pk_auto(SurveyCycleEvent::Seq))
                .col(integer(SurveyCycleEvent::CycleYear))
                .col(string(SurveyCycleEvent::At))
                .col(string(SurveyCycleEvent::Actor))
                .col(string(SurveyCycleEvent::Action))
                .col(string_null(SurveyCycleEvent::Deadline))
                .col(string(SurveyCycleEvent::Reason)),
        )
        .await?;
        db::create_index(
            manager,
            "survey_cycle_event_by_cycle",
            SurveyCycleEvent::Table,
            [SurveyCycleEvent::CycleYear],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        db::drop_table(manager, SurveyCycleEvent::Table).await?;
        db::drop_table(manager, SurveyCycle::Table).await
    }
}
