//! QR detectors behind one small trait.

use image::GrayImage;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Finds and decodes QR codes in a greyscale image.
///
/// Implementations return the text of every code they could decode (an
/// empty list when none), most prominent first. They must not panic; the
/// scanner nevertheless contains a panic from a third-party decoder and
/// reports it as a failure of that image.
pub trait QrReader: Send + Sync {
    /// A short name for reports and measurements.
    fn name(&self) -> &'static str;
    /// Decodes every QR code found in `img`.
    fn read(&self, img: &GrayImage) -> Vec<String>;
}

/// Runs a reader, turning a panic inside the decoder into `Err`.
pub(crate) fn read_guarded(reader: &dyn QrReader, img: &GrayImage) -> Result<Vec<String>, ()> {
    catch_unwind(AssertUnwindSafe(|| reader.read(img))).map_err(|_| ())
}

/// [`rxing`](https://crates.io/crates/rxing) 0.9, a Rust port of ZXing,
/// restricted to QR codes with `TryHarder` on; the scanner's default.
///
/// Chosen over rqrr 0.11 (a port of quirc) by measurement on the 12 real
/// Venezuelan acta images (`examples/compare_decoders.rs`, `docs/acta.md`):
/// on the bottom crop at half scale rxing reads all 11 readable codes,
/// rqrr 2; rqrr's best single variant (whole page, half scale, Otsu)
/// reads 9. Through the full pipeline both reach 11 of 11, rxing on the
/// first variant for every image and in about half the time.
#[derive(Clone, Copy, Debug, Default)]
pub struct RxingReader;

impl QrReader for RxingReader {
    fn name(&self) -> &'static str {
        "rxing"
    }

    fn read(&self, img: &GrayImage) -> Vec<String> {
        let (w, h) = img.dimensions();
        rxing::helpers::detect_in_luma_slice(
            img.as_raw(),
            w,
            h,
            Some(rxing::BarcodeFormat::QR_CODE),
        )
        .map(|r| vec![r.getText().to_string()])
        .unwrap_or_default()
    }
}
