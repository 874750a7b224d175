//! Storage in domain terms: stations, witnesses and their tokens' hashes,
//! entries, sheets' states, transitions, decisions and photos. One trait,
//! [`Store`], with two implementations over the same schema: SQLite (a
//! file created on first start, WAL, one writer) and PostgreSQL. Both run
//! the same SQL text (runtime queries, `$n` placeholders, which SQLite
//! reads too), written once in `sql.rs`; only the migrations differ by
//! column types.

mod postgres;
mod sql;
mod sqlite;

use async_trait::async_trait;
use serde::Serialize;
use tallyproof_core::sheet::{Counts, Origin, Sheet, SourceKind};

use crate::flow::{EntryState, Forbidden, SheetState};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back.
    #[error("stored value: {0}")]
    Corrupt(String),
    /// The station is not known.
    #[error("unknown station {0:?}")]
    UnknownStation(String),
    /// The entry is not one of the station's.
    #[error("entry {0} is not one of this station's")]
    UnknownEntry(i64),
    /// The state does not allow this.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("database URL must start with sqlite: or postgres://, not {0:?}")]
    BadUrl(String),
}

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sends entries and photos for the stations in scope.
    Witness,
    /// Also sees the review queue and decides.
    Reviewer,
    /// Everything.
    Admin,
}

impl Role {
    /// `witness`, `reviewer` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Witness => "witness",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    /// The role named by [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Witness, Role::Reviewer, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// A person with a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Witness {
    /// Id in the store.
    pub id: i64,
    /// Public name.
    pub name: String,
    /// What the token allows.
    pub role: Role,
    /// Station-id prefixes in scope; empty means every station.
    pub prefixes: Vec<String>,
    /// SHA-256 of the token, lower-case hex.
    #[serde(skip)]
    pub token_sha256: String,
}

impl Witness {
    /// Whether `station` is in this witness's scope.
    pub fn covers(&self, station: &str) -> bool {
        self.prefixes.is_empty()
            || self
                .prefixes
                .iter()
                .any(|p| station.starts_with(p.as_str()))
    }
}

/// A station: its units per level of the config (code, name) and its
/// registered voters when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationInfo {
    /// The station id.
    pub id: String,
    /// Per level: (code, name); the name may be empty.
    pub units: Vec<(String, String)>,
    /// Registered voters, when known.
    pub registered: Option<u64>,
}

/// One entry to store.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The sheet as parsed and validated.
    pub sheet: Sheet,
    /// Who sent it (none: an import).
    pub witness: Option<i64>,
    /// A client's key: the same key from the same witness returns the
    /// first receipt instead of storing again.
    pub idempotency_key: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// What storing an entry did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The entry's id (the existing one for a duplicate import or a replay).
    pub entry: i64,
    /// The entry's state.
    pub entry_state: EntryState,
    /// The sheet's state after.
    pub sheet: SheetState,
    /// The same idempotency key was used before: nothing new was stored.
    pub replayed: bool,
    /// An import identical to one held: nothing new was stored.
    pub duplicate: bool,
    /// The sheet transition row to which a log leaf belongs, when the
    /// counted numbers changed.
    pub counted_transition: Option<i64>,
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryRow {
    /// Id.
    pub id: i64,
    /// Source.
    pub kind: SourceKind,
    /// Who sent it.
    pub witness: Option<i64>,
    /// The sender's public name.
    pub witness_name: Option<String>,
    /// Numbers.
    pub counts: Counts,
    /// Provenance.
    pub origin: Origin,
    /// State.
    pub state: EntryState,
    /// Unix seconds.
    pub at: i64,
}

