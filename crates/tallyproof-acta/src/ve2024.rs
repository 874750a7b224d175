//! The QR payload of Venezuela's 2024 presidential actas de escrutinio.
//!
//! One ASCII line, four fields separated by `!`:
//!
//! ```text
//! <acta_code>!<v1>,<v2>,...,<v38>!<null_votes>!<field4>
//! 240111028.01.1.0001!17,1,1,0,5,1,0,1,2,0,0,1,1,1,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,43,1,0!0!0
//! ```
//!
//! 1. `acta_code` = `CCCCCCCCC.MM.1.0001`: the 9-digit CNE centre code
//!    (state 2, municipality 2, parish 2, centre 3 digits, leading zero
//!    kept), the 2-digit mesa, and `.1.0001`, constant in every acta
//!    observed. The station id is `CCCCCCCCC.MM`.
//! 2. 38 counts, one per party card ("tarjeta") in printed order; a
//!    candidate's votes are the sum of his cards ([`VE2024_PARTY_LINES`])
//!    and all 38 sum to the valid votes.
//! 3. Null votes ("Votos nulos").
//! 4. A fourth count, 0 in every acta observed; probably blank votes
//!    ("Votos vacíos"). Kept as the extra count `field4`.
//!
//! Sources: the description in tallyproof's test data
//! (`venezuela-2024-acta-images/PROVENANCE.md`), checked against 11 real
//! actas and the opposition's RESULTADOS_2024_CSV_V1; the same grouping is
//! used by the community decoders Strvm/vnzla-libre (`vote_counter.py`),
//! xaiki/resultadosvzla-tools (`barimg.sh`) and ipince/vzlapi
//! (`api/pkg/qrcode/model.go`).

use crate::format::parse_count;
use crate::format::{LineGrouping, LineRef, NamedCount, Payload, PayloadError, PayloadFormat};

/// Number of party cards on the 2024 presidential acta.
pub const VE2024_CARD_COUNT: usize = 38;

/// The 38 party cards in printed order (abbreviations as printed on the
/// acta).
pub const VE2024_CARDS: [&str; VE2024_CARD_COUNT] = [
    "PSUV",
    "PCV",
    "TUPAMARO",
    "PPT",
    "MSV",
    "PODEMOS",
    "MEP",
    "APC",
    "ORA",
    "UPV",
    "EV",
    "PVV",
    "PFV",
    "AD",
    "COPEI",
    "MR",
    "BR",
    "DDP",
    "UNE",
    "EL CAMBIO",
    "PV",
    "VU",
    "UVV",
    "MPJ",
    "AP",
    "MOVEV",
    "CMC",
    "FV",
    "ALIANZA DEL LAPIZ",
    "MIN UNIDAD",
    "SPV",
    "VPA",
    "AREPA",
    "UNTC",
    "MPV",
    "MUD",
    "CENTRADOS",
    "CONDE",
];

/// Option keys (the column names of RESULTADOS_2024_CSV_V1) with the
/// candidate's name, in the CSV's column order.
pub const VE2024_CANDIDATES: [(&str, &str); 10] = [
    ("EG", "EDMUNDO GONZALEZ"),
    ("NM", "NICOLAS MADURO"),
    ("LM", "LUIS MARTINEZ"),
    ("JABE", "JAVIER BERTUCCI"),
    ("JOBR", "JOSE BRITO"),
    ("AE", "ANTONIO ECARRI"),
    ("CF", "CLAUDIO FERMIN"),
    ("DC", "DANIEL CEBALLOS"),
    ("EM", "ENRIQUE MARQUEZ"),
    ("BERA", "BENJAMIN RAUSSEO"),
];

