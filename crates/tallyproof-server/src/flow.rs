//! Double entry as a state machine: what one new entry does to a station's
//! sheet, given the entries already held. Pure: the store runs it inside
//! its write transaction and stores what it returns.
//!
//! - An entry is [`EntryState::Submitted`], then [`EntryState::Matched`]
//!   (another independent entry agrees) or [`EntryState::Disputed`] (one
//!   disagrees). An entry is never edited: a correction is a new entry
//!   from the same source, and only the latest entry of each source takes
//!   part in matching.
//! - A sheet is [`SheetState::Pending`] (waiting for a second entry),
//!   [`SheetState::Agreed`] (two independent entries agree, or an import
//!   arrived), [`SheetState::InReview`] (entries disagree) and
//!   [`SheetState::Resolved`] (a reviewer chose an entry). An agreed or
//!   resolved sheet that receives a disagreeing entry goes back to review;
//!   its counted numbers stay those last agreed until the reviewer decides.
//!
//! Independence, as in Mexico's PREP (two typists, a third decides): two
//! witness entries count only from two different people;
//! a decoded QR code and one typed entry count even from the same person,
//! since the code is read by machine; an imported file is independent of
//! every witness.

use serde::{Deserialize, Serialize};
use tallyproof_core::sheet::{Counts, SourceKind};

/// The state of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryState {
    /// Received, waiting for an independent entry.
    Submitted,
    /// An independent entry agrees with it (terminal).
    Matched,
    /// An independent entry disagrees with it (terminal).
    Disputed,
}

/// The state of one station's sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SheetState {
    /// One source so far: waiting for a second, independent entry.
    Pending,
    /// Two independent sources agree (or an import arrived): it counts.
    Agreed,
    /// Sources disagree: a reviewer must decide.
    InReview,
    /// A reviewer chose the numbers that count.
    Resolved,
}

/// A transition that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {subject} cannot go from {from} to {to}")]
pub struct Forbidden {
    /// `entry` or `sheet`.
    pub subject: &'static str,
    /// The state it is in.
    pub from: &'static str,
    /// The state asked for.
    pub to: &'static str,
}

impl EntryState {
    /// `submitted`, `matched` or `disputed`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Submitted => "submitted",
            EntryState::Matched => "matched",
            EntryState::Disputed => "disputed",
        }
    }

    /// The state named by [`EntryState::as_str`].
    pub fn parse(s: &str) -> Option<EntryState> {
        [
            EntryState::Submitted,
            EntryState::Matched,
            EntryState::Disputed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Move to `to` if that transition exists: only `Submitted` moves.
    pub fn go(self, to: EntryState) -> Result<EntryState, Forbidden> {
        match (self, to) {
            (EntryState::Submitted, EntryState::Matched | EntryState::Disputed) => Ok(to),
            _ => Err(Forbidden {
                subject: "entry",
                from: self.as_str(),
                to: to.as_str(),
            }),
        }
    }
}

impl SheetState {
    /// `pending`, `agreed`, `in-review` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            SheetState::Pending => "pending",
            SheetState::Agreed => "agreed",
            SheetState::InReview => "in-review",
            SheetState::Resolved => "resolved",
        }
    }

    /// The state named by [`SheetState::as_str`].
    pub fn parse(s: &str) -> Option<SheetState> {
        [
            SheetState::Pending,
            SheetState::Agreed,
            SheetState::InReview,
            SheetState::Resolved,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Words for a page.
    pub fn label(self) -> &'static str {
        match self {
            SheetState::Pending => "pending a second entry",
            SheetState::Agreed => "agreed",
            SheetState::InReview => "in review",
            SheetState::Resolved => "resolved by a reviewer",
        }
    }

    /// Move to `to` if that transition exists: Pending → Agreed | InReview,
    /// Agreed | Resolved → InReview (a disagreeing entry arrives),
    /// InReview → Resolved.
    pub fn go(self, to: SheetState) -> Result<SheetState, Forbidden> {
        use SheetState::*;
        match (self, to) {
            (Pending, Agreed | InReview) | (Agreed | Resolved, InReview) | (InReview, Resolved) => {
                Ok(to)
            }
            _ => Err(Forbidden {
                subject: "sheet",
                from: self.as_str(),
                to: to.as_str(),
            }),
        }
    }
}

/// An entry already held for the station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Its id in the store.
    pub id: i64,
    /// Its source.
    pub kind: SourceKind,
    /// The witness who sent it (none for an import).
    pub witness: Option<i64>,
    /// Its numbers.
    pub counts: Counts,
    /// Its state.
    pub state: EntryState,
}

/// The new entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming<'a> {
    /// Its source.
    pub kind: SourceKind,
    /// The witness who sends it (none for an import).
    pub witness: Option<i64>,
    /// Its numbers.
    pub counts: &'a Counts,
}

