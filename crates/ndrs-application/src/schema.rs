//! This service's schema: the shared return store and outbox, and the versioned cycle documents
//! (sample designs).

/// The migrations of the application survey's database.
pub struct Migrator;

impl sea_orm_migration::MigratorTraitSelf for Migrator {
    fn migrations(&self) -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        vec![
            Box::new(ndrs_platform::returns::migration::CreateReturnStore),
            Box::new(ndrs_platform::documents::migration::CreateCycleDocument),
        ]
    }
}
