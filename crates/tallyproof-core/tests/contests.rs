//! Several contests in one long file, null and blank rows, the quarantine
//! read back in, and coverage from a file that lists stations without a
//! sheet. Every figure is worked by hand from the files in
//! tests/multicontest and tests/coverage.

use std::path::PathBuf;

use tallyproof_core::{Config, NoProgress, Rule, quarantine, read_bytes, read_files, tabulate};

fn dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests")
        .join(sub)
}

/// tests/multicontest/openelections_cr.csv, CR-only line ends, quoted names
/// with `""`. Presidential rows (HARRIS, TRUMP, WRITEIN, OVER, UNDER):
///   Adams/P1 120 150 3 | 2 5
///   Adams/P2  80  95 0 | 1 4
///   Adams/P3 200  40 7 | 0 9
///   Brown/P1  55  66 1 | 3 2
///   Brown/P2  70  71 + "Kennedy, Robert F." 9 (not in the config) | 0 1
/// Each of the first four precincts also has 3 rows of other offices
/// (U.S. SENATE ×2, STATE HOUSE), Brown/P2 one: 13 rows of other contests.
/// Accepted: HARRIS 120+80+200+55 = 455, TRUMP 150+95+40+66 = 351,
/// WRITEIN 3+0+7+1 = 11; null 2+1+0+3 = 6; blank 5+4+9+2 = 20;
/// valid 455+351+11 = 817, cast 817+6+20 = 843.
#[test]
fn one_contest_out_of_a_multi_contest_long_file() {
    let d = dir("multicontest");
    let cfg = Config::from_path(&d.join("openelections.toml")).unwrap();
    assert_eq!(cfg.options.len(), 3, "over and under votes are not options");
    let ds = read_files(&cfg, &[d.join("openelections_cr.csv")], None, &NoProgress).unwrap();
    let sum = ds.summary();
    assert_eq!(sum.accepted, 4);
    assert_eq!(sum.quarantined, 1);
    assert_eq!(sum.other_contests, 13);
    assert_eq!(ds.files[0].filtered, 13);
    assert_eq!(sum.rows_read, 5, "a long file's rows read are its stations");
    // The station breaks E011 once, however many of its rows are off.
    assert_eq!(sum.by_rule.len(), 1);
    assert_eq!(sum.by_rule[0].rule, Rule::LongShape);
    assert_eq!(sum.by_rule[0].sheets, 1);
    let q = &ds.quarantine[0];
    assert_eq!(q.station.as_deref(), Some("Brown/P2"));
    assert_eq!(q.more.len(), 4, "all five presidential rows are kept");
    assert!(q.reasons[0].message.contains("Kennedy, Robert F."));

    let t = tabulate(&cfg, &ds, None, None);
    let n = &t.units[0];
    assert_eq!(n.votes, vec![455, 351, 11]);
    assert_eq!(n.valid, 817);
    assert_eq!(n.null, Some(6));
    assert_eq!(n.blank, Some(20));
    assert_eq!(n.cast, 843);
    assert!((n.shares[0].unwrap() - 455.0 / 817.0).abs() < 1e-12);
    let by_county = tabulate(&cfg, &ds, None, Some(0));
    let adams = by_county.units.iter().find(|u| u.code == "Adams").unwrap();
    assert_eq!(adams.votes, vec![400, 285, 10]);
    assert_eq!(adams.null, Some(3));

    // The quarantine file reads back with the same config: one station,
    // the same reason, no row of it over-long.
    let mut out = Vec::new();
    quarantine::write(&cfg, &ds, &mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert_eq!(
        text.lines().count(),
        1 + 5,
        "header and the station's five rows"
    );
    let back = read_bytes(&cfg, "quarantine.csv", out, None, &NoProgress).unwrap();
    assert_eq!(back.sheets.len(), 0);
    assert_eq!(back.quarantine.len(), 1);
    assert_eq!(back.quarantine[0].station.as_deref(), Some("Brown/P2"));
    assert!(
        back.quarantine[0]
            .reasons
            .iter()
            .all(|r| r.rule == Rule::LongShape),
        "{:?}",
        back.quarantine[0].reasons
    );
}

/// A where filter with a list of values, on a wide file: rows of other
/// contests are counted, never validated (the row with text in a count
/// would otherwise be E003).
#[test]
fn a_where_filter_with_a_list_of_values_on_a_wide_file() {
    let cfg = Config::from_toml(
        r#"
        [election]
        name = "t"
        [input]
        where = { contest = ["P", "p2"] }
        [station]
        id = ["station"]
        [[options]]
        key = "A"
        [[options]]
        key = "B"
        "#,
    )
    .unwrap();
    let text = b"station,contest,A,B\n1,P,10,5\n1,S,x,y\n2,p2,1,2\n3, P ,4,4\n4,Q,1,1\n".to_vec();
    let ds = read_bytes(&cfg, "w.csv", text, None, &NoProgress).unwrap();
    let s = ds.summary();
    // Stations 1 (P), 2 (p2) and 3 (" P ", trimmed) kept; 1/S and 4/Q out.
    assert_eq!((s.accepted, s.quarantined, s.other_contests), (3, 0, 2));
    assert_eq!(s.rows_read, 3);
    let t = tabulate(&cfg, &ds, None, None);
    assert_eq!(t.units[0].votes, vec![15, 11]);
}

#[test]
fn a_filter_column_the_file_lacks_is_an_error_naming_it() {
    let cfg = Config::from_toml(
        "[election]\nname = \"t\"\n[input]\nwhere = { ofice = \"P\" }\n[station]\nid = [\"station\"]\n[[options]]\nkey = \"A\"\n",
    )
    .unwrap();
    let e = read_bytes(
        &cfg,
        "w.csv",
        b"station,office,A\n1,P,1\n".to_vec(),
        None,
        &NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("ofice") && e.contains("office"), "{e}");
}

#[test]
fn roles_are_for_long_files_and_not_beside_a_mapped_column() {
    let wide = Config::from_toml(
        "[election]\nname = \"t\"\n[station]\nid = [\"s\"]\n[[options]]\nkey = \"A\"\n[[options]]\nkey = \"o\"\nrole = \"null\"\n",
    );
    assert!(wide.unwrap_err().to_string().contains("long"));
    let both = Config::from_toml(
        "[election]\nname = \"t\"\n[input]\nshape = \"long\"\noption_column = \"c\"\nvotes_column = \"v\"\n[station]\nid = [\"s\"]\n[columns]\nnull = \"n\"\n[[options]]\nkey = \"A\"\n[[options]]\nkey = \"o\"\nrole = \"null\"\n",
    );
    assert!(both.unwrap_err().to_string().contains("choose one"));
}

/// tests/coverage/wide_with_empty_rows.csv: six stations, two (2 and 4)
/// with every count empty. Sheets in hand 4 of 6; registered voters in
/// the sheets 100+90+150+80 = 420 of 420+120+200 = 740. Region N: 2 of 3,
/// S: 2 of 3.
#[test]
fn a_file_that_lists_stations_without_a_sheet_is_its_own_denominator() {
    let d = dir("coverage");
    let cfg = Config::from_path(&d.join("wide.toml")).unwrap();
    let ds = read_files(
        &cfg,
        &[d.join("wide_with_empty_rows.csv")],
        None,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(ds.missing.len(), 2);
    let t = tabulate(&cfg, &ds, None, None);
    let n = &t.units[0];
    assert_eq!(n.sheets, 4);
    assert_eq!(n.stations_known, Some(6));
    assert_eq!(n.registered_in_sheets, Some(420));
    assert_eq!(n.registered_known, Some(740));
    assert!(
        t.denominator.contains("the input itself"),
        "{}",
        t.denominator
    );
    let r = tabulate(&cfg, &ds, None, Some(0));
    for u in &r.units {
        assert_eq!((u.sheets, u.stations_known), (2, Some(3)), "{}", u.code);
    }
    // A config figure, when given, is the denominator instead.
    let mut cfg2 = cfg.clone();
    cfg2.election.stations_total = Some(10);
    assert_eq!(
        tabulate(&cfg2, &ds, None, None).units[0].stations_known,
        Some(10)
    );
}
