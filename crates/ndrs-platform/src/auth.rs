//! Bearer-token authentication and the principals it yields.
//!
//! Tokens are 256 random bits issued by `ndrs admin issue-token` and shown once; only their
//! SHA-256 is stored. A slow password hash (argon2) would add nothing here: the token space is far
//! too large to brute-force, and a fast hash lets every call be checked without a cost per request.
//! Authorisation is checked by the handlers against the resource's owner (a reporter reads and
//! corrects only its own unit's returns), with the helpers on [`Principal`].
//!
//! Every token has a validity period (`auth.token_validity_days` unless its issuer says otherwise):
//! an expired token is unauthenticated, saying so. Every call takes one token from its caller's
//! rate limit ([`crate::rate_limit`]).

use std::fmt;

use chrono::{SecondsFormat, Utc};
use ndrs_core::{Error, Result};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataMap;

use crate::db::db_error;
use crate::rate_limit::{Rate, RateLimiter};

/// What a principal may do. A reporter is always bound to one reporting unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The working group: opens cycles, loads frames and rules, runs validation, chairs review.
    Organiser,
    /// A partner agency or reporting unit: submits and corrects its own returns.
    Reporter,
    /// Reviews frozen candidates and votes.
    Expert,
    /// Publishes releases that passed all three validation stages.
    Publisher,
    /// Reads published releases.
    Reader,
    /// An ndrs service calling another (the aggregator fetching stage results).
    Service,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Organiser,
        Role::Reporter,
        Role::Expert,
        Role::Publisher,
        Role::Reader,
        Role::Service,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Organiser => "organiser",
            Role::Reporter => "reporter",
            Role::Expert => "expert",
            Role::Publisher => "publisher",
            Role::Reader => "reader",
            Role::Service => "service",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The reporting unit a reporter is bound to; `None` for every other role.
    pub reporting_unit_id: Option<String>,
}

impl Principal {
    /// Refuses unless the principal has one of `roles`.
    pub fn require_role(&self, roles: &[Role], action: &str) -> Result<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "role {} may not {action}",
                self.role
            )))
        }
    }

    /// Refuses unless the principal is the reporter bound to `unit`: only a unit itself submits
    /// and corrects its returns.
    pub fn require_reporter_for(&self, unit: &str) -> Result<()> {
        self.require_role(&[Role::Reporter], "submit returns")?;
        if self.reporting_unit_id.as_deref() == Some(unit) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "reporter {} is not bound to reporting unit {unit}",
                self.name
            )))
        }
    }

    /// Organisers and services read every unit's returns; a reporter only its own.
    pub fn may_read_unit(&self, unit: &str) -> bool {
        match self.role {
            Role::Organiser | Role::Service => true,
            Role::Reporter => self.reporting_unit_id.as_deref() == Some(unit),
            _ => false,
        }
    }
}

/// A freshly issued token; the plain text exists only in this value.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token_id: String,
    pub token: String,
    pub principal: Principal,
}

