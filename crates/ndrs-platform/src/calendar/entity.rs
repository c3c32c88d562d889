//! The calendar's tables: a row per cycle (its window and state now) and a row per action on it.

pub mod cycle {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_cycle")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub cycle_year: i32,
        /// YYYY-MM-DD.
        pub reference_date: String,
        /// RFC 3339 (UTC, microseconds), like every stored time.
        pub opens_at: String,
        pub deadline: String,
        /// `open` or `closed`.
        pub state: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod cycle_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "survey_cycle_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i32,
        pub cycle_year: i32,
        pub at: String,
        pub actor: String,
        pub action: String,
        pub deadline: Option<String>,
        pub reason: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
