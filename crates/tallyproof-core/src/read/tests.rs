use super::*;

#[test]
fn chunks_respect_quotes() {
    let body = b"a,\"x\ny\",1\nb,2,3\nc,\"p\nq\",4\nd,5,6";
    let cuts = Cuts::new(b',', b'\n', Some(3));
    for min in 1..12 {
        let b = chunk_bounds(body, cuts, 100, min);
        let joined: Vec<u8> = b.iter().flat_map(|&(s, e)| body[s..e].to_vec()).collect();
        assert_eq!(joined, body.to_vec());
        for &(_, e) in &b {
            assert!(
                [0, 10, 16, 26, body.len()].contains(&e),
                "split inside a record at {e} (min {min})"
            );
        }
    }
}

#[test]
fn read_bytes_matches_read_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed");
    let cfg = Config::from_path(&dir.join("corpus.toml")).unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() || path.extension().is_some_and(|e| e == "toml") {
            continue;
        }
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let from_file = read_files(&cfg, &[&path], None, &NoProgress);
        let from_bytes = read_bytes(&cfg, &name, bytes, None, &NoProgress);
        match (from_file, from_bytes) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.sheets.station.len(), b.sheets.station.len(), "{name}");
                assert_eq!(a.sheets.votes, b.sheets.votes, "{name}");
                assert_eq!(a.sheets.source, b.sheets.source, "{name}");
                assert_eq!(
                    format!("{:?}", a.quarantine),
                    format!("{:?}", b.quarantine),
                    "{name}"
                );
                assert_eq!(format!("{:?}", a.flags), format!("{:?}", b.flags), "{name}");
                assert_eq!(a.rows_read(), b.rows_read(), "{name}");
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
            (a, b) => panic!("{name}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
        }
        seen += 1;
    }
    assert!(seen >= 25);
}

/// Everything a read produces, as text, to compare two reads.
fn fingerprint(ds: &Dataset) -> String {
    let s = &ds.sheets;
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        s.station.iter().collect::<Vec<_>>(),
        s.geo,
        s.votes,
        s.extras(),
        s.source
            .iter()
            .map(|p| (p.file, p.line, p.offset))
            .collect::<Vec<_>>(),
        ds.units
            .iter()
            .map(|u| (&u.codes, &u.names))
            .collect::<Vec<_>>(),
        ds.quarantine,
        ds.flags,
        ds.missing,
        ds.files
            .iter()
            .map(|f| (&f.header, f.rows, f.bytes, f.encoding, f.gzip))
            .collect::<Vec<_>>(),
    )
}