pub mod token_entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "access_token")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_id: String,
        #[sea_orm(unique)]
        pub token_sha256: String,
        pub principal_name: String,
        pub role: String,
        pub reporting_unit_id: Option<String>,
        pub issued_at: String,
        pub revoked_at: Option<String>,
        /// RFC 3339; `None` for tokens issued before tokens expired (they expire
        /// `auth.token_validity_days` after `issued_at`).
        pub expires_at: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod migration {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    use crate::db;

    /// Migration names are explicit: derived names come from the file name and would collide
    /// between migrations that share a file.
    pub struct CreateAccessToken;

    impl MigrationName for CreateAccessToken {
        fn name(&self) -> &str {
            "m20261124_000001_create_access_token"
        }
    }

    #[derive(DeriveIden)]
    enum AccessToken {
        Table,
        TokenId,
        TokenSha256,
        PrincipalName,
        Role,
        ReportingUnitId,
        IssuedAt,
        RevokedAt,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateAccessToken {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            db::create_table(
                manager,
                Table::create()
                    .table(AccessToken::Table)
                    .col(string(AccessToken::TokenId).primary_key())
                    .col(string(AccessToken::TokenSha256).unique_key())
                    .col(string(AccessToken::PrincipalName))
                    .col(string(AccessToken::Role))
                    .col(string_null(AccessToken::ReportingUnitId))
                    .col(string(AccessToken::IssuedAt))
                    .col(string_null(AccessToken::RevokedAt)),
            )
            .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            db::drop_table(manager, AccessToken::Table).await
        }
    }

    /// Tokens get a validity period.
    pub struct AddTokenExpiry;

    impl MigrationName for AddTokenExpiry {
        fn name(&self) -> &str {
            "m20261201_000002_add_token_expiry"
        }
    }

    #[derive(DeriveIden)]
    enum AccessTokenExpiry {
        #[sea_orm(iden = "access_token")]
        Table,
        ExpiresAt,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for AddTokenExpiry {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            db::add_column(
                manager,
                AccessTokenExpiry::Table,
                &mut string_null(AccessTokenExpiry::ExpiresAt),
            )
            .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            db::drop_column(
                manager,
                AccessTokenExpiry::Table,
                AccessTokenExpiry::ExpiresAt,
            )
            .await
        }
    }

    pub struct IdentityMigrator;

    impl sea_orm_migration::MigratorTraitSelf for IdentityMigrator {
        fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
            vec![
                Box::new(CreateAccessToken),
                Box::new(AddTokenExpiry),
                Box::new(crate::calendar::migration::CreateCalendar),
            ]
        }
    }
}

fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The token store shared by all services (it belongs to the platform, not to any one service).
#[derive(Clone)]
pub struct IdentityStore {
    db: DatabaseConnection,
    /// How long a token is valid when its issuer does not say.
    validity: chrono::Duration,
    limiter: RateLimiter,
    rate: Rate,
}

fn rate_of(settings: &crate::settings::Settings) -> Rate {
    Rate {
        per_second: settings.auth.rate_limit_per_second,
        burst: settings.auth.rate_limit_burst,
    }
}

fn validity_of(settings: &crate::settings::Settings) -> chrono::Duration {
    chrono::Duration::days(i64::from(settings.auth.token_validity_days))
}

