//! PostgreSQL, for a team that already runs one or wants several servers.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, SqlStr};

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connect to `url` (`postgres://…`).
    pub async fn open(url: &str) -> Result<PgStore, super::StoreError> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        Ok(PgStore { pool })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn migrator(&self) -> Migrator {
        let m = |version, name: &str, sql| {
            Migration::new(
                version,
                name.to_string().into(),
                MigrationType::Simple,
                SqlStr::from_static(sql),
                false,
            )
        };
        Migrator::with_migrations(vec![
            m(1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
            m(2, "flags", include_str!("../../migrations/postgres/0002_flags.sql")),
        ])
    }
}

super::sql::impl_store!(PgStore, Postgres);