/// Streaming a file in blocks of any size gives exactly what reading it
/// whole gives: same sheets, lines, offsets, quarantine (with the
/// original fields re-read from the file), flags and errors.
#[test]
fn streaming_in_any_block_size_matches_reading_whole() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed");
    let mut cfg = Config::from_path(&dir.join("corpus.toml")).unwrap();
    let tmp = std::env::temp_dir().join(format!("tallyproof-stream-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // Files big enough to span many blocks: the corpus files repeated,
    // with their station ids made unique, and one with a Latin-1 byte
    // far from the start.
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "toml"))
        .collect();
    paths.sort();
    let ok = std::fs::read_to_string(dir.join("ok.csv")).unwrap();
    let (head, body) = ok.split_once('\n').unwrap();
    let mut big = format!("{head}\n");
    for k in 0..40 {
        for line in body.lines() {
            let (id, rest) = line.split_once(',').unwrap();
            big.push_str(&format!("{id}-{k},{rest}\n"));
        }
        if k == 20 {
            big.push_str("\"S-q\",\"quoted\nname\",,,,,,,,\n");
        }
    }
    let big_path = tmp.join("big.csv");
    std::fs::write(&big_path, &big).unwrap();
    let mut latin = big.clone().into_bytes();
    latin.extend_from_slice(b"S-late,Regi\xf3n 1,1,100,50,2,48,20,20,8\n");
    let latin_path = tmp.join("late_latin1.csv");
    std::fs::write(&latin_path, &latin).unwrap();
    let mut dup = big.clone();
    dup.push_str(body.lines().next().unwrap());
    dup.push('\n');
    let dup_path = tmp.join("late_duplicate.csv");
    std::fs::write(&dup_path, &dup).unwrap();
    // Conflicting copies interleaved (S1-0, S2-0, S1-0', S2-0'), so that
    // rows are re-read out of file order.
    let mut conflicts = big.clone();
    for id in ["S001-0", "S002-0"] {
        conflicts.push_str(&format!("{id},1,North,500,203,3,200,100,80,20\n"));
    }
    let conflicts_path = tmp.join("conflicts.csv");
    std::fs::write(&conflicts_path, &conflicts).unwrap();
    // An unclosed quote whose record swallows the next lines (the last
    // of which opens another): the recovery cuts it at its first line,
    // and no block may end inside it (found by fuzzing).
    let mut recovered = big.clone();
    recovered.push_str("S101,1,North,500,203,3,200,100,80,\"20\n");
    recovered.push_str("S104,1,North,500,203,3,200,100,80,20\n");
    recovered.push_str("S102,1,\"North,500,203,3,200,100,80,20\n");
    recovered.push_str("S103,1,North,500,203,3,200,100,80,20\n");
    recovered.push_str(&big[big.find('\n').unwrap() + 1..].replace("S0", "T0"));
    let recovered_path = tmp.join("recovered.csv");
    std::fs::write(&recovered_path, &recovered).unwrap();
    // A quote never closed near the start, more than MAX_FIELD bytes of
    // rows after it.
    let mut never_closed = format!("{head}\nS900,1,\"North,500,203,3,200,100,80,20\n");
    for k in ["U", "V", "W"] {
        never_closed.push_str(
            &big[big.find('\n').unwrap() + 1..]
                .replace('"', "")
                .replace("S0", k),
        );
    }
    assert!(never_closed.len() > 2 * MAX_FIELD);
    let never_closed_path = tmp.join("never_closed.csv");
    std::fs::write(&never_closed_path, &never_closed).unwrap();
    paths.extend([
        big_path,
        latin_path,
        dup_path,
        conflicts_path,
        recovered_path,
        never_closed_path,
    ]);
    // Each again gzip-compressed, and one cut short far from the start.
    for p in paths.clone().iter().filter(|p| p.starts_with(&tmp)) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &std::fs::read(p).unwrap()).unwrap();
        let gz = enc.finish().unwrap();
        let gz_path = p.with_extension("csv.gz");
        std::fs::write(&gz_path, &gz).unwrap();
        paths.push(gz_path);
        if p.ends_with("big.csv") {
            let cut_path = tmp.join("big_cut.csv.gz");
            std::fs::write(&cut_path, &gz[..gz.len() * 2 / 3]).unwrap();
            paths.push(cut_path);
        }
    }
    for encoding in [Encoding::Auto, Encoding::Utf8] {
        cfg.input.encoding = encoding;
        for path in &paths {
            let name = path.display().to_string();
            let whole = read_bytes(&cfg, &name, std::fs::read(path).unwrap(), None, &NoProgress);
            for block in [1, 7, 64, 1000, stream::BLOCK] {
                let input = Input::Path(name.clone(), path.clone());
                let streamed = read_inputs(&cfg, std::iter::once(input), None, &NoProgress, block);
                match (&whole, streamed) {
                    (Ok(a), Ok(b)) => {
                        let (a, b) = (fingerprint(a), fingerprint(&b));
                        if let Some((x, y)) = a.lines().zip(b.lines()).find(|(x, y)| x != y) {
                            let cut = |t: &str| t.chars().take(400).collect::<String>();
                            panic!("{name}, block {block}:\n{}\n{}", cut(x), cut(y));
                        }
                    }
                    (Err(a), Err(b)) => {
                        assert_eq!(a.to_string(), b.to_string(), "{name}, block {block}")
                    }
                    (a, b) => panic!("{name}, block {block}: {a:?} vs {b:?}"),
                }
            }
        }
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A pipe cannot be read again by offset: it is read whole, and a
/// conflicting duplicate keeps its original fields.
#[cfg(target_os = "linux")]
#[test]
fn a_pipe_is_read_whole() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed");
    let cfg = Config::from_path(&dir.join("corpus.toml")).unwrap();
    let bytes = std::fs::read(dir.join("conflicting_duplicate.csv")).unwrap();
    let (reader, mut writer) = std::io::pipe().unwrap();
    let path = PathBuf::from(format!("/proc/self/fd/{}", reader.as_raw_fd()));
    let feed = bytes.clone();
    let t = std::thread::spawn(move || writer.write_all(&feed).unwrap());
    let input = Input::Path("pipe".into(), path);
    let piped = read_inputs(&cfg, std::iter::once(input), None, &NoProgress, 8).unwrap();
    t.join().unwrap();
    let whole = read_bytes(&cfg, "pipe", bytes, None, &NoProgress).unwrap();
    assert!(piped.quarantine.iter().any(|q| !q.record.is_empty()));
    assert_eq!(fingerprint(&piped), fingerprint(&whole));
}

