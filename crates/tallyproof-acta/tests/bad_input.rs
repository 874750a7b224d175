//! Bad input gives a per-file failure with a clear reason, and the run
//! goes on: non-image files, truncated JPEGs, enormous dimensions, foreign
//! QR payloads, malformed payloads and counts that do not add up.

mod common;

use common::{Degrade, Rng};
use std::sync::atomic::{AtomicUsize, Ordering};
use tallyproof_acta::{
    FailureReason, Payload, PayloadError, PayloadFormat, ScanOptions, Scanner, Summary,
};

const VALID: &str = "240111028.01.1.0001!17,1,1,0,5,1,0,1,2,0,0,1,1,1,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,43,1,0!0!0";

fn sheet_jpeg(text: &str) -> Vec<u8> {
    let mut rng = Rng::new(7);
    common::jpeg_bytes(&common::sheet(text, 600, 1800, &mut rng), 85)
}

#[test]
fn every_bad_file_is_listed_with_its_reason_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("scratch dir");
    let p = |name: &str| dir.path().join(name);
    let good = sheet_jpeg(VALID);
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let too_many_cards = VALID.replacen("!17,", "!17,0,", 1);
    let overflow = VALID.replacen("!17,", "!18446744073709551615,", 1);
    let files: Vec<(&str, Vec<u8>, Option<FailureReason>)> = vec![
        ("a-good.jpg", good.clone(), None),
        (
            "b-notes.txt",
            b"not an image at all\n".to_vec(),
            Some(FailureReason::NotAnImage),
        ),
        ("c-truncated.jpg", truncated, Some(FailureReason::Corrupt)),
        (
            "d-huge.png",
            common::png_header_only(100_000, 100_000),
            Some(FailureReason::TooLarge),
        ),
        (
            "e-foreign.png",
            common::png_bytes(&common::qr_image("https://example.org/acta", 6)),
            Some(FailureReason::ForeignPayload),
        ),
        (
            "f-malformed.jpg",
            sheet_jpeg(&too_many_cards),
            Some(FailureReason::MalformedPayload),
        ),
        (
            "g-overflow.jpg",
            sheet_jpeg(&overflow),
            Some(FailureReason::CountsDontAddUp),
        ),
        (
            "h-blank.png",
            common::png_bytes(&image::GrayImage::from_pixel(300, 900, image::Luma([250]))),
            Some(FailureReason::NoQrFound),
        ),
        ("i-empty.jpg", Vec::new(), Some(FailureReason::NotAnImage)),
        ("j-good-again.jpg", good, None),
    ];
    for (name, bytes, _) in &files {
        std::fs::write(p(name), bytes).expect("write fixture");
    }
    let mut inputs: Vec<_> = files.iter().map(|(n, _, _)| p(n)).collect();
    inputs.push(p("k-missing.jpg"));

    let ticks = AtomicUsize::new(0);
    let scans = Scanner::ve2024().scan_paths(&inputs, |_| {
        ticks.fetch_add(1, Ordering::Relaxed);
    });
    assert_eq!(scans.len(), inputs.len());
    assert_eq!(ticks.load(Ordering::Relaxed), inputs.len());

    for (scan, (name, _, want)) in scans.iter().zip(&files) {
        assert_eq!(&scan.file_name, name, "results keep input order");
        assert_eq!(scan.failure_reason(), *want, "{name}: {:?}", scan.outcome);
        if let Err(f) = scan.result() {
            assert!(f.to_string().contains(name), "failure names the file: {f}");
            assert!(!f.detail.is_empty(), "{name} has a detail");
        }
        assert!(scan.sha256.is_some(), "{name} was hashed");
    }
    let missing = scans.last().expect("missing file listed");
    assert_eq!(missing.failure_reason(), Some(FailureReason::Unreadable));
    assert_eq!(missing.sha256, None);

    let foreign = scans[4].result().expect_err("foreign");
    assert_eq!(
        foreign.raw_payload.as_deref(),
        Some("https://example.org/acta")
    );
    let good = scans[0].result().expect("good sheet decodes");
    assert_eq!(good.payload.station_id, "240111028.01");

    let summary = Summary::of(&scans);
    assert_eq!(summary.images, 11);
    assert_eq!(summary.decoded, 2);
    assert_eq!(summary.failed.iter().map(|(_, n)| n).sum::<usize>(), 9);
    let json = serde_json::to_string(&scans).expect("scans serialise");
    assert!(json.contains("\"reason\":\"too-large\""), "{json}");
}