impl From<&EntryRow> for crate::flow::Held {
    fn from(e: &EntryRow) -> Self {
        crate::flow::Held {
            id: e.id,
            kind: e.kind,
            witness: e.witness,
            counts: e.counts.clone(),
            state: e.state,
        }
    }
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionRow {
    /// `entry` or `sheet`.
    pub subject: String,
    /// The entry concerned.
    pub entry: Option<i64>,
    /// State before (none: created).
    pub from: Option<String>,
    /// State after.
    pub to: String,
    /// Who caused it (none: an import).
    pub who: Option<String>,
    /// Unix seconds.
    pub at: i64,
    /// The log leaf recording it.
    pub leaf: Option<i64>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRow {
    /// The reviewer's name.
    pub reviewer: String,
    /// The entry chosen.
    pub entry: i64,
    /// Why.
    pub note: String,
    /// Unix seconds.
    pub at: i64,
}

/// A flag that put a sheet in review: why, and the photo concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagRow {
    /// Why, in words a reviewer reads.
    pub reason: String,
    /// The photo concerned, when a photo raised it.
    pub sha256: Option<String>,
    /// Who sent what raised it.
    pub who: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// A photo's record, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadRow {
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The station it was sent for.
    pub station: Option<String>,
    /// `pending`, `read` or `unread`.
    pub qr_status: String,
    /// The station the QR code names, when read.
    pub qr_station: Option<String>,
    /// Why it was not read.
    pub qr_reason: Option<String>,
}

/// Everything held about one station.
#[derive(Debug, Clone, Serialize)]
pub struct StationRecord {
    /// The station.
    pub info: StationInfo,
    /// Its sheet's state (none: no entry yet).
    pub sheet: Option<SheetState>,
    /// The entry whose numbers count.
    pub counted_entry: Option<i64>,
    /// Entries, oldest first.
    pub entries: Vec<EntryRow>,
    /// State changes, oldest first.
    pub transitions: Vec<TransitionRow>,
    /// Decisions, oldest first.
    pub decisions: Vec<DecisionRow>,
    /// Photos: sent for it, naming it in their QR code, or flagged for it.
    pub uploads: Vec<UploadRow>,
    /// Flags, oldest first.
    pub flags: Vec<FlagRow>,
}

impl StationRecord {
    /// What is held about a station with nothing but its units yet.
    pub fn new(info: StationInfo) -> StationRecord {
        StationRecord {
            info,
            sheet: None,
            counted_entry: None,
            entries: Vec::new(),
            transitions: Vec::new(),
            decisions: Vec::new(),
            uploads: Vec::new(),
            flags: Vec::new(),
        }
    }
}

/// The counted numbers of one station.
#[derive(Debug, Clone)]
pub struct Counted {
    /// The station.
    pub info: StationInfo,
    /// Its sheet's state.
    pub state: SheetState,
    /// The numbers that count.
    pub counts: Counts,
}

/// A station whose record changed since some version, and its sheet's
/// counted numbers when it has some.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The station.
    pub station: String,
    /// Its counted numbers now (none: the sheet has none).
    pub counted: Option<Counted>,
}

/// A new photo.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// `image/jpeg` or `image/png`, as sniffed.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The station it is sent for.
    pub station: Option<String>,
    /// Who sent it.
    pub uploaded_by: i64,
    /// Unix seconds.
    pub at: i64,
}