/// What the new entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An import identical to one already held: nothing is stored.
    Duplicate {
        /// The entry it repeats.
        of: i64,
    },
    /// Store the entry in `entry`; move `others` to their new states; the
    /// sheet goes from `from` (none: no sheet yet) to `to`.
    Apply {
        /// The new entry's state.
        entry: EntryState,
        /// Held entries that change state, with their new state.
        others: Vec<(i64, EntryState)>,
        /// The sheet's state before.
        from: Option<SheetState>,
        /// The sheet's state after.
        to: SheetState,
        /// Whether the new entry's numbers become the counted ones.
        counts_now: bool,
    },
}

/// Whether two sources are independent of each other (see the module
/// documentation).
pub fn independent(a: (SourceKind, Option<i64>), b: (SourceKind, Option<i64>)) -> bool {
    use SourceKind::*;
    match (a.0, b.0) {
        (Import | Official, _) | (_, Import | Official) => true,
        (Scan, Witness) | (Witness, Scan) => true,
        _ => a.1.is_none() || b.1.is_none() || a.1 != b.1,
    }
}

/// The latest held entry of each source (kind and witness): a correction
/// replaces its author's earlier entry in matching.
fn latest(held: &[Held]) -> Vec<&Held> {
    let mut out: Vec<&Held> = Vec::new();
    for h in held {
        match out
            .iter_mut()
            .find(|o| o.kind == h.kind && o.witness == h.witness && h.kind != SourceKind::Import)
        {
            Some(o) if o.id < h.id => *o = h,
            Some(_) => {}
            None => out.push(h),
        }
    }
    out
}

/// What `new` does to a sheet in state `sheet` (none: no entry yet) whose
/// counted numbers are `counted`, given the entries `held`.
pub fn on_entry(
    sheet: Option<SheetState>,
    counted: Option<&Counts>,
    held: &[Held],
    new: &Incoming<'_>,
) -> Result<Outcome, Forbidden> {
    use SheetState::*;
    if new.kind == SourceKind::Import
        && let Some(h) = held
            .iter()
            .find(|h| h.kind == SourceKind::Import && &h.counts == new.counts)
    {
        return Ok(Outcome::Duplicate { of: h.id });
    }
    let state = sheet.unwrap_or(Pending);
    let apply = |entry, others, to: SheetState, counts_now| -> Result<Outcome, Forbidden> {
        let to = if to == state { to } else { state.go(to)? };
        Ok(Outcome::Apply {
            entry,
            others,
            from: sheet,
            to,
            counts_now,
        })
    };
    match state {
        Pending => {
            let me = (new.kind, new.witness);
            let waiting: Vec<&Held> = latest(held)
                .into_iter()
                .filter(|h| {
                    h.state == EntryState::Submitted && independent(me, (h.kind, h.witness))
                })
                .collect();
            if let Some(m) = waiting.iter().find(|h| &h.counts == new.counts) {
                let others = vec![(m.id, m.state.go(EntryState::Matched)?)];
                apply(EntryState::Matched, others, Agreed, true)
            } else if !waiting.is_empty() {
                let others = waiting
                    .iter()
                    .map(|h| Ok((h.id, h.state.go(EntryState::Disputed)?)))
                    .collect::<Result<Vec<_>, Forbidden>>()?;
                apply(EntryState::Disputed, others, InReview, false)
            } else if new.kind == SourceKind::Import {
                // An import counts on arrival.
                apply(EntryState::Matched, Vec::new(), Agreed, true)
            } else {
                apply(EntryState::Submitted, Vec::new(), Pending, false)
            }
        }
        Agreed | Resolved => {
            if counted == Some(new.counts) {
                apply(EntryState::Matched, Vec::new(), state, false)
            } else {
                apply(EntryState::Disputed, Vec::new(), InReview, false)
            }
        }
        InReview => apply(EntryState::Disputed, Vec::new(), InReview, false),
    }
}

