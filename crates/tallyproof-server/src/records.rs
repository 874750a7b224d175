//! Stations' records held in memory, so that a look-up of a station asks
//! the database nothing (on election night most requests are voters
//! looking up their own station, each station many times).
//!
//! Freshness comes from the store's change stamps, not from a time to
//! live: every write stamps the stations whose records it changes with the
//! version it commits as (all but a log leaf's, which the process that
//! appends drops itself: [`RecordCache::evict_twice`]), and versions commit in order
//! ([`crate::store::Store::changed_since`]). A watcher reads the version
//! every [`REFRESH`] and drops the records of the stations stamped since
//! the version it saw last; a record is kept only when no such pass ran
//! while it was read, so a record read before a change is always dropped
//! by the pass after that change. A record is thus at most one pass
//! behind the store (writes through this process also drop the record at
//! once), and the cache serves nothing when the watcher has not run for
//! [`STALE`] (the database unreachable, say): the look-up then asks the
//! store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::store::StationRecord;

/// How often the watcher reads the store's version.
pub const REFRESH: Duration = Duration::from_millis(100);

/// The cache serves nothing when its last pass is older than this.
pub const STALE: Duration = Duration::from_secs(1);

/// Records kept by default (`serve --record-cache`): a few hundred
/// megabytes at most.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// The cache.
#[derive(Debug)]
pub struct RecordCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The version up to which changes have been applied; none before the
    /// first pass.
    seen: Option<i64>,
    /// When the last pass ended.
    fresh: Option<Instant>,
    capacity: usize,
    map: HashMap<String, Arc<StationRecord>>,
    /// Stations to drop again at the end of the next pass.
    again: Vec<String>,
}

impl Inner {
    /// `seen` when the cache is live: on, and its last pass within [`STALE`].
    fn ticket(&self) -> Option<i64> {
        let live = self.capacity > 0 && self.fresh.is_some_and(|t| t.elapsed() < STALE);
        if live { self.seen } else { None }
    }
}

/// What a pass of the watcher found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The version had not moved.
    Unchanged,
    /// Records of this many changed stations were looked for and dropped.
    Applied(usize),
    /// The cache was emptied (the first pass, or the version went back:
    /// another database).
    Reset,
}

impl RecordCache {
    /// An empty cache of `capacity` records (0: off).
    pub fn new(capacity: usize) -> RecordCache {
        RecordCache {
            inner: Mutex::new(Inner {
                capacity,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a map that is still
        // consistent (every operation is one insert or remove).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Set the capacity (0 turns the cache off and empties it).
    pub fn set_capacity(&self, capacity: usize) {
        let mut g = self.lock();
        g.capacity = capacity;
        if capacity == 0 {
            g.map.clear();
        }
    }

    /// The version up to which changes have been applied, when the cache
    /// is live (on, and its last pass within [`STALE`]).
    pub fn ticket(&self) -> Option<i64> {
        self.lock().ticket()
    }

    /// The record of `station`, when the cache is live and holds it.
    pub fn get(&self, station: &str) -> Option<Arc<StationRecord>> {
        let g = self.lock();
        g.ticket()?;
        g.map.get(station).cloned()
    }

    /// Keep a record read from the store after [`RecordCache::ticket`]
    /// gave `ticket`: only if no pass ran since (one that did may have
    /// dropped a change this record predates).
    pub fn put(&self, ticket: i64, rec: Arc<StationRecord>) {
        let mut g = self.lock();
        if g.seen != Some(ticket) || g.capacity == 0 {
            return;
        }
        if g.map.len() >= g.capacity && !g.map.contains_key(&rec.info.id) {
            // Full: make room by dropping an arbitrary record.
            if let Some(k) = g.map.keys().next().cloned() {
                g.map.remove(&k);
            }
        }
        g.map.insert(rec.info.id.clone(), rec);
    }

    /// Drop the record of `station` (after a write through this process).
    pub fn evict(&self, station: &str) {
        self.lock().map.remove(station);
    }

    /// Drop the records of `stations` now and again at the end of the next
    /// pass: for a write that stamps no station (a log leaf). A record read
    /// before the write and kept after the first drop is dropped by the
    /// second; one kept after that pass began is refused by
    /// [`RecordCache::put`].
    pub fn evict_twice(&self, stations: &[String]) {
        let mut g = self.lock();
        for s in stations {
            g.map.remove(s);
        }
        g.again.extend(stations.iter().cloned());
    }

    /// The version the last pass saw.
    pub fn seen(&self) -> Option<i64> {
        self.lock().seen
    }

    /// The end of a pass that read version `to` while the cache had seen
    /// `from`, and found `changed` stamped after `from`.
    pub fn apply(&self, from: Option<i64>, to: i64, changed: &[String]) -> Pass {
        let mut g = self.lock();
        let pass = match (g.seen, from) {
            (Some(s), Some(f)) if s == f && to >= s => {
                for c in changed {
                    g.map.remove(c);
                }
                if to == s {
                    Pass::Unchanged
                } else {
                    Pass::Applied(changed.len())
                }
            }
            _ => {
                g.map.clear();
                Pass::Reset
            }
        };
        for s in std::mem::take(&mut g.again) {
            g.map.remove(&s);
        }
        g.seen = Some(to);
        g.fresh = Some(Instant::now());
        pass
    }

    /// How many records are held.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StationInfo;

    fn rec(id: &str) -> Arc<StationRecord> {
        Arc::new(StationRecord::new(StationInfo {
            id: id.into(),
            units: Vec::new(),
            registered: None,
        }))
    }

    #[test]
    fn a_record_is_kept_only_between_passes_and_dropped_by_the_stamps() {
        let c = RecordCache::new(10);
        assert_eq!(c.ticket(), None);
        assert_eq!(c.apply(None, 5, &[]), Pass::Reset);
        let t = c.ticket().unwrap();
        c.put(t, rec("a"));
        c.put(t, rec("b"));
        assert_eq!(c.len(), 2);
        // A pass that finds "a" stamped after 5 drops it, and a record
        // read before that pass is refused.
        assert_eq!(c.apply(Some(5), 7, &["a".into()]), Pass::Applied(1));
        assert!(c.get("a").is_none() && c.get("b").is_some());
        c.put(t, rec("a"));
        assert!(c.get("a").is_none());
        // A version that went back (another database) empties it.
        assert_eq!(c.apply(Some(7), 3, &[]), Pass::Reset);
        assert!(c.is_empty());
    }

    #[test]
    fn evict_twice_drops_a_record_read_before_the_write() {
        let c = RecordCache::new(10);
        c.apply(None, 1, &[]);
        // A reader takes its ticket and reads "a"; meanwhile a leaf is
        // set and "a" dropped; the reader keeps what it read.
        let t = c.ticket().unwrap();
        c.evict_twice(&["a".into()]);
        c.put(t, rec("a"));
        assert!(c.get("a").is_some());
        // The next pass, whatever it finds, drops it again.
        assert_eq!(c.apply(Some(1), 1, &[]), Pass::Unchanged);
        assert!(c.get("a").is_none());
    }

    #[test]
    fn a_full_cache_makes_room_and_an_empty_capacity_holds_nothing() {
        let c = RecordCache::new(2);
        c.apply(None, 1, &[]);
        let t = c.ticket().unwrap();
        for id in ["a", "b", "c"] {
            c.put(t, rec(id));
        }
        assert_eq!(c.len(), 2);
        assert!(c.get("c").is_some());
        c.set_capacity(0);
        assert_eq!(c.ticket(), None);
        c.put(t, rec("d"));
        assert!(c.is_empty());
    }
}