/// A row re-read from a file that changed since it was read is not
/// taken for the original: the quarantine entry says so instead.
#[test]
fn rows_re_read_from_a_changed_file_are_refused() {
    let cfg = corpus_config();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    let text = b"station,registered,valid,A,B\nS1,100,50,30,20\nS2,100,40,30,10\n";
    std::fs::write(&path, text).unwrap();
    let header = read_header(&cfg, "s.csv", text).unwrap();
    let texts = vec![(
        Text::File {
            path: path.clone(),
            skip: 0,
            gzip: false,
        },
        header,
    )];
    let mut originals = Originals::new(&texts, &cfg);
    let p = Provenance {
        file: 0,
        line: 3,
        offset: 45,
    };
    assert_eq!(
        originals.record(&p, "S2").0,
        ["S2", "100", "40", "30", "10"]
    );
    assert_eq!(originals.get(&p, "S1"), None);
    std::fs::write(
        &path,
        b"station,registered,valid,A,B\nS1,100,50,30,20\nS3,100,40,30,10\n",
    )
    .unwrap();
    let (record, note) = originals.record(&p, "S2");
    assert!(record.is_empty());
    assert!(note.contains("could not be re-read"));
}

#[test]
fn record_cuts_follow_the_csv_rules_and_the_recovery() {
    let cuts = Cuts::new(b',', b'\n', Some(3));
    let body = b"a,\"x\ny\",1\nb,2,3\nc,\"p\nq\",4\nd";
    assert_eq!(cuts.last(body), Some(body.len() - 1));
    assert_eq!(cuts.last(b"a,\"x\ny"), None);
    assert_eq!(cuts.last(b"a,\"x\",z\ny,\"z"), Some(8));
    assert_eq!(cuts.last(b"no line end"), None);
    // A quote inside an unquoted field is a character, not an opening.
    assert_eq!(cuts.last(b"a,5\",b\nc,\"d\ne\",f\n"), Some(17));
    // `""` inside a quoted field is a quote.
    assert_eq!(cuts.last(b"a,\"b\"\"\nc\",d\n"), Some(12));
    // An unclosed quote swallowing a line into a record of the wrong
    // width: the record is cut at its first line end, and reading goes
    // on from the next line, where the quote below opens nothing.
    assert_eq!(cuts.last(b"a,\"b\nc,d,e\"\nf,g,h\n"), Some(18));
    assert_eq!(cuts.last(b"a,\"b\nc,d,e\"\n"), Some(12));
    assert_eq!(cuts.last(b"a,\"b\nc,d,e\"\nf,\"g"), Some(12));
    // Never inside the extent of a record the recovery cut short: read
    // alone, its first line would be a record of its own.
    assert_eq!(cuts.last(b"a,\"b\nc\nd\",e,f,g\rX"), None);
    // A quote never closed: the record is known to be cut short once
    // its field passes MAX_FIELD bytes, and the lines after it are
    // records again, without waiting for the end of the text.
    let mut open = b"x,\"y\n".to_vec();
    for _ in 0..1000 {
        open.extend_from_slice(b"1,2,3\n");
    }
    assert_eq!(cuts.last(&open), Some(open.len()));
    assert_eq!(cuts.last(b"a,\"b\nc\nd\",e,f,g\n"), Some(16));
    // The header is read without the recovery.
    let header = Cuts::new(b',', b'\n', None);
    assert_eq!(header.last(b"a,\"b\nc,d,e\"\n"), Some(12));
}

/// A chunk's outcome as text, to compare two parses.
fn chunk_print(c: &Chunk) -> String {
    let s = &c.sheets;
    format!(
        "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        c.rows,
        s.station.iter().collect::<Vec<_>>(),
        s.geo,
        s.votes,
        s.extras(),
        s.source,
        c.units
            .iter()
            .map(|u| (&u.codes, &u.names))
            .collect::<Vec<_>>(),
        c.quarantine,
        c.flags,
        c.missing
    )
}

