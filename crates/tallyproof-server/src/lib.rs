//! tallyproof-server: the web service of election night.
//!
//! Witnesses send tally sheets (typed entries and photos whose QR code is
//! decoded); a sheet counts once two independent entries agree
//! ([`flow`]); disagreements wait for a reviewer. The public sees the
//! totals, the coverage, each announcement's feasibility and every
//! station's numbers with its proof in the signed log. Sheets are parsed
//! and validated by `tallyproof_core::sheet` and tabulated by
//! `tallyproof_core`, never here.
//!
//! - [`app`]: the router, given an [`AppState`].
//! - [`store`]: the storage trait and its SQLite and PostgreSQL implementations.
//! - [`flow`]: double entry as a state machine.
//! - [`auth`]: tokens, roles and scopes.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod auth;
pub mod demo;
pub mod export;
pub mod flow;
pub mod http;
pub mod import;
pub mod log;
pub mod records;
pub mod service;
pub mod snapshot;
pub mod store;
mod templates;
pub mod upload;

use std::ops::Deref;
use std::sync::Arc;

use tallyproof_core::{Announcement, Config, Registry};

pub use http::app;

/// Everything a request needs, cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The shared state behind [`AppState`].
pub struct Inner {
    /// The store.
    pub store: Arc<dyn store::Store>,
    /// The election's config.
    pub cfg: Config,
    /// The station registry, when given: denominators for coverage.
    pub registry: Option<Registry>,
    /// Announcements checked on the dashboard.
    pub announcements: Vec<Announcement>,
    /// The signed log, when kept.
    pub log: Option<log::LogSink>,
    /// The secret CSRF form tokens are derived from.
    pub csrf_secret: [u8; 32],
    /// The latest public view.
    pub snapshot: tokio::sync::RwLock<Option<Arc<snapshot::Snapshot>>>,
    /// Milliseconds the last rebuild of the public view took.
    pub snapshot_ms: std::sync::atomic::AtomicU64,
    /// A rebuild runs in the background.
    pub snapshot_rebuilding: std::sync::atomic::AtomicBool,
    /// Public views built whole from every counted sheet (the others
    /// were patched from the one before).
    pub snapshot_whole: std::sync::atomic::AtomicU64,
    /// The QR decoder's queue.
    pub decoder: upload::Decoder,
    /// Stations' records for look-ups ([`records`]).
    pub records: records::RecordCache,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// State over a store, a config, an optional registry, announcements
    /// and an optional log. The QR decoder's worker starts with
    /// [`AppState::start_decoder`] (the server does; an import or an
    /// export does not decode photos).
    pub fn new(
        store: Arc<dyn store::Store>,
        cfg: Config,
        registry: Option<Registry>,
        announcements: Vec<Announcement>,
        log: Option<log::LogSink>,
    ) -> AppState {
        let decoder = upload::Decoder::new();
        AppState(Arc::new(Inner {
            store,
            cfg,
            registry,
            announcements,
            log,
            csrf_secret: rand::random(),
            snapshot: tokio::sync::RwLock::new(None),
            snapshot_ms: std::sync::atomic::AtomicU64::new(0),
            snapshot_rebuilding: std::sync::atomic::AtomicBool::new(false),
            snapshot_whole: std::sync::atomic::AtomicU64::new(0),
            decoder,
            records: records::RecordCache::new(records::DEFAULT_CAPACITY),
        }))
    }

    /// A station's record: from the cache when it is live and holds it,
    /// else from the store (and then kept).
    pub async fn record(
        &self,
        station: &str,
    ) -> Result<Option<Arc<store::StationRecord>>, store::StoreError> {
        if let Some(r) = self.records.get(station) {
            return Ok(Some(r));
        }
        let ticket = self.records.ticket();
        let rec = self.store.record(station).await?.map(Arc::new);
        if let (Some(t), Some(r)) = (ticket, &rec) {
            self.records.put(t, r.clone());
        }
        Ok(rec)
    }

    /// One pass of the record cache's watcher: the store's version, and
    /// the stations changed since the version the cache saw last, whose
    /// records it drops.
    pub async fn refresh_records(&self) -> Result<records::Pass, store::StoreError> {
        let from = self.records.seen();
        let (to, _) = self.store.version().await?;
        let mut changed = Vec::new();
        if let Some(f) = from
            && to > f
        {
            self.store
                .changed_since(f, &mut |c| changed.push(c.station))
                .await?;
        }
        Ok(self.records.apply(from, to, &changed))
    }

