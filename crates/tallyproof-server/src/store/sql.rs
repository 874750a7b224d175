//! The SQL both stores run, written once: `impl_store!(Type, Database)`
//! expands to an implementation of [`super::Store`] for a type with
//! `writer()` and `reader()` pools of that database. The text is the same
//! for both databases: `$n` placeholders, `ON CONFLICT`, `RETURNING`.

/// Parse a stored JSON text.
pub(super) fn json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, super::StoreError> {
    serde_json::from_str(text).map_err(|e| super::StoreError::Corrupt(format!("{what}: {e}")))
}

/// Serialise to JSON text.
pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, super::StoreError> {
    serde_json::to_string(v).map_err(|e| super::StoreError::Corrupt(e.to_string()))
}

/// The migrations, numbered from 1 in the order given: (name, SQL).
pub(super) fn migrator(steps: &[(&'static str, &'static str)]) -> sqlx::migrate::Migrator {
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    Migrator::with_migrations(
        steps
            .iter()
            .zip(1..)
            .map(|(&(name, sql), version)| {
                Migration::new(
                    version,
                    name.into(),
                    MigrationType::Simple,
                    sqlx::SqlStr::from_static(sql),
                    false,
                )
            })
            .collect(),
    )
}

/// Stations read by one query of [`super::Store::records_of`]: well under
/// the bound parameters SQLite (32,766) and PostgreSQL (65,535) allow.
pub(super) const RECORDS_PER_QUERY: usize = 500;

/// Everything held about the stations in `(…)` in one statement (one
/// round trip to the database per look-up, not one per table): each part's
/// rows in the same columns, `part`, `station`, `ord` (the part's order),
/// texts `t1`–`t6` and numbers `n1`–`n3`, sorted by part and then by each
/// part's own order. Part 0 is the station (units, registered), 1 its
/// sheet (state, counted entry), 2 entries (id in `ord`; kind, sender's
/// name, counts, origin, state; sender, time), 3 transitions (subject,
/// from, to, who; entry, time, leaf), 4 decisions (reviewer, note; entry,
/// time), 5 photos sent for it, naming it in their QR code or flagged for
/// it (time in `ord`; hash, type, station sent for, status, QR station,
/// reason) and 6 flags (reason, photo, who; time). The first branch casts
/// each column, which fixes the column types PostgreSQL gives the union.
pub(super) const RECORD_SQL: &str = "\
SELECT CAST(0 AS BIGINT) AS part, s.id AS station, CAST(0 AS BIGINT) AS ord, s.units AS t1, CAST(NULL AS TEXT) AS t2, CAST(NULL AS TEXT) AS t3, CAST(NULL AS TEXT) AS t4, CAST(NULL AS TEXT) AS t5, CAST(NULL AS TEXT) AS t6, s.registered AS n1, CAST(NULL AS BIGINT) AS n2, CAST(NULL AS BIGINT) AS n3 FROM stations s WHERE s.id IN (…) \
UNION ALL SELECT 1, h.station, 0, h.state, NULL, NULL, NULL, NULL, NULL, h.counted_entry, NULL, NULL FROM sheets h WHERE h.station IN (…) \
UNION ALL SELECT 2, e.station, e.id, e.kind, w.name, e.counts, e.origin, e.state, NULL, e.witness_id, e.created_at, NULL FROM entries e LEFT JOIN witnesses w ON w.id = e.witness_id WHERE e.station IN (…) \
UNION ALL SELECT 3, t.station, t.id, t.subject, t.from_state, t.to_state, w.name, NULL, NULL, t.entry_id, t.at, t.leaf FROM transitions t LEFT JOIN witnesses w ON w.id = t.who WHERE t.station IN (…) \
UNION ALL SELECT 4, d.station, d.id, w.name, d.note, NULL, NULL, NULL, NULL, d.entry_id, d.at, NULL FROM decisions d JOIN witnesses w ON w.id = d.reviewer WHERE d.station IN (…) \
UNION ALL SELECT 5, u.station, u.at, u.sha256, u.content_type, u.station, u.qr_status, u.qr_station, u.qr_reason, NULL, NULL, NULL FROM uploads u WHERE u.station IN (…) \
UNION ALL SELECT 5, u.qr_station, u.at, u.sha256, u.content_type, u.station, u.qr_status, u.qr_station, u.qr_reason, NULL, NULL, NULL FROM uploads u WHERE u.qr_station IN (…) \
UNION ALL SELECT 5, f.station, u.at, u.sha256, u.content_type, u.station, u.qr_status, u.qr_station, u.qr_reason, NULL, NULL, NULL FROM flags f JOIN uploads u ON u.sha256 = f.sha256 WHERE f.station IN (…) \
UNION ALL SELECT 6, f.station, f.id, f.reason, f.sha256, w.name, NULL, NULL, NULL, f.at, NULL, NULL FROM flags f LEFT JOIN witnesses w ON w.id = f.who WHERE f.station IN (…) \
ORDER BY part, ord, t1";