proptest::proptest! {
    /// The plain-line splitter reads every quote-free text exactly as
    /// the CSV reader does: rows, fields, lines, offsets, and every
    /// verdict on them.
    #[test]
    fn plain_lines_parse_as_the_csv_reader_does(
        rows in proptest::collection::vec(
            (
                proptest::collection::vec(
                    proptest::prop_oneof![
                        proptest::strategy::Just(String::new()),
                        "[0-9]{1,4}",
                        " ?[0-9]{1,3} ?",
                        "[a-z -]{0,6}",
                        "-[0-9]",
                        "[0-9]{13}",
                    ],
                    0..9,
                ),
                0..4u8,
            ),
            0..30,
        ),
        last_newline in proptest::bool::ANY,
    ) {
        let cfg = two_options("[[levels]]\nkey = \"r\"\ncode = \"region\"\n");
        let mut text = String::from("station,region,registered,valid,A,B\n");
        for (k, (fields, end)) in rows.iter().enumerate() {
            // Mostly well-formed rows with a unique station, some not.
            if fields.len() == 5 {
                text.push_str(&format!("S{k},{}", fields[..5].join(",")));
            } else {
                text.push_str(&fields.join(","));
            }
            text.push_str(match end {
                0 => "\n",
                1 => "\r\n",
                2 => "\n\n",
                _ => "\r\n\r\n",
            });
        }
        if !last_newline {
            while text.ends_with('\n') || text.ends_with('\r') {
                text.pop();
            }
        }
        let header = read_header(&cfg, "t.csv", text.as_bytes()).unwrap();
        let ctx = RowCtx {
            cfg: &cfg,
            cols: &header.cols,
            names: &header.names,
            nfields: header.names.len(),
            file: 0,
            severities: severities(&cfg),
        };
        let body = &text.as_bytes()[header.body_start..];
        let first = 1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..header.body_start])
            .count() as u64;
        proptest::prop_assume!(is_plain(body, &header));
        let place = Place {
            offset: header.body_start as u64,
            first_line: first,
            line_ends: memchr::memchr_iter(b'\n', body).count(),
        };
        let plain = parse_chunk_with(&ctx, body, place, &header, true, None);
        let csv = parse_chunk_with(&ctx, body, place, &header, false, None);
        proptest::prop_assert_eq!(chunk_print(&plain), chunk_print(&csv));
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(256))]
    /// Any bytes after a good header (quotes, `\r`, blank lines, bytes
    /// that are not UTF-8), plain or gzip, streamed in any block size,
    /// read exactly as when read whole: same sheets, lines, offsets,
    /// quarantine, flags, or the same error.
    #[test]
    fn streaming_any_bytes_matches_reading_whole(
        body in proptest::collection::vec(
            proptest::sample::select(b"a1 9,,\"\n\n\r-\xc3\xa9".to_vec()),
            0..400,
        ),
        block in 1usize..64,
        gzip in proptest::bool::ANY,
        utf8_only in proptest::bool::ANY,
    ) {
        let mut cfg = corpus_config();
        cfg.input.encoding = if utf8_only { Encoding::Utf8 } else { Encoding::Auto };
        let mut bytes = b"station,registered,valid,A,B\n".to_vec();
        bytes.extend_from_slice(&body);
        if gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut enc, &bytes).unwrap();
            bytes = enc.finish().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(&path, &bytes).unwrap();
        let name = path.display().to_string();
        let whole = read_bytes(&cfg, &name, bytes, None, &NoProgress);
        let input = Input::Path(name.clone(), path.clone());
        let streamed = read_inputs(&cfg, std::iter::once(input), None, &NoProgress, block);
        match (&whole, &streamed) {
            (Ok(a), Ok(b)) => proptest::prop_assert_eq!(fingerprint(a), fingerprint(b)),
            (Err(a), Err(b)) => proptest::prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => proptest::prop_assert!(false, "{:?} vs {:?}", a.is_ok(), b.is_ok()),
        }
    }
}

#[test]
fn plain_needs_no_quotes_and_no_lone_cr() {
    let h = read_header(&corpus_config(), "t", b"station,registered,valid,A,B\n").unwrap();
    assert!(is_plain(b"a,1\r\nb,2\r", &h));
    assert!(!is_plain(b"a,\"1\"\n", &h));
    assert!(!is_plain(b"a,1\rb,2\n", &h));
}

fn corpus_config() -> Config {
    two_options("")
}

/// Options A and B, registered and valid columns, and `extra` TOML
/// (levels) after the station id.
fn two_options(extra: &str) -> Config {
    Config::from_toml(&format!(
        r#"
        [election]
        name = "t"
        [station]
        id = ["station"]
        {extra}
        [columns]
        registered = "registered"
        valid = "valid"
        [[options]]
        key = "A"
        [[options]]
        key = "B"
        "#
    ))
    .unwrap()
}