    /// Start the record cache's watcher (once; inside a Tokio runtime): a
    /// pass every [`records::REFRESH`] while the state lives.
    pub fn start_watcher(&self) {
        let weak = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(records::REFRESH);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                if let Err(e) = AppState(inner).refresh_records().await {
                    tracing::warn!(error = %e, "the record cache's watcher");
                }
            }
        });
    }

    /// Start the QR decoder's worker (once; inside a Tokio runtime): it
    /// decodes the photos the store holds as pending, those left from
    /// before a restart first.
    pub fn start_decoder(&self) {
        self.decoder.start(Arc::downgrade(&self.0));
    }

    /// The public view at the store's current version, rebuilt if the
    /// store moved since the last one. While rebuilding is quick (under
    /// [`SNAPSHOT_WAIT_MS`], as at tens of thousands of sheets) the request
    /// waits for it, so that a change shows at once; when it is slow (a
    /// million sheets: seconds) the request gets the previous view at
    /// once and one rebuild runs in the background, so that a stream of
    /// entries cannot make every reader wait for a rebuild of its own.
    pub async fn snapshot(&self) -> Result<Arc<snapshot::Snapshot>, store::StoreError> {
        use std::sync::atomic::Ordering;
        let (version, _) = self.store.version().await?;
        let stale = {
            let slot = self.snapshot.read().await;
            match slot.as_ref() {
                Some(s) if s.version == version => return Ok(s.clone()),
                other => other.cloned(),
            }
        };
        if let Some(old) = stale
            && self.snapshot_ms.load(Ordering::Relaxed) >= SNAPSHOT_WAIT_MS
        {
            if !self.snapshot_rebuilding.swap(true, Ordering::AcqRel) {
                let me = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = me.rebuild().await {
                        tracing::error!(error = %e, "rebuilding the public view");
                    }
                    me.snapshot_rebuilding.store(false, Ordering::Release);
                });
            }
            return Ok(old);
        }
        self.rebuild().await
    }

    /// Bring the public view to the store's version unless it is there
    /// already: the previous view patched with the sheets changed since
    /// its version ([`snapshot::patched`]), or built whole from every
    /// counted sheet when there is none (or a sheet stopped counting).
    /// Either way the totals, levels, checks and worst case are computed
    /// again over the data set, which takes a fraction of a second at a
    /// million sheets; what a patch saves is reading them all.
    async fn rebuild(&self) -> Result<Arc<snapshot::Snapshot>, store::StoreError> {
        let mut slot = self.snapshot.write().await;
        let (version, last) = self.store.version().await?;
        let prev = match slot.as_ref() {
            Some(s) if s.version == version => return Ok(s.clone()),
            Some(s) if s.version < version => Some(s.clone()),
            _ => None,
        };
        let t0 = std::time::Instant::now();
        let blocking =
            |e: tokio::task::JoinError| store::StoreError::Corrupt(format!("snapshot task: {e}"));
        let mut base = None;
        if let Some(prev) = prev {
            let mut changes = Vec::new();
            self.store
                .changed_since(prev.version, &mut |c| changes.push(c))
                .await?;
            base = tokio::task::spawn_blocking(move || snapshot::patched(&prev, changes))
                .await
                .map_err(blocking)?;
        }
        let (ds, index) = match base {
            Some(x) => x,
            None => {
                self.snapshot_whole
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut builder = snapshot::DatasetBuilder::new(&self.cfg);
                self.store.counted_each(&mut |c| builder.push(&c)).await?;
                (builder.finish(&self.cfg), None)
            }
        };
        let states = self.store.state_counts().await?;
        let me = self.clone();
        let snap = tokio::task::spawn_blocking(move || {
            snapshot::build(
                &me.cfg,
                me.registry.as_ref(),
                &me.announcements,
                ds,
                index,
                states,
                (version, last),
            )
        })
        .await
        .map_err(blocking)?;
        let ms = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.snapshot_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
        let snap = Arc::new(snap);
        *slot = Some(snap.clone());
        Ok(snap)
    }
}

/// A rebuild of the public view quicker than this many milliseconds is
/// waited for; a slower one runs in the background (see
/// [`AppState::snapshot`]).
pub const SNAPSHOT_WAIT_MS: u64 = 250;

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Unix seconds as RFC 3339 in UTC (`2024-07-29T01:02:03Z`), by the
/// civil-from-days algorithm of Hinnant 2013 ("chrono-Compatible Low-Level
/// Date Algorithms", `civil_from_days`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        // `date -u -d @1722214923` prints 2024-07-29 01:02:03.
        assert_eq!(super::rfc3339(1_722_214_923), "2024-07-29T01:02:03Z");
        // 2000-02-29 (a leap day): 951782400 = 11016 days * 86400.
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