/// A reviewer's decision: the sheet must be in review, and the chosen
/// entry one of the station's.
pub fn on_decision(sheet: Option<SheetState>) -> Result<SheetState, Forbidden> {
    match sheet {
        Some(s) => s.go(SheetState::Resolved),
        None => Err(Forbidden {
            subject: "sheet",
            from: "absent",
            to: SheetState::Resolved.as_str(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(a: u64) -> Counts {
        Counts {
            options: vec![a, 5],
            ..Counts::default()
        }
    }

    fn held(id: i64, kind: SourceKind, w: Option<i64>, a: u64, state: EntryState) -> Held {
        Held {
            id,
            kind,
            witness: w,
            counts: counts(a),
            state,
        }
    }

    /// One entry of witness 1, waiting for a second.
    fn waiting(id: i64, kind: SourceKind, a: u64) -> Held {
        held(id, kind, Some(1), a, EntryState::Submitted)
    }

    fn witness(w: i64, c: &Counts) -> Incoming<'_> {
        Incoming {
            kind: SourceKind::Witness,
            witness: Some(w),
            counts: c,
        }
    }

    #[test]
    fn first_entry_waits_second_from_another_witness_agrees() {
        let c = counts(10);
        let o = on_entry(None, None, &[], &witness(1, &c)).unwrap();
        assert!(matches!(
            o,
            Outcome::Apply {
                entry: EntryState::Submitted,
                to: SheetState::Pending,
                counts_now: false,
                ..
            }
        ));
        let h = [waiting(7, SourceKind::Witness, 10)];
        let o = on_entry(Some(SheetState::Pending), None, &h, &witness(2, &c)).unwrap();
        assert_eq!(
            o,
            Outcome::Apply {
                entry: EntryState::Matched,
                others: vec![(7, EntryState::Matched)],
                from: Some(SheetState::Pending),
                to: SheetState::Agreed,
                counts_now: true
            }
        );
    }

    #[test]
    fn the_same_witness_twice_is_not_two_entries() {
        let c = counts(10);
        let h = [waiting(7, SourceKind::Witness, 10)];
        let o = on_entry(Some(SheetState::Pending), None, &h, &witness(1, &c)).unwrap();
        assert!(matches!(
            o,
            Outcome::Apply {
                entry: EntryState::Submitted,
                to: SheetState::Pending,
                ..
            }
        ));
    }

    #[test]
    fn a_correction_replaces_its_authors_earlier_entry() {
        // Witness 1 typed 11, then corrected to 10; witness 2 types 10.
        let c = counts(10);
        let h = [
            held(7, SourceKind::Witness, Some(1), 11, EntryState::Submitted),
            held(8, SourceKind::Witness, Some(1), 10, EntryState::Submitted),
        ];
        let o = on_entry(Some(SheetState::Pending), None, &h, &witness(2, &c)).unwrap();
        assert!(
            matches!(o, Outcome::Apply { to: SheetState::Agreed, ref others, .. } if others == &vec![(8, EntryState::Matched)])
        );
    }

    #[test]
    fn a_disagreement_goes_to_review_and_a_decision_resolves_it() {
        let c = counts(12);
        let h = [waiting(7, SourceKind::Witness, 10)];
        let o = on_entry(Some(SheetState::Pending), None, &h, &witness(2, &c)).unwrap();
        assert_eq!(
            o,
            Outcome::Apply {
                entry: EntryState::Disputed,
                others: vec![(7, EntryState::Disputed)],
                from: Some(SheetState::Pending),
                to: SheetState::InReview,
                counts_now: false
            }
        );
        assert_eq!(
            on_decision(Some(SheetState::InReview)),
            Ok(SheetState::Resolved)
        );
        assert!(on_decision(Some(SheetState::Pending)).is_err());
        assert!(on_decision(Some(SheetState::Agreed)).is_err());
        assert!(on_decision(None).is_err());
    }

    #[test]
    fn a_decoded_qr_and_one_typed_entry_from_the_same_person_agree() {
        let c = counts(10);
        let h = [waiting(3, SourceKind::Scan, 10)];
        let o = on_entry(Some(SheetState::Pending), None, &h, &witness(1, &c)).unwrap();
        assert!(matches!(
            o,
            Outcome::Apply {
                to: SheetState::Agreed,
                ..
            }
        ));
    }

    #[test]
    fn an_import_counts_on_arrival_and_a_disagreeing_witness_reopens_it() {
        let c = counts(10);
        let imp = Incoming {
            kind: SourceKind::Import,
            witness: None,
            counts: &c,
        };
        let o = on_entry(None, None, &[], &imp).unwrap();
        assert!(matches!(
            o,
            Outcome::Apply {
                entry: EntryState::Matched,
                to: SheetState::Agreed,
                counts_now: true,
                ..
            }
        ));
        let h = [held(1, SourceKind::Import, None, 10, EntryState::Matched)];
        assert_eq!(
            on_entry(Some(SheetState::Agreed), Some(&c), &h, &imp).unwrap(),
            Outcome::Duplicate { of: 1 }
        );
        let agree = on_entry(Some(SheetState::Agreed), Some(&c), &h, &witness(4, &c)).unwrap();
        assert!(matches!(
            agree,
            Outcome::Apply {
                entry: EntryState::Matched,
                to: SheetState::Agreed,
                counts_now: false,
                ..
            }
        ));
        let other = counts(9);
        let o = on_entry(Some(SheetState::Agreed), Some(&c), &h, &witness(4, &other)).unwrap();
        assert!(matches!(
            o,
            Outcome::Apply {
                entry: EntryState::Disputed,
                to: SheetState::InReview,
                counts_now: false,
                ..
            }
        ));
    }

    #[test]
    fn only_existing_transitions() {
        use SheetState::*;
        let all = [Pending, Agreed, InReview, Resolved];
        let allowed = [
            (Pending, Agreed),
            (Pending, InReview),
            (Agreed, InReview),
            (Resolved, InReview),
            (InReview, Resolved),
        ];
        for a in all {
            for b in all {
                assert_eq!(a.go(b).is_ok(), allowed.contains(&(a, b)), "{a:?} -> {b:?}");
            }
        }
        assert!(EntryState::Matched.go(EntryState::Disputed).is_err());
        assert!(EntryState::Disputed.go(EntryState::Matched).is_err());
        assert!(EntryState::Submitted.go(EntryState::Submitted).is_err());
    }
}