#[test]
fn header_dimensions_are_checked_before_decoding() {
    // 20,000 x 20,000 is under the default side limit but over 60 Mpx.
    let scan = Scanner::ve2024().scan_bytes("big.png", &common::png_header_only(20_000, 20_000));
    assert_eq!(scan.failure_reason(), Some(FailureReason::TooLarge));
    assert_eq!(scan.dimensions, Some((20_000, 20_000)));
    // Tighter limits apply to a normal sheet too.
    let opts = ScanOptions {
        max_pixels: 1000,
        ..ScanOptions::default()
    };
    let scan = Scanner::ve2024()
        .with_options(opts)
        .scan_bytes("s.jpg", &sheet_jpeg(VALID));
    assert_eq!(scan.failure_reason(), Some(FailureReason::TooLarge));
    let opts = ScanOptions {
        max_file_bytes: 10,
        ..ScanOptions::default()
    };
    let scan = Scanner::ve2024()
        .with_options(opts)
        .scan_bytes("s.jpg", &sheet_jpeg(VALID));
    assert_eq!(scan.failure_reason(), Some(FailureReason::TooLarge));
}

/// A format whose payload states its own total (`T!code!1,2,3!6`), to
/// check that a stated total that disagrees with the lines is caught, and
/// that other formats plug in through the trait.
struct WithTotal;

impl PayloadFormat for WithTotal {
    fn name(&self) -> &str {
        "with-total"
    }
    fn parse(&self, raw: &str) -> Result<Payload, PayloadError> {
        let f: Vec<&str> = raw.split('!').collect();
        let [tag, code, lines, total] = f.as_slice() else {
            return Err(PayloadError::FieldCount {
                expected: 4,
                found: f.len(),
            });
        };
        if *tag != "T" {
            return Err(PayloadError::Foreign {
                format: "with-total".into(),
                reason: "no T tag".into(),
            });
        }
        let lines = lines
            .split(',')
            .map(|v| tallyproof_acta::format::parse_count("line", v))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Payload {
            format: "with-total".into(),
            sheet_code: (*code).into(),
            station_id: (*code).into(),
            lines,
            null_votes: 0,
            stated_valid_votes: Some(tallyproof_acta::format::parse_count("total", total)?),
            extra: vec![],
        })
    }
}

#[test]
fn stated_total_that_disagrees_is_counts_dont_add_up() {
    let scanner = Scanner::new(WithTotal);
    let png = |t: &str| common::png_bytes(&common::qr_image(t, 6));
    let ok = scanner.scan_bytes("ok.png", &png("T!S1!1,2,3!6"));
    assert_eq!(ok.result().expect("adds up").payload.lines, vec![1, 2, 3]);
    let bad = scanner.scan_bytes("bad.png", &png("T!S1!1,2,3!7"));
    let f = bad.result().expect_err("does not add up");
    assert_eq!(f.reason, FailureReason::CountsDontAddUp);
    assert!(f.detail.contains("expected 7, found 6"), "{}", f.detail);
}

#[test]
fn degraded_synthetic_sheets_decode() {
    let mut rng = Rng::new(42);
    let scanner = Scanner::ve2024();
    let cases = [
        Degrade {
            degrees: 0.0,
            blur: 0.0,
            noise: 0,
        },
        Degrade {
            degrees: 3.0,
            blur: 0.8,
            noise: 20,
        },
        Degrade {
            degrees: -7.0,
            blur: 1.2,
            noise: 30,
        },
        Degrade {
            degrees: 12.0,
            blur: 0.5,
            noise: 10,
        },
    ];
    for (i, d) in cases.into_iter().enumerate() {
        let text = common::ve_payload(i as u64, &mut rng);
        let page = common::degrade(&common::sheet(&text, 640, 2400, &mut rng), d, &mut rng);
        let scan = scanner.scan_bytes("synthetic.jpg", &common::jpeg_bytes(&page, 70));
        let got = scan.result().unwrap_or_else(|f| panic!("{d:?}: {f}"));
        assert_eq!(got.raw_payload, text, "{d:?}");
    }
}