/// A count as stored (`i64`); counts above `i64::MAX` do not pass validation.
pub(super) fn count_in(v: Option<u64>) -> Option<i64> {
    v.and_then(|x| i64::try_from(x).ok())
}

macro_rules! impl_store {
    ($ty:ty, $db:ty) => {
        use async_trait::async_trait;
        use sqlx::Row;
        use tallyproof_core::sheet::{Counts, SourceKind};

        use crate::flow::{self, EntryState, Held, Incoming, Outcome, SheetState};
        use crate::store::sql::{RECORD_SQL, RECORDS_PER_QUERY, count_in, json, to_json};
        use crate::store::{
            Changed, Counted, DecisionRow, EntryRow, FlagRow, NewEntry, NewUpload, Receipt, Role,
            StationInfo, StationRecord, Store, StoreError, TransitionRow, UploadRow, Witness,
        };

        fn station_of(row: &<$db as sqlx::Database>::Row) -> Result<StationInfo, StoreError> {
            let units: String = row.try_get("units")?;
            let registered: Option<i64> = row.try_get("registered")?;
            Ok(StationInfo {
                id: row.try_get("id")?,
                units: json(&units, "station units")?,
                registered: registered.and_then(|r| u64::try_from(r).ok()),
            })
        }

        fn entry_of(row: &<$db as sqlx::Database>::Row) -> Result<EntryRow, StoreError> {
            let kind: String = row.try_get("kind")?;
            let state: String = row.try_get("state")?;
            let counts: String = row.try_get("counts")?;
            let origin: String = row.try_get("origin")?;
            Ok(EntryRow {
                id: row.try_get("id")?,
                kind: SourceKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("entry kind {kind:?}")))?,
                witness: row.try_get("witness_id")?,
                witness_name: row.try_get("witness_name")?,
                counts: json(&counts, "entry counts")?,
                origin: json(&origin, "entry origin")?,
                state: EntryState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("entry state {state:?}")))?,
                at: row.try_get("created_at")?,
            })
        }

        fn sheet_state(s: &str) -> Result<SheetState, StoreError> {
            SheetState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("sheet state {s:?}")))
        }

        /// One state change, as a `transitions` row: `(subject, entry, from,
        /// to)` at `at` by `who`. Returns the row's id.
        async fn transition(
            tx: &mut sqlx::Transaction<'_, $db>,
            station: &str,
            (subject, entry, from, to): (&str, Option<i64>, Option<&str>, &str),
            who: Option<i64>,
            at: i64,
        ) -> Result<i64, StoreError> {
            let row = sqlx::query("INSERT INTO transitions (station, subject, entry_id, from_state, to_state, who, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(station)
                .bind(subject)
                .bind(entry)
                .bind(from)
                .bind(to)
                .bind(who)
                .bind(at)
                .fetch_one(&mut **tx)
                .await?;
            Ok(row.try_get("id")?)
        }

        /// The record of `station` among `recs`.
        fn of(
            recs: &mut std::collections::HashMap<String, StationRecord>,
            station: String,
        ) -> Result<&mut StationRecord, StoreError> {
            recs.get_mut(&station)
                .ok_or_else(|| StoreError::Corrupt(format!("a row of unknown station {station:?}")))
        }

        /// Bump the version every change moves (caches, ETags), stamp the
        /// stations whose record the transaction changed (`touched`) with
        /// the version it commits as, then commit. The version's row stays
        /// locked from this update to the commit, so versions commit in
        /// order: once a reader sees version V, every station stamped V or
        /// less is committed, and what was read at V (the public view, a
        /// cached record) is brought up to date by the stations stamped
        /// above V ([`Store::changed_since`]).
        ///
        /// On PostgreSQL the bump and the first stamps are one statement (a
        /// data-modifying WITH), so that the row lock is held for one round
        /// trip and the commit, during which the other writers wait.
        async fn bump_and_commit(mut tx: sqlx::Transaction<'static, $db>, touched: &[String]) -> Result<(), StoreError> {
            let mut touched = touched.to_vec();
            touched.sort_unstable();
            touched.dedup();
            let ids = |from: usize, n: usize| {
                (from..from + n)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut chunks = touched.chunks(RECORDS_PER_QUERY).peekable();
            let pg = <$db as sqlx::Database>::NAME == "PostgreSQL";
            if pg && let Some(first) = chunks.next() {
                let sql = format!(
                    "WITH v AS (UPDATE meta SET value = value + 1 WHERE key = 'version' RETURNING value) \
                     UPDATE stations SET changed = v.value FROM v WHERE stations.id IN ({})",
                    ids(1, first.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in first {
                    q = q.bind(id);
                }
                q.execute(&mut *tx).await?;
            } else {
                sqlx::query("UPDATE meta SET value = value + 1 WHERE key = 'version'")
                    .execute(&mut *tx)
                    .await?;
            }
            if chunks.peek().is_some() {
                let v: i64 = sqlx::query("SELECT value FROM meta WHERE key = 'version'")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("value")?;
                for chunk in chunks {
                    let sql = format!("UPDATE stations SET changed = $1 WHERE id IN ({})", ids(2, chunk.len()));
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(v);
                    for id in chunk {
                        q = q.bind(id);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(())
        }

        /// Whether `station` is known, inside `tx`.
        async fn known(tx: &mut sqlx::Transaction<'_, $db>, station: &str) -> Result<(), StoreError> {
            let row = sqlx::query("SELECT id FROM stations WHERE id = $1")
                .bind(station)
                .fetch_optional(&mut **tx)
                .await?;
            match row {
                Some(_) => Ok(()),
                None => Err(StoreError::UnknownStation(station.to_string())),
            }
        }

        /// The station's sheet row (made `pending` if it has none), locked
        /// for the transaction (PostgreSQL's row lock; SQLite's write
        /// lock): two writes of one station run one after the other.
        /// Returns its state, its counted entry and how many entries the
        /// station has.
        async fn lock_sheet(
            tx: &mut sqlx::Transaction<'_, $db>,
            station: &str,
            at: i64,
        ) -> Result<(String, Option<i64>, i64), StoreError> {
            sqlx::query("INSERT INTO sheets (station, state, updated_at) VALUES ($1, 'pending', $2) ON CONFLICT (station) DO NOTHING")
                .bind(station)
                .bind(at)
                .execute(&mut **tx)
                .await?;
            let sheet = sqlx::query(
                "UPDATE sheets SET updated_at = updated_at WHERE station = $1 RETURNING state, counted_entry",
            )
            .bind(station)
            .fetch_one(&mut **tx)
            .await?;
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM entries WHERE station = $1")
                .bind(station)
                .fetch_one(&mut **tx)
                .await?
                .try_get("n")?;
            Ok((sheet.try_get("state")?, sheet.try_get("counted_entry")?, n))
        }

        fn witness_of(row: &<$db as sqlx::Database>::Row) -> Result<Witness, StoreError> {
            let role: String = row.try_get("role")?;
            let prefixes: String = row.try_get("prefixes")?;
            Ok(Witness {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                role: Role::parse(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
                prefixes: json(&prefixes, "prefixes")?,
                token_sha256: row.try_get("token_sha256")?,
            })
        }

        fn upload_of(row: &<$db as sqlx::Database>::Row) -> Result<UploadRow, StoreError> {
            Ok(UploadRow {
                sha256: row.try_get("sha256")?,
                content_type: row.try_get("content_type")?,
                station: row.try_get("station")?,
                qr_status: row.try_get("qr_status")?,
                qr_station: row.try_get("qr_station")?,
                qr_reason: row.try_get("qr_reason")?,
            })
        }

        /// One entry inside `tx`, as [`Store::submit`] describes; also
        /// whether it wrote anything (a replay or a duplicate writes nothing,
        /// and its caller rolls back).
        async fn submit_in(tx: &mut sqlx::Transaction<'_, $db>, e: NewEntry) -> Result<(Receipt, bool), StoreError> {
                let station = e.sheet.station.clone();
                known(tx, &station).await?;
                let (state_text, counted_id, n) = lock_sheet(tx, &station, e.at).await?;
                if let (Some(w), Some(key)) = (e.witness, e.idempotency_key.as_deref()) {
                    let prior = sqlx::query(
                        "SELECT e.id, e.state, s.state AS sheet_state FROM entries e JOIN sheets s ON s.station = e.station WHERE e.witness_id = $1 AND e.idempotency_key = $2",
                    )
                    .bind(w)
                    .bind(key)
                    .fetch_optional(&mut **tx)
                    .await?;
                    if let Some(p) = prior {
                        let st: String = p.try_get("state")?;
                        let sh: String = p.try_get("sheet_state")?;
                        return Ok((Receipt {
                            entry: p.try_get("id")?,
                            entry_state: EntryState::parse(&st)
                                .ok_or_else(|| StoreError::Corrupt(st.clone()))?,
                            sheet: sheet_state(&sh)?,
                            replayed: true,
                            duplicate: false,
                            counted_transition: None,
                        }, false));
                    }
                }
                // No entry and still pending: a new sheet. A sheet flagged
                // before its first entry is in review.
                let before = if n == 0 && state_text == SheetState::Pending.as_str() {
                    None
                } else {
                    Some(sheet_state(&state_text)?)
                };
                let rows = sqlx::query(
                    "SELECT e.id, e.kind, e.witness_id, CAST(NULL AS TEXT) AS witness_name, e.counts, e.origin, e.state, e.created_at FROM entries e WHERE e.station = $1 ORDER BY e.id",
                )
                .bind(&station)
                .fetch_all(&mut **tx)
                .await?;
                let entries = rows.iter().map(entry_of).collect::<Result<Vec<_>, _>>()?;
                let counted = counted_id
                    .and_then(|c| entries.iter().find(|x| x.id == c))
                    .map(|x| x.counts.clone());
                let held: Vec<Held> = entries.iter().map(Held::from).collect();
                let incoming = Incoming {
                    kind: e.sheet.origin.kind,
                    witness: e.witness,
                    counts: &e.sheet.counts,
                };
                let outcome = flow::on_entry(before, counted.as_ref(), &held, &incoming)?;
                let (entry_state, others, from, to, counts_now) = match outcome {
                    Outcome::Duplicate { of } => {
                        return Ok((Receipt {
                            entry: of,
                            entry_state: EntryState::Matched,
                            sheet: before.unwrap_or(SheetState::Agreed),
                            replayed: false,
                            duplicate: true,
                            counted_transition: None,
                        }, false));
                    }
                    Outcome::Apply { entry, others, from, to, counts_now } => {
                        (entry, others, from, to, counts_now)
                    }
                };
                let row = sqlx::query(
                    "INSERT INTO entries (station, kind, witness_id, counts, origin, state, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(&station)
                .bind(e.sheet.origin.kind.as_str())
                .bind(e.witness)
                .bind(to_json(&e.sheet.counts)?)
                .bind(to_json(&e.sheet.origin)?)
                .bind(entry_state.as_str())
                .bind(e.idempotency_key.as_deref())
                .bind(e.at)
                .fetch_one(&mut **tx)
                .await?;
                let id: i64 = row.try_get("id")?;
                transition(tx, &station, ("entry", Some(id), None, entry_state.as_str()), e.witness, e.at).await?;
                for (other, st) in &others {
                    sqlx::query("UPDATE entries SET state = $2 WHERE id = $1 AND state = 'submitted'")
                        .bind(other)
                        .bind(st.as_str())
                        .execute(&mut **tx)
                        .await?;
                    let change = ("entry", Some(*other), Some(EntryState::Submitted.as_str()), st.as_str());
                    transition(tx, &station, change, e.witness, e.at).await?;
                }
                let mut counted_transition = None;
                if from != Some(to) || counts_now {
                    let change = ("sheet", Some(id), from.map(SheetState::as_str), to.as_str());
                    let t = transition(tx, &station, change, e.witness, e.at).await?;
                    if counts_now {
                        counted_transition = Some(t);
                    }
                }
                sqlx::query(
                    "UPDATE sheets SET state = $2, counted_entry = CASE WHEN $3 THEN $4 ELSE counted_entry END, updated_at = $5 WHERE station = $1",
                )
                .bind(&station)
                .bind(to.as_str())
                .bind(counts_now)
                .bind(id)
                .bind(e.at)
                .execute(&mut **tx)
                .await?;
                Ok((Receipt {
                    entry: id,
                    entry_state,
                    sheet: to,
                    replayed: false,
                    duplicate: false,
                    counted_transition,
                }, true))
        }


        #[async_trait]
        impl Store for $ty {
            async fn migrate(&self) -> Result<(), StoreError> {
                self.migrator().run(self.writer()).await?;
                Ok(())
            }

            async fn add_witness(
                &self,
                name: &str,
                role: Role,
                prefixes: &[String],
                token_sha256: &str,
                at: i64,
            ) -> Result<i64, StoreError> {
                let row = sqlx::query(
                    "INSERT INTO witnesses (name, role, prefixes, token_sha256, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(name)
                .bind(role.as_str())
                .bind(to_json(&prefixes)?)
                .bind(token_sha256)
                .bind(at)
                .fetch_one(self.writer())
                .await?;
                Ok(row.try_get("id")?)
            }

            async fn witness_by_token(
                &self,
                token_sha256: &str,
            ) -> Result<Option<Witness>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, name, role, prefixes, token_sha256 FROM witnesses WHERE token_sha256 = $1",
                )
                .bind(token_sha256)
                .fetch_optional(self.reader())
                .await?;
                row.as_ref().map(witness_of).transpose()
            }

            async fn witness(&self, id: i64) -> Result<Option<Witness>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, name, role, prefixes, token_sha256 FROM witnesses WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
                row.as_ref().map(witness_of).transpose()
            }

            async fn put_stations(&self, stations: &[StationInfo]) -> Result<u64, StoreError> {
                let mut tx = self.writer().begin().await?;
                let mut new = 0u64;
                let mut touched = Vec::new();
                for s in stations {
                    let old = sqlx::query("SELECT id, units, registered FROM stations WHERE id = $1")
                        .bind(&s.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match old {
                        None => {
                            sqlx::query("INSERT INTO stations (id, units, registered) VALUES ($1, $2, $3)")
                                .bind(&s.id)
                                .bind(to_json(&s.units)?)
                                .bind(count_in(s.registered))
                                .execute(&mut *tx)
                                .await?;
                            new += 1;
                        }
                        Some(row) => {
                            let old = station_of(&row)?;
                            let mut units = old.units.clone();
                            for (i, u) in s.units.iter().enumerate() {
                                match units.get_mut(i) {
                                    Some(o) if o.1.is_empty() && o.0 == u.0 => o.1 = u.1.clone(),
                                    Some(_) => {}
                                    None => units.push(u.clone()),
                                }
                            }
                            let registered = old.registered.or(s.registered);
                            if units != old.units || registered != old.registered {
                                sqlx::query("UPDATE stations SET units = $2, registered = $3 WHERE id = $1")
                                    .bind(&s.id)
                                    .bind(to_json(&units)?)
                                    .bind(count_in(registered))
                                    .execute(&mut *tx)
                                    .await?;
                                touched.push(s.id.clone());
                            }
                        }
                    }
                }
                bump_and_commit(tx, &touched).await?;
                Ok(new)
            }

            async fn station(&self, id: &str) -> Result<Option<StationInfo>, StoreError> {
                let row = sqlx::query("SELECT id, units, registered FROM stations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await?;
                row.as_ref().map(station_of).transpose()
            }

            async fn stations_with_prefix(
                &self,
                prefix: &str,
                limit: i64,
            ) -> Result<Vec<StationInfo>, StoreError> {
                // substr instead of LIKE (no wildcard in a prefix can match)
                // or a range (PostgreSQL's collation may not be byte order).
                let rows = sqlx::query(
                    "SELECT id, units, registered FROM stations WHERE substr(id, 1, length($1)) = $1 ORDER BY id LIMIT $2",
                )
                .bind(prefix)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
                rows.iter().map(station_of).collect()
            }

            async fn stations_after(&self, after: &str, limit: i64) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query("SELECT id FROM stations WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?;
                rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
            }

            async fn submit(&self, e: NewEntry) -> Result<Receipt, StoreError> {
                let mut tx = self.writer().begin().await?;
                let station = e.sheet.station.clone();
                let (receipt, wrote) = submit_in(&mut tx, e).await?;
                if wrote {
                    bump_and_commit(tx, &[station]).await?;
                } else {
                    tx.rollback().await?;
                }
                Ok(receipt)
            }

            async fn submit_many(
                &self,
                entries: Vec<NewEntry>,
            ) -> Result<Vec<Result<Receipt, StoreError>>, StoreError> {
                use sqlx::Acquire;
                let mut tx = self.writer().begin().await?;
                let mut out = Vec::with_capacity(entries.len());
                let mut touched = Vec::new();
                for e in entries {
                    let mut sp = (&mut tx).begin().await?;
                    let station = e.sheet.station.clone();
                    match submit_in(&mut sp, e).await {
                        Ok((receipt, true)) => {
                            sp.commit().await?;
                            touched.push(station);
                            out.push(Ok(receipt));
                        }
                        Ok((receipt, false)) => {
                            sp.rollback().await?;
                            out.push(Ok(receipt));
                        }
                        Err(err) => {
                            sp.rollback().await?;
                            out.push(Err(err));
                        }
                    }
                }
                if !touched.is_empty() {
                    bump_and_commit(tx, &touched).await?;
                } else {
                    tx.rollback().await?;
                }
                Ok(out)
            }

            async fn decide(
                &self,
                station: &str,
                reviewer: i64,
                entry: i64,
                note: &str,
                at: i64,
            ) -> Result<i64, StoreError> {
                let mut tx = self.writer().begin().await?;
                let sheet = sqlx::query(
                    "UPDATE sheets SET updated_at = updated_at WHERE station = $1 RETURNING state",
                )
                .bind(station)
                .fetch_optional(&mut *tx)
                .await?;
                let before = match sheet {
                    Some(r) => Some(sheet_state(&r.try_get::<String, _>("state")?)?),
                    None => None,
                };
                let to = flow::on_decision(before)?;
                let mine = sqlx::query("SELECT id FROM entries WHERE id = $1 AND station = $2")
                    .bind(entry)
                    .bind(station)
                    .fetch_optional(&mut *tx)
                    .await?;
                if mine.is_none() {
                    return Err(StoreError::UnknownEntry(entry));
                }
                sqlx::query("INSERT INTO decisions (station, reviewer, entry_id, note, at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(station)
                    .bind(reviewer)
                    .bind(entry)
                    .bind(note)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                let change = ("sheet", Some(entry), before.map(SheetState::as_str), to.as_str());
                let t = transition(&mut tx, station, change, Some(reviewer), at).await?;
                sqlx::query("UPDATE sheets SET state = $2, counted_entry = $3, updated_at = $4 WHERE station = $1")
                    .bind(station)
                    .bind(to.as_str())
                    .bind(entry)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                bump_and_commit(tx, &[station.to_string()]).await?;
                Ok(t)
            }

            async fn flag(
                &self,
                station: &str,
                reason: &str,
                sha256: Option<&str>,
                who: Option<i64>,
                at: i64,
            ) -> Result<(), StoreError> {
                let mut tx = self.writer().begin().await?;
                known(&mut tx, station).await?;
                let (state, _, n) = lock_sheet(&mut tx, station, at).await?;
                let state = sheet_state(&state)?;
                sqlx::query("INSERT INTO flags (station, reason, sha256, who, at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(station)
                    .bind(reason)
                    .bind(sha256)
                    .bind(who)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                if state != SheetState::InReview {
                    let to = state.go(SheetState::InReview)?;
                    let from = (n > 0 || state != SheetState::Pending).then_some(state.as_str());
                    transition(&mut tx, station, ("sheet", None, from, to.as_str()), who, at).await?;
                    sqlx::query("UPDATE sheets SET state = $2, updated_at = $3 WHERE station = $1")
                        .bind(station)
                        .bind(to.as_str())
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                }
                bump_and_commit(tx, &[station.to_string()]).await
            }

            async fn set_leaves(&self, leaves: &[(i64, i64)]) -> Result<(), StoreError> {
                let mut tx = self.writer().begin().await?;
                for (transition, leaf) in leaves {
                    sqlx::query("UPDATE transitions SET leaf = $2 WHERE id = $1")
                        .bind(transition)
                        .bind(leaf)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn record(&self, id: &str) -> Result<Option<StationRecord>, StoreError> {
                Ok(self.records_of(&[id.to_string()]).await?.pop())
            }

            async fn records_of(&self, ids: &[String]) -> Result<Vec<StationRecord>, StoreError> {
                use std::collections::HashMap;
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(RECORDS_PER_QUERY) {
                    let list = (1..=chunk.len())
                        .map(|i| format!("${i}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = RECORD_SQL.replace("(…)", &format!("({list})"));
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(id);
                    }
                    let rows = q.fetch_all(self.reader()).await?;
                    let mut recs: HashMap<String, StationRecord> = HashMap::new();
                    for r in &rows {
                        let part: i64 = r.try_get("part")?;
                        let station: String = r.try_get("station")?;
                        let t = |k: &str| r.try_get::<Option<String>, _>(k);
                        let n = |k: &str| r.try_get::<Option<i64>, _>(k);
                        let need = |v: Option<String>, what: &str| {
                            v.ok_or_else(|| StoreError::Corrupt(format!("{what} of station {station:?} is null")))
                        };
                        let num = |v: Option<i64>, what: &str| {
                            v.ok_or_else(|| StoreError::Corrupt(format!("{what} of station {station:?} is null")))
                        };
                        match part {
                            0 => {
                                let units = need(t("t1")?, "units")?;
                                let info = StationInfo {
                                    id: station.clone(),
                                    units: json(&units, "station units")?,
                                    registered: n("n1")?.and_then(|v| u64::try_from(v).ok()),
                                };
                                recs.insert(station.clone(), StationRecord::new(info));
                            }
                            1 => {
                                let state = sheet_state(&need(t("t1")?, "sheet state")?)?;
                                let counted = n("n1")?;
                                let rec = of(&mut recs, station.clone())?;
                                rec.sheet = Some(state);
                                rec.counted_entry = counted;
                            }
                            2 => {
                                let kind = need(t("t1")?, "entry kind")?;
                                let state = need(t("t5")?, "entry state")?;
                                let entry = EntryRow {
                                    id: r.try_get("ord")?,
                                    kind: SourceKind::parse(&kind)
                                        .ok_or_else(|| StoreError::Corrupt(format!("entry kind {kind:?}")))?,
                                    witness: n("n1")?,
                                    witness_name: t("t2")?,
                                    counts: json(&need(t("t3")?, "entry counts")?, "entry counts")?,
                                    origin: json(&need(t("t4")?, "entry origin")?, "entry origin")?,
                                    state: EntryState::parse(&state)
                                        .ok_or_else(|| StoreError::Corrupt(format!("entry state {state:?}")))?,
                                    at: num(n("n2")?, "entry time")?,
                                };
                                of(&mut recs, station.clone())?.entries.push(entry);
                            }
                            3 => {
                                let row = TransitionRow {
                                    subject: need(t("t1")?, "transition subject")?,
                                    entry: n("n1")?,
                                    from: t("t2")?,
                                    to: need(t("t3")?, "transition state")?,
                                    who: t("t4")?,
                                    at: num(n("n2")?, "transition time")?,
                                    leaf: n("n3")?,
                                };
                                of(&mut recs, station.clone())?.transitions.push(row);
                            }
                            4 => {
                                let row = DecisionRow {
                                    reviewer: need(t("t1")?, "reviewer")?,
                                    entry: num(n("n1")?, "decision entry")?,
                                    note: need(t("t2")?, "decision note")?,
                                    at: num(n("n2")?, "decision time")?,
                                };
                                of(&mut recs, station.clone())?.decisions.push(row);
                            }
                            5 => {
                                let u = UploadRow {
                                    sha256: need(t("t1")?, "photo hash")?,
                                    content_type: need(t("t2")?, "photo type")?,
                                    station: t("t3")?,
                                    qr_status: need(t("t4")?, "photo status")?,
                                    qr_station: t("t5")?,
                                    qr_reason: t("t6")?,
                                };
                                let rec = of(&mut recs, station.clone())?;
                                if !rec.uploads.iter().any(|x| x.sha256 == u.sha256) {
                                    rec.uploads.push(u);
                                }
                            }
                            6 => {
                                let row = FlagRow {
                                    reason: need(t("t1")?, "flag reason")?,
                                    sha256: t("t2")?,
                                    who: t("t3")?,
                                    at: num(n("n1")?, "flag time")?,
                                };
                                of(&mut recs, station.clone())?.flags.push(row);
                            }
                            other => return Err(StoreError::Corrupt(format!("record part {other}"))),
                        }
                    }
                    out.extend(chunk.iter().filter_map(|id| recs.remove(id)));
                }
                Ok(out)
            }

            async fn review_queue(&self, limit: i64) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query("SELECT station FROM sheets WHERE state = 'in-review' ORDER BY updated_at, station LIMIT $1")
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?;
                rows.iter()
                    .map(|r| Ok(r.try_get("station")?))
                    .collect()
            }

            async fn counted_each(
                &self,
                f: &mut (dyn FnMut(Counted) + Send),
            ) -> Result<(), StoreError> {
                use futures_util::TryStreamExt;
                let mut rows = sqlx::query("SELECT s.id, s.units, s.registered, h.state, e.counts FROM sheets h JOIN stations s ON s.id = h.station JOIN entries e ON e.id = h.counted_entry ORDER BY s.id")
                    .fetch(self.reader());
                while let Some(r) = rows.try_next().await? {
                    let counts: String = r.try_get("counts")?;
                    f(Counted {
                        info: station_of(&r)?,
                        state: sheet_state(&r.try_get::<String, _>("state")?)?,
                        counts: json::<Counts>(&counts, "counts")?,
                    });
                }
                Ok(())
            }

            async fn changed_since(
                &self,
                since: i64,
                f: &mut (dyn FnMut(Changed) + Send),
            ) -> Result<(), StoreError> {
                use futures_util::TryStreamExt;
                let mut rows = sqlx::query("SELECT s.id, s.units, s.registered, h.state, e.counts FROM stations s LEFT JOIN sheets h ON h.station = s.id LEFT JOIN entries e ON e.id = h.counted_entry WHERE s.changed > $1")
                    .bind(since)
                    .fetch(self.reader());
                while let Some(r) = rows.try_next().await? {
                    let info = station_of(&r)?;
                    let station = info.id.clone();
                    let counts: Option<String> = r.try_get("counts")?;
                    let counted = match counts {
                        Some(c) => Some(Counted {
                            info,
                            state: sheet_state(&r.try_get::<String, _>("state")?)?,
                            counts: json::<Counts>(&c, "counts")?,
                        }),
                        None => None,
                    };
                    f(Changed { station, counted });
                }
                Ok(())
            }

            async fn state_counts(&self) -> Result<Vec<(SheetState, i64)>, StoreError> {
                let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM sheets GROUP BY state ORDER BY state")
                    .fetch_all(self.reader())
                    .await?;
                rows.iter()
                    .map(|r| Ok((sheet_state(&r.try_get::<String, _>("state")?)?, r.try_get("n")?)))
                    .collect()
            }

            async fn version(&self) -> Result<(i64, Option<i64>), StoreError> {
                let row = sqlx::query("SELECT (SELECT value FROM meta WHERE key = 'version') AS v, (SELECT MAX(updated_at) FROM sheets) AS t")
                    .fetch_one(self.reader())
                    .await?;
                Ok((row.try_get("v")?, row.try_get("t")?))
            }

            async fn put_upload(&self, u: NewUpload) -> Result<Option<Option<String>>, StoreError> {
                let mut tx = self.writer().begin().await?;
                let old = sqlx::query("SELECT station FROM uploads WHERE sha256 = $1")
                    .bind(&u.sha256)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(r) = old {
                    tx.rollback().await?;
                    return Ok(Some(r.try_get("station")?));
                }
                sqlx::query("INSERT INTO uploads (sha256, content_type, bytes, station, uploaded_by, at, qr_status) VALUES ($1, $2, $3, $4, $5, $6, 'pending')")
                    .bind(&u.sha256)
                    .bind(u.content_type)
                    .bind(&u.bytes)
                    .bind(u.station.as_deref())
                    .bind(u.uploaded_by)
                    .bind(u.at)
                    .execute(&mut *tx)
                    .await?;
                let touched: Vec<String> = u.station.into_iter().collect();
                bump_and_commit(tx, &touched).await?;
                Ok(None)
            }

            async fn set_qr(
                &self,
                sha256: &str,
                status: &str,
                qr_station: Option<&str>,
                reason: Option<&str>,
            ) -> Result<bool, StoreError> {
                let mut tx = self.writer().begin().await?;
                let done = sqlx::query("UPDATE uploads SET qr_status = $2, qr_station = $3, qr_reason = $4 WHERE sha256 = $1 AND qr_status = 'pending'")
                    .bind(sha256)
                    .bind(status)
                    .bind(qr_station)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                // The photo shows on the records of the station it was
                // sent for, the one its code names and those it flagged.
                let rows = sqlx::query("SELECT station AS s FROM uploads WHERE sha256 = $1 AND station IS NOT NULL UNION SELECT qr_station FROM uploads WHERE sha256 = $1 AND qr_station IS NOT NULL UNION SELECT station FROM flags WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_all(&mut *tx)
                    .await?;
                let touched = rows
                    .iter()
                    .map(|r| r.try_get::<String, _>("s"))
                    .collect::<Result<Vec<_>, _>>()?;
                bump_and_commit(tx, &touched).await?;
                Ok(true)
            }

            async fn upload_bytes(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
                let row = sqlx::query("SELECT content_type, bytes FROM uploads WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(|r| Ok((r.try_get("content_type")?, r.try_get("bytes")?)))
                    .transpose()
            }

            async fn upload(&self, sha256: &str) -> Result<Option<UploadRow>, StoreError> {
                let row = sqlx::query("SELECT sha256, content_type, station, qr_status, qr_station, qr_reason FROM uploads WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(self.reader())
                    .await?;
                row.as_ref().map(upload_of).transpose()
            }

            async fn pending_uploads(&self, limit: i64) -> Result<Vec<(String, Option<i64>)>, StoreError> {
                let rows = sqlx::query("SELECT sha256, uploaded_by FROM uploads WHERE qr_status = 'pending' ORDER BY at, sha256 LIMIT $1")
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("sha256")?, r.try_get("uploaded_by")?)))
                    .collect()
            }

            async fn pending_upload_count(&self) -> Result<i64, StoreError> {
                let row = sqlx::query("SELECT COUNT(*) AS n FROM uploads WHERE qr_status = 'pending'")
                    .fetch_one(self.reader())
                    .await?;
                Ok(row.try_get("n")?)
            }

            async fn unlogged(&self) -> Result<Vec<(i64, String, EntryRow)>, StoreError> {
                let rows = sqlx::query("SELECT t.id AS tid, t.station, e.id, e.kind, e.witness_id, w.name AS witness_name, e.counts, e.origin, e.state, e.created_at FROM transitions t JOIN entries e ON e.id = t.entry_id LEFT JOIN witnesses w ON w.id = e.witness_id WHERE t.subject = 'sheet' AND t.leaf IS NULL AND t.to_state IN ('agreed', 'resolved') ORDER BY t.id")
                    .fetch_all(self.reader())
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("tid")?, r.try_get("station")?, entry_of(r)?)))
                    .collect()
            }

            async fn last_leaf(&self, station: &str) -> Result<Option<i64>, StoreError> {
                let row = sqlx::query("SELECT MAX(leaf) AS leaf FROM transitions WHERE station = $1")
                    .bind(station)
                    .fetch_one(self.reader())
                    .await?;
                Ok(row.try_get("leaf")?)
            }
        }

    };
}

pub(super) use impl_store;