/// The storage interface.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Apply the migrations not yet applied.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Add a person; `token_sha256` is the hash of a token shown once.
    async fn add_witness(
        &self,
        name: &str,
        role: Role,
        prefixes: &[String],
        token_sha256: &str,
        at: i64,
    ) -> Result<i64, StoreError>;
    /// The person whose token hashes to `token_sha256`.
    async fn witness_by_token(&self, token_sha256: &str) -> Result<Option<Witness>, StoreError>;
    /// The person with id `id`.
    async fn witness(&self, id: i64) -> Result<Option<Witness>, StoreError>;
    /// Add stations, or fill in what is known of them (names, registered
    /// voters) without removing anything. Returns how many were new.
    async fn put_stations(&self, stations: &[StationInfo]) -> Result<u64, StoreError>;
    /// One station.
    async fn station(&self, id: &str) -> Result<Option<StationInfo>, StoreError>;
    /// Stations whose id starts with `prefix`, in id order, at most `limit`.
    async fn stations_with_prefix(
        &self,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<StationInfo>, StoreError>;
    /// Station ids after `after` in id order, at most `limit`.
    async fn stations_after(&self, after: &str, limit: i64) -> Result<Vec<String>, StoreError>;
    /// Store one entry and run double entry ([`crate::flow::on_entry`]) in
    /// one transaction.
    async fn submit(&self, entry: NewEntry) -> Result<Receipt, StoreError>;
    /// Store many entries in one transaction, each as [`Store::submit`]
    /// would and in the order given, each in a savepoint of its own: an
    /// entry refused (an unknown station, a transition that does not
    /// exist) is that entry's error and leaves nothing behind, while the
    /// others are stored. The outer error is a failure of the whole
    /// batch, of which nothing is stored. One commit for thousands of
    /// sheets is what makes an import of a million sheets take minutes.
    async fn submit_many(
        &self,
        entries: Vec<NewEntry>,
    ) -> Result<Vec<Result<Receipt, StoreError>>, StoreError>;
    /// A reviewer chooses `entry` for `station` ([`crate::flow::on_decision`]).
    /// Returns the sheet transition row.
    async fn decide(
        &self,
        station: &str,
        reviewer: i64,
        entry: i64,
        note: &str,
        at: i64,
    ) -> Result<i64, StoreError>;
    /// Put the station's sheet in review for `reason` (the same photo,
    /// `sha256`, sent for two stations), whatever its state: a transition to
    /// [`SheetState::InReview`] and a flag row, in one transaction. A sheet
    /// already in review only gains the flag.
    async fn flag(
        &self,
        station: &str,
        reason: &str,
        sha256: Option<&str>,
        who: Option<i64>,
        at: i64,
    ) -> Result<(), StoreError>;
    /// Record the log leaves of many transitions, `(transition, leaf)`,
    /// in one transaction. The only write that stamps no station and moves
    /// no version ([`Store::changed_since`]): a leaf changes no number, only
    /// a line of a record's history, and the process that appends to the
    /// log is the one that sets its leaves and drops those records from its
    /// cache ([`crate::records::RecordCache::evict_twice`]). It keeps the
    /// writers' queue on the version's row to one pass per entry.
    async fn set_leaves(&self, leaves: &[(i64, i64)]) -> Result<(), StoreError>;
    /// Everything about one station.
    async fn record(&self, id: &str) -> Result<Option<StationRecord>, StoreError>;
    /// Everything about each of `ids` that is known, in the order given:
    /// a few queries per 500 stations (the static export).
    async fn records_of(&self, ids: &[String]) -> Result<Vec<StationRecord>, StoreError>;
    /// Stations in review, oldest change first, at most `limit`.
    async fn review_queue(&self, limit: i64) -> Result<Vec<String>, StoreError>;
    /// Every station whose sheet has counted numbers, one at a time to
    /// `f`, in station order, streamed from the database: at a million
    /// sheets the public view is built without holding them all as rows.
    async fn counted_each(&self, f: &mut (dyn FnMut(Counted) + Send)) -> Result<(), StoreError>;
    /// The same, collected.
    async fn counted(&self) -> Result<Vec<Counted>, StoreError> {
        let mut all = Vec::new();
        self.counted_each(&mut |c| all.push(c)).await?;
        Ok(all)
    }
    /// The stations whose records changed in the commits after version
    /// `since`, one at a time to `f`, each with its counted numbers as
    /// [`Store::counted_each`] gives them (a station may come that a later
    /// commit changed again: it comes as it is now). Every write but
    /// [`Store::set_leaves`] stamps the stations it changes with the
    /// version it commits as, and versions commit in order, so what was
    /// read at version V (the public view, read with [`Store::version`]
    /// before its rows; a cached record) is brought up to date by the
    /// stations changed since V.
    async fn changed_since(
        &self,
        since: i64,
        f: &mut (dyn FnMut(Changed) + Send),
    ) -> Result<(), StoreError>;
    /// Sheets per state.
    async fn state_counts(&self) -> Result<Vec<(SheetState, i64)>, StoreError>;
    /// A counter that every change bumps, and the time of the last change.
    async fn version(&self) -> Result<(i64, Option<i64>), StoreError>;
    /// Store a photo; returns the station it was first sent for when the
    /// same bytes were sent before.
    async fn put_upload(&self, upload: NewUpload) -> Result<Option<Option<String>>, StoreError>;
    /// Record the QR decoding of a photo still `pending`; false when it
    /// was not pending (decoded already).
    async fn set_qr(
        &self,
        sha256: &str,
        status: &str,
        qr_station: Option<&str>,
        reason: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// A photo's bytes and content type.
    async fn upload_bytes(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError>;
    /// A photo's record.
    async fn upload(&self, sha256: &str) -> Result<Option<UploadRow>, StoreError>;
    /// Photos whose QR code is not decoded yet, oldest first, at most
    /// `limit`, each with who sent it: the decoder's queue, which
    /// survives a restart because it is the store.
    async fn pending_uploads(&self, limit: i64) -> Result<Vec<(String, Option<i64>)>, StoreError>;
    /// How many photos wait to be decoded.
    async fn pending_upload_count(&self) -> Result<i64, StoreError>;
    /// Sheet transitions that made numbers count but have no log leaf yet
    /// (the process ended between the commit and the append), oldest
    /// first, each with the station and the entry whose numbers count.
    async fn unlogged(&self) -> Result<Vec<(i64, String, EntryRow)>, StoreError>;
    /// The signed log's last leaf for each station, for `supersedes`.
    async fn last_leaf(&self, station: &str) -> Result<Option<i64>, StoreError>;
}

/// Open the store a URL names (`sqlite:PATH` or `postgres://…`), creating
/// a SQLite file if needed, and migrate it.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    let store: std::sync::Arc<dyn Store> = if url.starts_with("sqlite:") {
        std::sync::Arc::new(SqliteStore::open(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        std::sync::Arc::new(PgStore::open(url).await?)
    } else {
        return Err(StoreError::BadUrl(url.to_string()));
    };
    store.migrate().await?;
    Ok(store)
}
