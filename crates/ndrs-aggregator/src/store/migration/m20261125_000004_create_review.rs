//! Stage 3: expert review rounds and votes.

use ndrs_platform::db::{create_table, create_unique_index, drop_table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct CreateReview;

#[derive(DeriveIden)]
enum ReviewRound {
    Table,
    RoundId,
    CycleYear,
    Number,
    CandidateId,
    CandidateHash,
    FrozenHash,
    FiguresJson,
    Quorum,
    State,
    OpenedBy,
    OpenedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum ReviewVote {
    Table,
    VoteId,
    RoundId,
    Expert,
    FigureKey,
    Verdict,
    Reason,
    CastAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateReview {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            manager,
            Table::create()
                .table(ReviewRound::Table)
                .col(string(ReviewRound::RoundId).primary_key())
                .col(integer(ReviewRound::CycleYear))
                .col(integer(ReviewRound::Number))
                .col(string(ReviewRound::CandidateId))
                .col(string(ReviewRound::CandidateHash))
                .col(string(ReviewRound::FrozenHash))
                .col(text(ReviewRound::FiguresJson))
                .col(integer(ReviewRound::Quorum))
                .col(string(ReviewRound::State))
                .col(string(ReviewRound::OpenedBy))
                .col(string(ReviewRound::OpenedAt))
                .col(string_null(ReviewRound::ClosedAt)),
        )
        .await?;
        create_unique_index(
            manager,
            "ux_review_round_number",
            ReviewRound::Table,
            [ReviewRound::CycleYear, ReviewRound::Number],
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table(ReviewVote::Table)
                .col(string(ReviewVote::VoteId).primary_key())
                .col(string(ReviewVote::RoundId))
                .col(string(ReviewVote::Expert))
                .col(string(ReviewVote::FigureKey))
                .col(string(ReviewVote::Verdict))
                .col(text(ReviewVote::Reason))
                .col(string(ReviewVote::CastAt)),
        )
        .await?;
        // One vote per expert and target in a round: the index, not a read, decides races.
        create_unique_index(
            manager,
            "ux_review_vote_expert_target",
            ReviewVote::Table,
            [
                ReviewVote::RoundId,
                ReviewVote::Expert,
                ReviewVote::FigureKey,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, ReviewVote::Table).await?;
        drop_table(manager, ReviewRound::Table).await
    }
}