impl IdentityStore {
    /// Opens (and migrates) the identity database the settings point at, with rate limits in
    /// Redis when the bus is Redis (shared by every replica), in the process otherwise.
    pub async fn open(settings: &crate::settings::Settings) -> Result<Self> {
        let target = crate::db::DatabaseTarget::resolve(
            settings,
            "identity",
            &settings.auth.identity_database_url,
        )?;
        let db = crate::db::connect_and_migrate(&target, &migration::IdentityMigrator).await?;
        let rate = rate_of(settings);
        // A Redis that cannot be reached at start must not stop the service (or `ndrs admin`):
        // the limits then hold per process until the next start.
        let limiter = match settings.bus.kind {
            crate::settings::BusKind::Redis => {
                match RateLimiter::redis(&settings.bus.redis_url, &settings.bus.namespace, rate)
                    .await
                {
                    Ok(limiter) => limiter,
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limits fall back to this process: redis is unreachable");
                        RateLimiter::in_process(rate)
                    }
                }
            }
            crate::settings::BusKind::InProcess => RateLimiter::in_process(rate),
        };
        Ok(Self {
            db,
            validity: validity_of(settings),
            limiter,
            rate,
        })
    }

    /// A store over an open connection, with the built-in validity and in-process rate limits.
    pub fn from_connection(db: DatabaseConnection) -> Self {
        let defaults = crate::settings::Settings::defaults();
        let rate = rate_of(&defaults);
        Self {
            db,
            validity: validity_of(&defaults),
            limiter: RateLimiter::in_process(rate),
            rate,
        }
    }

    /// The survey calendar, in the same database ([`crate::calendar`]).
    pub fn calendar(&self) -> crate::calendar::Calendar {
        crate::calendar::Calendar::new(self.db.clone())
    }

    /// Closes the store's pool. A command-line call does this before it returns: a pool left to
    /// the runtime's shutdown can keep a connection task spinning after the work is done.
    pub async fn close(self) {
        if let Err(e) = self.db.close().await {
            tracing::warn!(error = %e, "closing the identity database");
        }
    }

    /// Issues a new token, valid for `auth.token_validity_days`. A reporter must be bound to a
    /// unit; other roles must not be.
    pub async fn issue(
        &self,
        name: &str,
        role: Role,
        reporting_unit_id: Option<&str>,
    ) -> Result<IssuedToken> {
        self.issue_until(name, role, reporting_unit_id, self.validity)
            .await
    }

    /// Issues a new token valid for `valid_for` from now.
    pub async fn issue_valid_for(
        &self,
        name: &str,
        role: Role,
        reporting_unit_id: Option<&str>,
        valid_for: std::time::Duration,
    ) -> Result<IssuedToken> {
        let valid_for = chrono::Duration::from_std(valid_for)
            .map_err(|_| Error::invalid("valid_for", "is too long"))?;
        self.issue_until(name, role, reporting_unit_id, valid_for)
            .await
    }

    async fn issue_until(
        &self,
        name: &str,
        role: Role,
        reporting_unit_id: Option<&str>,
        valid_for: chrono::Duration,
    ) -> Result<IssuedToken> {
        let mut v = ndrs_core::Violations::new();
        v.check(
            valid_for > chrono::Duration::zero(),
            "valid_for",
            "a token must be valid for some time",
        );
        v.line("name", name, ndrs_core::limits::MAX_LINE_CHARS, true);
        match (role, reporting_unit_id) {
            (Role::Reporter, None) => v.push(
                "reporting_unit_id",
                "a reporter must be bound to a reporting unit",
            ),
            (Role::Reporter, Some(u)) if u.trim().is_empty() => {
                v.push("reporting_unit_id", "must not be empty")
            }
            (r, Some(_)) if r != Role::Reporter => v.push(
                "reporting_unit_id",
                "only reporters are bound to a reporting unit",
            ),
            _ => {}
        }
        v.finish(())?;
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let token = format!("ndrs_{}", hex::encode(secret));
        let token_id = uuid::Uuid::now_v7().to_string();
        let now = Utc::now();
        let expires_at = now
            .checked_add_signed(valid_for)
            .ok_or_else(|| Error::invalid("valid_for", "is too long"))?;
        token_entity::ActiveModel {
            token_id: Set(token_id.clone()),
            token_sha256: Set(sha256_hex(&token)),
            principal_name: Set(name.to_string()),
            role: Set(role.code().to_string()),
            reporting_unit_id: Set(reporting_unit_id.map(str::to_string)),
            issued_at: Set(now.to_rfc3339_opts(SecondsFormat::Secs, true)),
            revoked_at: Set(None),
            expires_at: Set(Some(
                expires_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            )),
        }
        .insert(&self.db)
        .await
        .map_err(db_error)?;
        Ok(IssuedToken {
            token_id,
            token,
            principal: Principal {
                name: name.to_string(),
                role,
                reporting_unit_id: reporting_unit_id.map(str::to_string),
            },
        })
    }

    /// When a token expires (RFC 3339), by its id; `None` for a token of before expiry existed.
    pub async fn expiry(&self, token_id: &str) -> Result<Option<String>> {
        Ok(token_entity::Entity::find_by_id(token_id.to_string())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::NotFound(format!("token {token_id}")))?
            .expires_at)
    }

    /// Revokes a token by id; later calls with it are unauthenticated.
    pub async fn revoke(&self, token_id: &str) -> Result<()> {
        let row = token_entity::Entity::find_by_id(token_id.to_string())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::NotFound(format!("token {token_id}")))?;
        let mut row: token_entity::ActiveModel = row.into();
        row.revoked_at = Set(Some(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)));
        row.update(&self.db).await.map_err(db_error)?;
        Ok(())
    }

    /// Resolves a presented token to its principal.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        self.lookup(token).await.map(|found| found.principal)
    }

    /// The token's id, principal and expiry, if it is known, not revoked and not expired.
    async fn lookup(&self, token: &str) -> Result<Found> {
        let row = token_entity::Entity::find()
            .filter(token_entity::Column::TokenSha256.eq(sha256_hex(token)))
            .one(&self.db)
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::Unauthenticated("unknown token".into()))?;
        if row.revoked_at.is_some() {
            return Err(Error::Unauthenticated("token revoked".into()));
        }
        let expires_at = match &row.expires_at {
            Some(at) => chrono::DateTime::parse_from_rfc3339(at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| Error::Internal(format!("stored token expiry unreadable: {e}")))?,
            None => chrono::DateTime::parse_from_rfc3339(&row.issued_at)
                .map(|t| t.with_timezone(&Utc) + self.validity)
                .map_err(|e| Error::Internal(format!("stored token issue time unreadable: {e}")))?,
        };
        if Utc::now() >= expires_at {
            return Err(Error::Unauthenticated(format!(
                "token expired at {}; ask the working group for a new one",
                expires_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            )));
        }
        let role = Role::from_code(&row.role).ok_or_else(|| {
            Error::Internal(format!("stored token has unknown role {}", row.role))
        })?;
        Ok(Found {
            token_id: row.token_id,
            principal: Principal {
                name: row.principal_name,
                role,
                reporting_unit_id: row.reporting_unit_id,
            },
            expires_at,
        })
    }

    /// Authenticates the bearer token in a request's metadata and takes the call from the
    /// token's rate limit ([`crate::rate_limit`]); the system's own service principals are not
    /// limited.
    pub async fn principal(&self, metadata: &MetadataMap) -> Result<Principal> {
        self.caller(metadata).await.map(|(principal, _)| principal)
    }

    /// As [`IdentityStore::principal`], with the time the caller's token expires.
    pub async fn caller(
        &self,
        metadata: &MetadataMap,
    ) -> Result<(Principal, chrono::DateTime<Utc>)> {
        let Found {
            token_id,
            principal,
            expires_at,
        } = self.lookup(bearer_token(metadata)?).await?;
        if principal.role != Role::Service
            && let Some(retry_after) = self.limiter.acquire(&token_id).await
        {
            return Err(Error::RateLimited {
                message: format!(
                    "{} sent more than {} calls a second (bursts of {})",
                    ndrs_core::error::bounded(&principal.name, 80),
                    self.rate.per_second,
                    self.rate.burst
                ),
                retry_after,
            });
        }
        Ok((principal, expires_at))
    }

    /// Authenticates the caller and checks that its role may perform `action`.
    pub async fn authorise(
        &self,
        metadata: &MetadataMap,
        roles: &[Role],
        action: &str,
    ) -> Result<Principal> {
        let principal = self.principal(metadata).await?;
        principal.require_role(roles, action)?;
        Ok(principal)
    }

    /// Authorises the caller of `request` for `action` and opens the request: a handler that
    /// starts here cannot read a request before its caller is checked.
    pub async fn admit<T>(
        &self,
        request: tonic::Request<T>,
        roles: &[Role],
        action: &str,
    ) -> std::result::Result<(Principal, T), tonic::Status> {
        let principal = self
            .authorise(request.metadata(), roles, action)
            .await
            .map_err(crate::grpc_status::to_status)?;
        Ok((principal, request.into_inner()))
    }
}

/// A token found valid.
struct Found {
    token_id: String,
    principal: Principal,
    expires_at: chrono::DateTime<Utc>,
}

/// Extracts the token from `authorization: Bearer <token>`.
pub fn bearer_token(metadata: &MetadataMap) -> Result<&str> {
    let value = metadata
        .get("authorization")
        .ok_or_else(|| Error::Unauthenticated("missing authorization header".into()))?
        .to_str()
        .map_err(|_| Error::Unauthenticated("authorization header is not ascii".into()))?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Unauthenticated("expected a bearer token".into()))
}

#[cfg(test)]
mod tests;

pub mod service;
