//! The aggregator's schema history, one migration per file, named by its file (sea-orm's
//! `DeriveMigrationName`). Names and order are what existing databases recorded when they
//! migrated: never rename a file or reorder the list below (the test pins both).

mod m20261124_000001_create_candidate;
mod m20261124_000002_create_validation;
mod m20261125_000001_create_audit_log;
mod m20261125_000002_create_justification;
mod m20261125_000003_create_benchmarks;
mod m20261125_000004_create_review;
mod m20261125_000005_create_release;
mod m20261125_000006_add_release_sdmx;
mod m20261201_000007_unique_reports;
mod m20261202_000001_report_encoding;

pub use m20261124_000001_create_candidate::CreateCandidate;
pub use m20261124_000002_create_validation::CreateValidation;
pub use m20261125_000001_create_audit_log::CreateAuditLog;
pub use m20261125_000002_create_justification::CreateJustification;
pub use m20261125_000003_create_benchmarks::CreateBenchmarks;
pub use m20261125_000004_create_review::CreateReview;
pub use m20261125_000005_create_release::CreateRelease;
pub use m20261125_000006_add_release_sdmx::AddReleaseSdmx;
pub use m20261201_000007_unique_reports::UniqueReports;
pub use m20261202_000001_report_encoding::ReportEncoding;

use sea_orm_migration::MigrationTrait;

/// The aggregator's schema history.
pub struct Migrator;

impl sea_orm_migration::MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateCandidate),
            Box::new(CreateValidation),
            Box::new(CreateAuditLog),
            Box::new(CreateJustification),
            Box::new(CreateBenchmarks),
            Box::new(CreateReview),
            Box::new(CreateRelease),
            Box::new(AddReleaseSdmx),
            Box::new(UniqueReports),
            Box::new(ReportEncoding),
        ]
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTraitSelf;

    /// Existing databases recorded these names in this order; a renamed file or a reordered
    /// list would make them apply a migration twice or skip one.
    #[test]
    fn migration_names_and_order_are_the_recorded_ones() {
        let names: Vec<String> = super::Migrator
            .migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "m20261124_000001_create_candidate",
                "m20261124_000002_create_validation",
                "m20261125_000001_create_audit_log",
                "m20261125_000002_create_justification",
                "m20261125_000003_create_benchmarks",
                "m20261125_000004_create_review",
                "m20261125_000005_create_release",
                "m20261125_000006_add_release_sdmx",
                "m20261201_000007_unique_reports",
                "m20261202_000001_report_encoding",
            ]
        );
    }
}
