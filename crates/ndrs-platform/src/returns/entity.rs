//! sea-orm entities of the return store and outbox tables.

pub mod submitted_return {
    use sea_orm::entity::prelude::*;

    /// One version of one return. Rows are only ever inserted: a correction is a new row with the
    /// next version number, so the history is the table itself.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "submitted_return")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub return_id: String,
        pub version: i32,
        pub return_kind: String,
        pub cycle_year: i32,
        pub reporting_unit_id: String,
        pub idempotency_key: String,
        pub content_hash: String,
        #[sea_orm(column_type = "Text")]
        pub payload_json: String,
        #[sea_orm(column_type = "Text")]
        pub findings_json: String,
        pub submitted_by: String,
        pub received_at: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod outbox_event {
    use sea_orm::entity::prelude::*;

    /// An event written in the same transaction as the data it announces; the relay publishes it
    /// and stamps `published_at`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub topic: String,
        #[sea_orm(column_type = "Text")]
        pub payload_json: String,
        pub created_at: String,
        pub published_at: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refused_submission {
    use sea_orm::entity::prelude::*;

    /// One refused submission: who, what, when and the first reason; never its payload.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refused_submission")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub return_kind: String,
        pub cycle_year: i32,
        pub reporting_unit_id: String,
        pub refused_at: String,
        #[sea_orm(column_type = "Text")]
        pub reason: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
