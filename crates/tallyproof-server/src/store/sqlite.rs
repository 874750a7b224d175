//! SQLite: one file, created on first start; WAL so that readers never
//! wait for the writer; one writer connection, as SQLite allows one writer
//! at a time anyway; `busy_timeout` for the readers.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Open (or create) the file `url` names (`sqlite:PATH`).
    pub async fn open(url: &str) -> Result<SqliteStore, super::StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a committed transaction survives the
            // process being killed; only a power loss can lose the last ones.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(SqliteStore { writer, reader })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn migrator(&self) -> Migrator {
        super::sql::migrator(&[
            (
                "init",
                include_str!("../../migrations/sqlite/0001_init.sql"),
            ),
            (
                "flags",
                include_str!("../../migrations/sqlite/0002_flags.sql"),
            ),
            (
                "lookup indexes",
                include_str!("../../migrations/sqlite/0003_lookup_indexes.sql"),
            ),
            (
                "pending uploads",
                include_str!("../../migrations/sqlite/0004_pending_uploads.sql"),
            ),
            (
                "decisions by station",
                include_str!("../../migrations/sqlite/0005_decisions_station.sql"),
            ),
            (
                "stations changed",
                include_str!("../../migrations/sqlite/0006_stations_changed.sql"),
            ),
        ])
    }
}

super::sql::impl_store!(SqliteStore, Sqlite);