#[test]
fn empty_registered_on_a_sheet_with_votes_is_quarantined() {
    // Found by fuzzing: the sheet was accepted without an entry in the
    // registered column, which then no longer lined up with the others.
    let cfg = corpus_config();
    let csv = b"station,registered,valid,A,B\n1,100,30,10,20\n2,,30,10,20\n3,,,,\n4,90,5,2,3\n";
    let ds = read_bytes(&cfg, "t.csv", csv.to_vec(), None, &NoProgress).unwrap();
    assert_eq!(ds.sheets.len(), 2);
    assert_eq!(ds.sheets.registered.as_ref().map(Vec::len), Some(2));
    assert_eq!(ds.missing.len(), 1);
    assert_eq!(ds.quarantine.len(), 1);
    let q = &ds.quarantine[0];
    assert_eq!((q.source.line, q.reasons[0].rule), (3, Rule::CountEmpty));
    assert!(q.reasons[0].message.contains("registered"), "{q:?}");
    // The same sheet as JSON Lines, with the key left out.
    let jsonl = b"{\"station\":\"1\",\"registered\":100,\"valid\":30,\"A\":10,\"B\":20}\n{\"station\":\"2\",\"valid\":30,\"A\":10,\"B\":20}\n";
    let ds = read_bytes(&cfg, "t.jsonl", jsonl.to_vec(), None, &NoProgress).unwrap();
    assert_eq!(ds.sheets.len(), 1);
    assert_eq!(ds.sheets.registered.as_ref().map(Vec::len), Some(1));
    assert_eq!(ds.quarantine.len(), 1);
    assert_eq!(ds.quarantine[0].source.line, 2);
}

#[test]
fn duplicate_groups_match_a_hash_map() {
    let ids = [
        "a",
        "b",
        "a",
        "c",
        "b",
        "a",
        "",
        "",
        "d",
        "abcdefghij",
        "abcdefghij",
    ];
    let mut col = crate::model::StrColumn::default();
    ids.iter().for_each(|s| col.push(s));
    assert_eq!(
        duplicate_groups(&col),
        vec![vec![0, 2, 5], vec![1, 4], vec![6, 7], vec![9, 10]]
    );
    assert_ne!(hash_id(b"abcdefgh"), hash_id(b"abcdefgh\0"));
}

#[test]
fn two_unbalanced_quotes_do_not_swallow_the_rows_between() {
    // Found by a line-number test on a simulated file: the second quote
    // closed the first, the row came out with the right field count and
    // every row between went to the quarantine inside one long field.
    let cfg = corpus_config();
    let mut csv = String::from("station,registered,valid,A,B\n");
    for i in 0..400 {
        match i {
            10 => csv.push_str("s10,100,\"30,10,20\n"),
            300 => csv.push_str("s300,100,30\",10,20\n"),
            _ => csv.push_str(&format!("s{i},100,30,10,20\n")),
        }
    }
    let ds = read_bytes(&cfg, "t.csv", csv.into_bytes(), None, &NoProgress).unwrap();
    assert_eq!(ds.rows_read(), 400);
    assert_eq!(ds.sheets.len(), 398);
    let lines: Vec<u64> = ds.quarantine.iter().map(|q| q.source.line).collect();
    assert_eq!(lines, vec![12, 302]);
}

#[test]
fn parse_numbers() {
    assert!(matches!(parse_field(b" 42 "), Num::Value(42)));
    assert!(matches!(parse_field(b""), Num::Empty));
    assert!(matches!(parse_field(b"-3"), Num::Negative(_)));
    assert!(matches!(parse_field(b"-0"), Num::Value(0)));
    assert!(matches!(parse_field(b"1.5"), Num::Bad(_)));
    assert!(matches!(parse_field(b"1,234"), Num::Bad(_)));
    assert!(matches!(parse_field(b"abc"), Num::Bad(_)));
    assert!(matches!(parse_field(b"99999999999999"), Num::Bad(_)));
}