/// The default party lines per option, by 1-based card index: cards 1–13
/// NM, 14–19 LM, 20 JABE, 21–24 JOBR, 25–30 AE, 31 CF, 32–33 DC, 34–36 EG,
/// 37 EM, 38 BERA (group sizes 13, 6, 1, 4, 6, 1, 2, 3, 1, 1 in printed
/// order, as in Strvm/vnzla-libre `vote_counter.py`). Listed in the CSV's
/// column order.
pub const VE2024_PARTY_LINES: [(&str, &[usize]); 10] = [
    ("EG", &[34, 35, 36]),
    ("NM", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
    ("LM", &[14, 15, 16, 17, 18, 19]),
    ("JABE", &[20]),
    ("JOBR", &[21, 22, 23, 24]),
    ("AE", &[25, 26, 27, 28, 29, 30]),
    ("CF", &[31]),
    ("DC", &[32, 33]),
    ("EM", &[37]),
    ("BERA", &[38]),
];

/// [`VE2024_PARTY_LINES`] as a [`LineGrouping`].
pub fn ve2024_grouping() -> LineGrouping {
    LineGrouping {
        options: VE2024_PARTY_LINES
            .iter()
            .map(|(key, cards)| {
                (
                    (*key).to_string(),
                    cards.iter().map(|&i| LineRef::Index(i)).collect(),
                )
            })
            .collect(),
    }
}

/// The Venezuela 2024 presidential acta payload format.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ve2024;

const ACTA_SHAPE: &str = "CCCCCCCCC.MM.N.NNNN (9-digit centre, 2-digit mesa)";

impl Ve2024 {
    /// The format's name.
    pub const NAME: &'static str = "ve2024";
}

fn foreign(reason: impl Into<String>) -> PayloadError {
    PayloadError::Foreign {
        format: Ve2024::NAME.to_string(),
        reason: reason.into(),
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits an acta code into (centre, mesa), checking its shape.
fn parse_acta_code(code: &str) -> Result<(&str, &str), PayloadError> {
    let bad = || PayloadError::BadSheetCode {
        code: code.chars().take(40).collect(),
        expected: ACTA_SHAPE.to_string(),
    };
    let parts: Vec<&str> = code.split('.').collect();
    match parts.as_slice() {
        [centre, mesa, kind, seq]
            if centre.len() == 9
                && mesa.len() == 2
                && all_digits(centre)
                && all_digits(mesa)
                && all_digits(kind)
                && all_digits(seq) =>
        {
            Ok((centre, mesa))
        }
        _ => Err(bad()),
    }
}

impl PayloadFormat for Ve2024 {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn parse(&self, raw: &str) -> Result<Payload, PayloadError> {
        let text = raw.trim();
        if !text.contains('!') {
            return Err(foreign("no '!' field separators"));
        }
        let fields: Vec<&str> = text.split('!').collect();
        let code = fields.first().copied().unwrap_or_default();
        // A first field made of digits and dots looks like an acta code
        // (perhaps a damaged one); anything else is another kind of QR.
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(foreign("first field is not an acta code"));
        }
        let (centre, mesa) = parse_acta_code(code)?;
        let [_, cards, nulls, field4] = fields.as_slice() else {
            return Err(PayloadError::FieldCount {
                expected: 4,
                found: fields.len(),
            });
        };
        let lines = cards
            .split(',')
            .enumerate()
            .map(|(i, v)| {
                let name = VE2024_CARDS.get(i).copied().unwrap_or("extra");
                parse_count(format_args!("card {} ({name})", i + 1), v.trim())
            })
            .collect::<Result<Vec<u64>, _>>()?;
        if lines.len() != VE2024_CARD_COUNT {
            return Err(PayloadError::LineCount {
                expected: VE2024_CARD_COUNT,
                found: lines.len(),
            });
        }
        let null_votes = parse_count("null votes", nulls.trim())?;
        let field4 = parse_count("field4", field4.trim())?;
        let payload = Payload {
            format: Self::NAME.to_string(),
            sheet_code: code.to_string(),
            station_id: format!("{centre}.{mesa}"),
            lines,
            null_votes,
            stated_valid_votes: None,
            extra: vec![NamedCount {
                name: "field4".to_string(),
                count: field4,
            }],
        };
        payload.check_totals()?;
        Ok(payload)
    }

    fn line_names(&self) -> &[&str] {
        &VE2024_CARDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "240111028.01.1.0001!17,1,1,0,5,1,0,1,2,0,0,1,1,1,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,43,1,0!0!0";

    #[test]
    fn parses_sample_from_provenance() {
        let p = Ve2024.parse(SAMPLE).expect("valid");
        assert_eq!(p.station_id, "240111028.01");
        assert_eq!(p.sheet_code, "240111028.01.1.0001");
        assert_eq!(p.lines.len(), 38);
        // 17+1+1+0+5+1+0+1+2+0+0+1+1 = 30 for NM; 4+43 = 47 for EG (cards 35, 36).
        assert_eq!(p.lines_total(), Some(80));
        let g = ve2024_grouping()
            .resolve(&VE2024_CARDS, 38)
            .expect("grouping");
        let by = g.apply(&p).expect("sums");
        let get = |k: &str| by.iter().find(|c| c.name == k).map(|c| c.count);
        assert_eq!(get("EG"), Some(47));
        assert_eq!(get("NM"), Some(30));
        assert_eq!(get("LM"), Some(2));
        assert_eq!(get("BERA"), Some(0));
        assert_eq!(get("EM"), Some(1));
    }

    #[test]
    fn default_grouping_partitions_all_cards() {
        assert!(ve2024_grouping().resolve(&VE2024_CARDS, 38).is_ok());
    }

    #[test]
    fn grouping_by_names() {
        let g = LineGrouping {
            options: vec![
                (
                    "A".into(),
                    VE2024_CARDS[..20]
                        .iter()
                        .map(|n| LineRef::Name((*n).into()))
                        .collect(),
                ),
                ("B".into(), (21..=38).map(LineRef::Index).collect()),
            ],
        };
        let r = g.resolve(&VE2024_CARDS, 38).expect("resolves");
        let p = Ve2024.parse(SAMPLE).expect("valid");
        let by = r.apply(&p).expect("sums");
        assert_eq!(by[0].count + by[1].count, 80);
    }

    #[test]
    fn rejects_bad_payloads() {
        assert!(
            Ve2024
                .parse("https://example.org/")
                .expect_err("foreign")
                .is_foreign()
        );
        assert!(
            Ve2024
                .parse("HELLO!1,2!0!0")
                .expect_err("foreign")
                .is_foreign()
        );
        assert!(matches!(
            Ve2024.parse("240111028.01.1.0001!1,2,3!0"),
            Err(PayloadError::FieldCount {
                expected: 4,
                found: 3
            })
        ));
        assert!(matches!(
            Ve2024.parse("240111028.01.1.0001!1,2,3!0!0"),
            Err(PayloadError::LineCount {
                expected: 38,
                found: 3
            })
        ));
        assert!(matches!(
            Ve2024.parse("24011102.01.1.0001!1!0!0"),
            Err(PayloadError::BadSheetCode { .. })
        ));
        let bad_card = SAMPLE.replacen(",43,", ",4x3,", 1);
        assert!(matches!(
            Ve2024.parse(&bad_card),
            Err(PayloadError::NotANumber { .. })
        ));
        let neg = SAMPLE.replacen(",43,", ",-43,", 1);
        assert!(matches!(
            Ve2024.parse(&neg),
            Err(PayloadError::NotANumber { .. })
        ));
        let bad_null = SAMPLE.replacen("!0!0", "!x!0", 1);
        assert!(matches!(
            Ve2024.parse(&bad_null),
            Err(PayloadError::NotANumber { .. })
        ));
        let huge = SAMPLE.replacen("!17,1,", "!18446744073709551615,1,", 1);
        assert_eq!(Ve2024.parse(&huge), Err(PayloadError::Overflow));
    }

    #[test]
    fn grouping_errors() {
        let mut g = ve2024_grouping();
        g.options[0].1.push(LineRef::Index(1));
        assert!(matches!(
            g.resolve(&VE2024_CARDS, 38),
            Err(crate::format::GroupingError::Duplicate { index: 1, .. })
        ));
        let mut g = ve2024_grouping();
        g.options.pop();
        assert!(matches!(
            g.resolve(&VE2024_CARDS, 38),
            Err(crate::format::GroupingError::Unassigned { index: 38 })
        ));
        let mut g = ve2024_grouping();
        g.options[0].1.push(LineRef::Index(39));
        assert!(matches!(
            g.resolve(&VE2024_CARDS, 38),
            Err(crate::format::GroupingError::OutOfRange { .. })
        ));
        let mut g = ve2024_grouping();
        g.options[0].1.push(LineRef::Name("NOPE".into()));
        assert!(matches!(
            g.resolve(&VE2024_CARDS, 38),
            Err(crate::format::GroupingError::UnknownName { .. })
        ));
    }
}
