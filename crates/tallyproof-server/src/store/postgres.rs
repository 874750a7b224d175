//! PostgreSQL, for a team that already runs one or wants several servers.

use sqlx::Postgres;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connect to `url` (`postgres://…`).
    pub async fn open(url: &str) -> Result<PgStore, super::StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        Ok(PgStore { pool })
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn migrator(&self) -> Migrator {
        super::sql::migrator(&[
            (
                "init",
                include_str!("../../migrations/postgres/0001_init.sql"),
            ),
            (
                "flags",
                include_str!("../../migrations/postgres/0002_flags.sql"),
            ),
            (
                "lookup indexes",
                include_str!("../../migrations/postgres/0003_lookup_indexes.sql"),
            ),
            (
                "pending uploads",
                include_str!("../../migrations/postgres/0004_pending_uploads.sql"),
            ),
            (
                "decisions by station",
                include_str!("../../migrations/postgres/0005_decisions_station.sql"),
            ),
            (
                "stations changed",
                include_str!("../../migrations/postgres/0006_stations_changed.sql"),
            ),
        ])
    }
}

super::sql::impl_store!(PgStore, Postgres);
