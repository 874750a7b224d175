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
        let pool = PgPoolOptions::new().max_connections(16).connect(url).await?;
        Ok(PgStore { pool })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn migrator(&self) -> Migrator {
        Migrator::with_migrations(vec![
            Migration::new(
            1,
            "init".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../../migrations/postgres/0001_init.sql")),
            false,
        ),
        Migration::new(
            2,
            "lookup indexes".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../../migrations/postgres/0002_lookup_indexes.sql")),
            false,
        )])
    }
}

super::sql::impl_store!(PgStore, Postgres);