#[test]
fn a_scanned_rows_provenance_is_carried_and_files_are_named_and_hashed() {
    let cfg = plain_ab();
    let text = b"{\"station\":\"S1\",\"A\":10,\"B\":5,\"source\":\"scan\",\"image\":\"/home/op/actas/IMG_1.jpg\",\"image_sha256\":\"ab12\",\"qr_payload\":\"S1!10,5\"}\n{\"station\":\"S2\",\"A\":1,\"B\":2}\n";
    let ds = read_bytes(
        &cfg,
        "/home/op/in/scans.jsonl",
        text.to_vec(),
        None,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(ds.sheets.len(), 2);
    // sha256 of the bytes above, by Python's hashlib.
    let sha = "787605503df9517c8c8b26d0ef37e5555b2257089d7f7b4b2f2eb3aa9007b644";
    assert_eq!(ds.files[0].name, "scans.jsonl");
    assert_eq!(ds.files[0].sha256, sha);
    let s = ds.sheet(0);
    assert_eq!(s.station, "S1");
    assert_eq!(s.counts.options, vec![10, 5]);
    assert_eq!(s.origin.kind, crate::sheet::SourceKind::Scan);
    assert_eq!(s.origin.file.as_deref(), Some("scans.jsonl"));
    assert_eq!(s.origin.file_sha256.as_deref(), Some(sha));
    assert_eq!(s.origin.line, Some(1));
    assert_eq!(s.origin.image_sha256.as_deref(), Some("ab12"));
    assert_eq!(s.origin.qr_payload.as_deref(), Some("S1!10,5"));
    let t = ds.sheet(1);
    assert_eq!(t.origin.kind, crate::sheet::SourceKind::Import);
    assert_eq!(t.origin.file.as_deref(), Some("scans.jsonl"));
    assert_eq!(t.origin.line, Some(2));
    assert_eq!(
        crate::sheet::validate(&cfg, &s),
        crate::sheet::Verdict::Accepted { flags: vec![] }
    );
}

#[test]
fn a_streamed_file_is_hashed_whole_as_stored() {
    let cfg = plain_ab();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.csv");
    std::fs::write(&p, b"station,A,B\n1,10,5\n2,7,9\n").unwrap();
    // sha256 of those bytes, by Python's hashlib.
    let sha = "2ab614e30650011218ea16935ed9fe6aaf356ccea8cbbb0ff3d577136fa1da95";
    for block in [1, 7, 1 << 20] {
        let ds = read_files_in_blocks(&cfg, &[&p], None, &NoProgress, block).unwrap();
        assert_eq!(ds.files[0].sha256, sha, "block {block}");
        assert_eq!(ds.files[0].name, "s.csv");
    }
    let gz = dir.path().join("s.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, b"station,A,B\n1,10,5\n2,7,9\n").unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes).unwrap();
    let ds = read_files_in_blocks(&cfg, &[&gz], None, &NoProgress, 3).unwrap();
    assert_eq!(ds.files[0].sha256, sha256_hex(&bytes));
    assert_ne!(ds.files[0].sha256, sha);
}

fn plain_ab() -> Config {
    Config::from_toml(
        "[election]\nname = \"t\"\n[station]\nid = [\"station\"]\n[[options]]\nkey = \"A\"\n[[options]]\nkey = \"B\"\n",
    )
    .unwrap()
}

/// The same sheets as CSV and as JSON Lines: every line's fate (accepted,
/// quarantined under which rules, at which line) is the same, over a file
/// large enough to be cut into several chunks.
#[test]
fn json_lines_read_as_their_csv_twin() {
    let cfg = corpus_config();
    let mut csv = String::from("station,registered,valid,A,B\n");
    let mut json = String::new();
    for i in 0..60_000u32 {
        let (a, b) = (i % 97, i % 13);
        let valid = if i % 101 == 0 { a + b + 1 } else { a + b };
        match i % 1000 {
            // A count that is not a number.
            7 => {
                csv.push_str(&format!("s{i},200,{valid},x,{b}\n"));
                json.push_str(&format!(
                    "{{\"station\":\"s{i}\",\"registered\":200,\"valid\":{valid},\"A\":\"x\",\"B\":{b}}}\n"
                ));
            }
            // A station listed without a sheet.
            8 => {
                csv.push_str(&format!("s{i},200,,,\n"));
                json.push_str(&format!(
                    "{{\"station\":\"s{i}\",\"registered\":200,\"valid\":null,\"A\":null}}\n"
                ));
            }
            // A repeated station with other counts.
            9 => {
                csv.push_str(&format!("s{},200,{valid},{a},{b}\n", i - 3));
                json.push_str(&format!(
                    "{{\"B\":{b},\"A\":{a},\"valid\":{valid},\"registered\":200,\"station\":\"s{}\",\"extra\":[1,{{\"x\":2}}]}}\n",
                    i - 3
                ));
            }
            _ => {
                csv.push_str(&format!("s{i},200,{valid},{a},{b}\n"));
                json.push_str(&format!(
                    "{{\"station\":\"s{i}\",\"registered\":200,\"valid\":{valid},\"A\":{a},\"B\":{b}}}\n"
                ));
            }
        }
    }
    assert!(json.len() > 3 << 20, "{} bytes: one chunk only", json.len());
    let c = read_bytes(&cfg, "t.csv", csv.into_bytes(), None, &NoProgress).unwrap();
    let j = read_bytes(&cfg, "t.jsonl", json.into_bytes(), None, &NoProgress).unwrap();
    assert_eq!(j.rows_read(), 60_000);
    assert_eq!(c.sheets.len(), j.sheets.len());
    assert_eq!(c.missing.len(), 60);
    assert_eq!(j.missing.len(), 60);
    for i in 0..c.sheets.len() {
        let (a, b) = (c.sheet(i), j.sheet(i));
        assert_eq!((&a.station, &a.counts), (&b.station, &b.counts));
        // The JSON line is the CSV line less the header's.
        assert_eq!(a.origin.line.map(|l| l - 1), b.origin.line);
    }
    let fates = |d: &Dataset| -> Vec<(u64, Vec<Rule>)> {
        d.quarantine
            .iter()
            .map(|q| (q.source.line, q.reasons.iter().map(|r| r.rule).collect()))
            .collect()
    };
    let shifted: Vec<(u64, Vec<Rule>)> = fates(&c).into_iter().map(|(l, r)| (l - 1, r)).collect();
    assert_eq!(shifted, fates(&j));
    assert!(
        j.quarantine
            .iter()
            .any(|q| q.reasons[0].rule == Rule::Conflict)
    );
    // A conflicting copy is shown with the fields of its line, re-read, in
    // the config's order of columns (station, A, B, registered, valid):
    // line 10 is i = 9, station s6 again with A = B = 9 % 97 = 9 % 13 = 9.
    let q = j
        .quarantine
        .iter()
        .find(|q| q.source.line == 10)
        .expect("line 10 repeats station s6");
    assert_eq!(q.record, vec!["s6", "9", "9", "200", "18"], "{q:?}");
}

#[test]
fn json_lines_report_bad_lines_and_missing_keys() {
    let cfg = plain_ab();
    let text = b"{\"station\":\"1\",\"A\":1,\"B\":2}\n\n[1,2]\n{\"station\":\"2\",\"a\":3,\"B\":4}\n{\"station\":\"3\",\"A\":1,\"A\":9,\"B\":2}\n{\"station\":\"4\",\"A\":1,\"a\":9,\"B\":2}\nnot json\n";
    let ds = read_bytes(&cfg, "t.jsonl", text.to_vec(), None, &NoProgress).unwrap();
    // Lines 1, 4 (key in another case) and 6 (the exact key wins) count.
    let st: Vec<String> = (0..ds.sheets.len()).map(|i| ds.sheet(i).station).collect();
    assert_eq!(st, ["1", "2", "4"]);
    assert_eq!(ds.sheet(1).counts.options, vec![3, 4]);
    assert_eq!(ds.sheet(2).counts.options, vec![1, 2]);
    let q: Vec<(u64, String)> = ds
        .quarantine
        .iter()
        .map(|q| (q.source.line, q.reasons[0].message.clone()))
        .collect();
    assert_eq!(q.len(), 3, "{q:?}");
    assert_eq!(q[0].0, 3);
    assert!(q[0].1.starts_with("not a JSON object"), "{q:?}");
    assert_eq!(q[1].0, 5);
    assert!(q[1].1.contains("\"A\" is given twice"), "{q:?}");
    assert_eq!(q[2].0, 7);
    assert_eq!(ds.rows_read(), 6);
    // A column of the config that no line has is an error naming it.
    let text = b"{\"station\":\"1\",\"A\":1}\n{\"station\":\"2\",\"A\":1}\n";
    let e = read_bytes(&cfg, "t.jsonl", text.to_vec(), None, &NoProgress).unwrap_err();
    assert!(e.to_string().contains("\"B\""), "{e}");
    assert!(e.to_string().contains("in any line"), "{e}");
    let e = read_bytes(&cfg, "t.jsonl", b"\n\n".to_vec(), None, &NoProgress).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
}

#[test]
fn long_json_lines_group_by_station() {
    let cfg = Config::from_toml(
        r#"
        [election]
        name = "t"
        [station]
        id = ["precinct"]
        [input]
        shape = "long"
        option_column = "candidate"
        votes_column = "votes"
        where = { office = "President" }
        [[options]]
        key = "H"
        value = "HARRIS"
        [[options]]
        key = "T"
        value = "TRUMP"
        [[options]]
        key = "over"
        value = "OVER VOTES"
        role = "null"
        "#,
    )
    .unwrap();
    let text = br#"{"precinct":"P1","office":"President","candidate":"HARRIS","votes":10}
{"precinct":"P1","office":"Senate","candidate":"X","votes":3}
{"precinct":"P1","office":"President","candidate":"TRUMP","votes":7}
{"precinct":"P1","office":"President","candidate":"OVER VOTES","votes":1}
{"precinct":"P2","office":"President","candidate":"HARRIS","votes":4}
oops
{"precinct":"P2","office":"President","candidate":"TRUMP","votes":5}
{"precinct":"P2","office":"President","candidate":"OVER VOTES","votes":0}
"#;
    let ds = read_bytes(&cfg, "t.jsonl", text.to_vec(), None, &NoProgress).unwrap();
    assert_eq!(ds.sheets.len(), 2);
    assert_eq!(ds.sheet(0).counts.options, vec![10, 7]);
    assert_eq!(ds.sheet(0).counts.null, Some(1));
    assert_eq!(ds.sheet(1).counts.options, vec![4, 5]);
    assert_eq!(ds.sheet(0).origin.line, Some(1));
    assert_eq!(ds.filtered, 1);
    assert_eq!(ds.quarantine.len(), 1);
    assert_eq!(ds.quarantine[0].source.line, 6);
}

#[test]
fn line_bounds_cut_after_line_ends() {
    let text = b"ab\ncd\n\nefg\nh";
    for n in 1..8 {
        let b = line_bounds(text, n, 1);
        let joined: Vec<u8> = b.iter().flat_map(|&(s, e)| text[s..e].to_vec()).collect();
        assert_eq!(joined, text.to_vec());
        for &(_, e) in &b[..b.len() - 1] {
            assert_eq!(text[e - 1], b'\n', "cut at {e} (n {n})");
        }
    }
}

/// JSON Lines on disk stream in blocks: whatever the block size, plain or
/// gzip, the dataset is the one read from the same bytes in memory, and a
/// conflicting copy is re-read from the file for its record.
#[test]
fn json_lines_stream_from_disk_as_from_memory() {
    let cfg = corpus_config();
    let mut json = String::new();
    for i in 0..3000u32 {
        let (a, b) = (i % 7, i % 5);
        let valid = if i % 17 == 0 { a + b + 1 } else { a + b };
        let id = if i % 500 == 499 { i - 1 } else { i };
        json.push_str(&format!(
            "{{\"station\":\"s{id}\",\"registered\":50,\"valid\":{valid},\"A\":{a},\"B\":{b},\"source\":\"scan\",\"qr_payload\":\"q{i}\\\"x\"}}\n"
        ));
        if i == 1200 {
            json.push_str("{\"station\": oops}\n\n");
        }
    }
    let mem = read_bytes(
        &cfg,
        "t.jsonl",
        json.clone().into_bytes(),
        None,
        &NoProgress,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.jsonl");
    std::fs::write(&p, &json).unwrap();
    let gz = dir.path().join("t.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, json.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let view = |d: &Dataset| {
        let sheets: Vec<_> = (0..d.sheets.len())
            .map(|i| {
                let s = d.sheet(i);
                (s.station, s.counts, s.origin.line, s.origin.qr_payload)
            })
            .collect();
        let q: Vec<_> = d
            .quarantine
            .iter()
            .map(|q| (q.source.line, q.reasons[0].rule, q.record.clone()))
            .collect();
        (sheets, q, d.rows_read())
    };
    let want = view(&mem);
    assert_eq!(want.2, 3001);
    assert!(
        want.1
            .iter()
            .any(|q| q.1 == Rule::Conflict && q.2.len() == 5)
    );
    // Line 1 (i = 0) does not add up (0 % 17 == 0): sheet 0 is line 2.
    assert_eq!(mem.sheet(0).origin.qr_payload.as_deref(), Some("q1\"x"));
    for block in [1, 7, 300, 1 << 20] {
        for f in [&p, &gz] {
            let ds = read_files_in_blocks(&cfg, &[f], None, &NoProgress, block).unwrap();
            assert_eq!(view(&ds), want, "block {block}, {}", f.display());
        }
    }
    // Not UTF-8 half-way, under encoding auto: read whole as Windows-1252.
    let mut latin = json.into_bytes();
    latin.extend_from_slice(
        b"{\"station\":\"Pe\xF1a\",\"registered\":50,\"valid\":3,\"A\":1,\"B\":2}\n",
    );
    std::fs::write(&p, &latin).unwrap();
    let ds = read_files_in_blocks(&cfg, &[&p], None, &NoProgress, 300).unwrap();
    assert_eq!(ds.files[0].encoding, "windows-1252");
    assert_eq!(ds.sheet(ds.sheets.len() - 1).station, "Peña");
    assert_eq!(ds.rows_read(), 3002);
}
