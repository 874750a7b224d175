//! Scanning image files: load with limits, hash, find the QR code, parse.

use crate::format::{
    GroupingError, LineGrouping, NamedCount, Payload, PayloadError, PayloadFormat, ResolvedGrouping,
};
use crate::preprocess::{DEFAULT_PIPELINE, Page, Variant};
use crate::reader::{QrReader, RxingReader, read_guarded};
use crate::ve2024::{Ve2024, ve2024_grouping};
use image::{DynamicImage, GrayImage, ImageError, ImageFormat, ImageReader};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Limits and the preprocessing pipeline of a [`Scanner`].
#[derive(Clone, Debug, PartialEq)]
pub struct ScanOptions {
    /// Files larger than this many bytes are not read.
    pub max_file_bytes: u64,
    /// Largest accepted width or height, in pixels, checked from the
    /// image header before any pixel is decoded.
    pub max_side: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Upper bound on the decoder's allocations (`image::io::Limits`).
    pub max_alloc: u64,
    /// Variants tried in order until one yields a valid payload; on a
    /// phone photo those of the paper's regions come first
    /// ([`crate::preprocess::Page::order`]).
    pub pipeline: Vec<Variant>,
}

impl Default for ScanOptions {
    /// 64 MiB files, 20,000 px sides, 60 Mpx, 512 MiB of decoder memory;
    /// the largest real acta scan is 10,384 × 928 px (9.6 Mpx, 1.7 MB).
    fn default() -> Self {
        ScanOptions {
            max_file_bytes: 64 * 1024 * 1024,
            max_side: 20_000,
            max_pixels: 60_000_000,
            max_alloc: 512 * 1024 * 1024,
            pipeline: DEFAULT_PIPELINE.to_vec(),
        }
    }
}

/// Why an image yielded no sheet. The string codes ([`FailureReason::code`])
/// are stable: they appear in JSON output and quarantine files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FailureReason {
    /// The file could not be read (missing, permission, a directory).
    Unreadable,
    /// The bytes are not an image in a supported format (JPEG, PNG).
    NotAnImage,
    /// An image whose data is truncated or corrupt.
    Corrupt,
    /// The file or its dimensions exceed the configured limits; no pixel
    /// was decoded.
    TooLarge,
    /// No QR code could be decoded with any preprocessing variant (for
    /// instance, the code is cut off at the sheet's edge).
    NoQrFound,
    /// A QR code was decoded but is not in the expected payload format.
    ForeignPayload,
    /// The payload looks like the expected format but is malformed (wrong
    /// number of fields or lines, non-numeric counts, bad sheet code).
    MalformedPayload,
    /// The payload's counts are inconsistent (they do not sum to the
    /// stated totals, or overflow).
    CountsDontAddUp,
    /// The QR decoder itself failed unexpectedly on this image.
    DecoderCrashed,
}

impl FailureReason {
    /// Every reason, in a fixed order (for summaries).
    pub const ALL: [FailureReason; 9] = [
        FailureReason::Unreadable,
        FailureReason::NotAnImage,
        FailureReason::Corrupt,
        FailureReason::TooLarge,
        FailureReason::NoQrFound,
        FailureReason::ForeignPayload,
        FailureReason::MalformedPayload,
        FailureReason::CountsDontAddUp,
        FailureReason::DecoderCrashed,
    ];

    /// The stable string code.
    pub fn code(self) -> &'static str {
        match self {
            FailureReason::Unreadable => "unreadable",
            FailureReason::NotAnImage => "not-an-image",
            FailureReason::Corrupt => "corrupt",
            FailureReason::TooLarge => "too-large",
            FailureReason::NoQrFound => "no-qr-found",
            FailureReason::ForeignPayload => "foreign-payload",
            FailureReason::MalformedPayload => "malformed-payload",
            FailureReason::CountsDontAddUp => "counts-dont-add-up",
            FailureReason::DecoderCrashed => "decoder-crashed",
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An image that yielded no sheet: the file, the reason and the detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{file}: {reason}: {detail}")]
pub struct Failure {
    /// The file's path as given.
    pub file: String,
    /// Why.
    pub reason: FailureReason,
    /// A human-readable explanation.
    pub detail: String,
    /// The QR text, when one was decoded but rejected.
    pub raw_payload: Option<String>,
}

/// A successfully read sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoded {
    /// The QR code's text exactly as decoded.
    pub raw_payload: String,
    /// The parsed payload.
    pub payload: Payload,
    /// Counts per option (candidate) through the scanner's grouping; empty
    /// when the scanner has none.
    pub options: Vec<NamedCount>,
    /// The preprocessing variant that found the code ([`Variant::label`]).
    pub variant: String,
}

/// The outcome for one image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// A valid payload was read.
    Decoded(Decoded),
    /// No valid payload.
    Failed(Failure),
}

/// The result of scanning one image, with its provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageScan {
    /// The path as given or found in a directory.
    pub path: String,
    /// The file name without directories.
    pub file_name: String,
    /// SHA-256 of the file's bytes, lower-case hex; `None` when the file
    /// could not be read.
    pub sha256: Option<String>,
    /// File size in bytes, when known.
    pub bytes: Option<u64>,
    /// Image width and height from the header, when known.
    pub dimensions: Option<(u32, u32)>,
    /// Preprocessing variants tried.
    pub attempts: usize,
    /// Decoded or failed.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl ImageScan {
    /// The decoded sheet or the failure.
    pub fn result(&self) -> Result<&Decoded, &Failure> {
        match &self.outcome {
            Outcome::Decoded(d) => Ok(d),
            Outcome::Failed(f) => Err(f),
        }
    }

    /// The failure reason, if any.
    pub fn failure_reason(&self) -> Option<FailureReason> {
        self.result().err().map(|f| f.reason)
    }
}

/// Counts of a batch's outcomes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Images scanned.
    pub images: usize,
    /// Images with a valid payload.
    pub decoded: usize,
    /// Failures per reason, in [`FailureReason::ALL`] order, only reasons
    /// that occurred.
    pub failed: Vec<(FailureReason, usize)>,
}

impl Summary {
    /// Summarises a batch.
    pub fn of(scans: &[ImageScan]) -> Summary {
        let decoded = scans.iter().filter(|s| s.result().is_ok()).count();
        let failed = FailureReason::ALL
            .iter()
            .map(|&r| {
                (
                    r,
                    scans
                        .iter()
                        .filter(|s| s.failure_reason() == Some(r))
                        .count(),
                )
            })
            .filter(|&(_, n)| n > 0)
            .collect();
        Summary {
            images: scans.len(),
            decoded,
            failed,
        }
    }
}

/// File extensions picked up when a directory is given (case-insensitive).
pub const IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// Expands inputs into the list of files to scan, in a deterministic
/// order. A file is kept whatever its extension (so a non-image given by
/// name is reported, not skipped); a directory contributes, recursively
/// and sorted by path, the files whose extension is in
/// [`IMAGE_EXTENSIONS`]. A path that cannot be listed is kept as is, so
/// scanning it reports it as [`FailureReason::Unreadable`].
pub fn list_images<P: AsRef<Path>>(inputs: &[P]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for input in inputs {
        let path = input.as_ref();
        if path.is_dir() {
            let before = out.len();
            if walk(path, &mut out).is_err() {
                out.truncate(before);
                out.push(path.to_path_buf());
            } else {
                out[before..].sort();
            }
        } else {
            out.push(path.to_path_buf());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads QR codes from tally-sheet images and parses them with one
/// payload format.
pub struct Scanner {
    reader: Box<dyn QrReader>,
    format: Box<dyn PayloadFormat>,
    grouping: Option<ResolvedGrouping>,
    options: ScanOptions,
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("reader", &self.reader.name())
            .field("format", &self.format.name())
            .field("grouping", &self.grouping)
            .field("options", &self.options)
            .finish()
    }
}

impl Scanner {
    /// A scanner for `format`, with the default reader ([`RxingReader`]),
    /// no grouping and default options.
    pub fn new(format: impl PayloadFormat + 'static) -> Self {
        Scanner {
            reader: Box::new(RxingReader),
            format: Box::new(format),
            grouping: None,
            options: ScanOptions::default(),
        }
    }

    /// A scanner for Venezuela 2024 actas with the default party lines
    /// ([`crate::ve2024::VE2024_PARTY_LINES`]).
    pub fn ve2024() -> Self {
        let scanner = Scanner::new(Ve2024);
        let grouping = ve2024_grouping()
            .resolve(Ve2024.line_names(), crate::ve2024::VE2024_CARD_COUNT)
            .ok();
        Scanner {
            grouping,
            ..scanner
        }
    }

    /// Sums lines into options with `grouping`, checked against the
    /// format's line names and the number of lines it has.
    pub fn with_grouping(
        mut self,
        grouping: &LineGrouping,
        line_count: usize,
    ) -> Result<Self, GroupingError> {
        self.grouping = Some(grouping.resolve(self.format.line_names(), line_count)?);
        Ok(self)
    }

    /// Uses another QR reader.
    pub fn with_reader(mut self, reader: impl QrReader + 'static) -> Self {
        self.reader = Box::new(reader);
        self
    }

    /// Uses other limits or another pipeline.
    pub fn with_options(mut self, options: ScanOptions) -> Self {
        self.options = options;
        self
    }

    /// The options in force.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// The payload format's name.
    pub fn format_name(&self) -> &str {
        self.format.name()
    }

    /// Scans files in parallel (rayon), in input order. `progress` is
    /// called once per finished image, from worker threads, in completion
    /// order; use it to drive a progress bar.
    pub fn scan_files<P, F>(&self, files: &[P], progress: F) -> Vec<ImageScan>
    where
        P: AsRef<Path> + Sync,
        F: Fn(&ImageScan) + Sync,
    {
        files
            .par_iter()
            .map(|f| {
                let scan = self.scan_file(f.as_ref());
                progress(&scan);
                scan
            })
            .collect()
    }

    /// [`list_images`] then [`Scanner::scan_files`].
    pub fn scan_paths<P, F>(&self, inputs: &[P], progress: F) -> Vec<ImageScan>
    where
        P: AsRef<Path>,
        F: Fn(&ImageScan) + Sync,
    {
        self.scan_files(&list_images(inputs), progress)
    }

    /// Scans one file.
    pub fn scan_file(&self, path: &Path) -> ImageScan {
        let shown = path.to_string_lossy().into_owned();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        let unreadable = |detail: String, bytes: Option<u64>| ImageScan {
            path: shown.clone(),
            file_name: file_name.clone(),
            sha256: None,
            bytes,
            dimensions: None,
            attempts: 0,
            outcome: Outcome::Failed(Failure {
                file: shown.clone(),
                reason: FailureReason::Unreadable,
                detail,
                raw_payload: None,
            }),
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return unreadable(e.to_string(), None),
        };
        if meta.is_dir() {
            return unreadable("is a directory that could not be listed".into(), None);
        }
        if meta.len() > self.options.max_file_bytes {
            let mut scan = unreadable(String::new(), Some(meta.len()));
            scan.outcome = Outcome::Failed(Failure {
                file: shown.clone(),
                reason: FailureReason::TooLarge,
                detail: format!(
                    "file is {} bytes, over the limit of {}",
                    meta.len(),
                    self.options.max_file_bytes
                ),
                raw_payload: None,
            });
            return scan;
        }
        match std::fs::read(path) {
            Ok(bytes) => self.scan_named_bytes(&shown, &file_name, &bytes),
            Err(e) => unreadable(e.to_string(), Some(meta.len())),
        }
    }

    /// Scans an image held in memory (an upload, say); `name` is used as
    /// both path and file name in the result.
    pub fn scan_bytes(&self, name: &str, bytes: &[u8]) -> ImageScan {
        self.scan_named_bytes(name, name, bytes)
    }

    fn scan_named_bytes(&self, path: &str, file_name: &str, bytes: &[u8]) -> ImageScan {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let mut scan = ImageScan {
            path: path.to_string(),
            file_name: file_name.to_string(),
            sha256: Some(sha256),
            bytes: Some(bytes.len() as u64),
            dimensions: None,
            attempts: 0,
            outcome: Outcome::Failed(Failure {
                file: path.to_string(),
                reason: FailureReason::NoQrFound,
                detail: String::new(),
                raw_payload: None,
            }),
        };
        if bytes.len() as u64 > self.options.max_file_bytes {
            scan.outcome = self.fail(
                path,
                FailureReason::TooLarge,
                format!(
                    "{} bytes, over the limit of {}",
                    bytes.len(),
                    self.options.max_file_bytes
                ),
                None,
            );
            return scan;
        }
        let page = match self.load(bytes, &mut scan.dimensions) {
            Ok(page) => page,
            Err((reason, detail)) => {
                scan.outcome = self.fail(path, reason, detail, None);
                return scan;
            }
        };
        let (outcome, attempts) = self.decode_page(path, &page);
        scan.outcome = outcome;
        scan.attempts = attempts;
        scan
    }

    /// The grey page a scan of `bytes` decodes its QR code from: the
    /// image checked against the limits and decoded as
    /// [`Scanner::scan_bytes`] does, before any variant.
    pub fn load_grey(&self, bytes: &[u8]) -> Result<GrayImage, (FailureReason, String)> {
        self.load(bytes, &mut None)
    }

    fn fail(
        &self,
        file: &str,
        reason: FailureReason,
        detail: String,
        raw_payload: Option<String>,
    ) -> Outcome {
        Outcome::Failed(Failure {
            file: file.to_string(),
            reason,
            detail,
            raw_payload,
        })
    }

    /// Decodes the image, checking its header against the limits before
    /// allocating any pixel buffer.
    fn load(
        &self,
        bytes: &[u8],
        dims: &mut Option<(u32, u32)>,
    ) -> Result<GrayImage, (FailureReason, String)> {
        let format = image::guess_format(bytes).map_err(|_| {
            (
                FailureReason::NotAnImage,
                "not a recognised image format".to_string(),
            )
        })?;
        if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
            return Err((
                FailureReason::NotAnImage,
                format!("unsupported image format {format:?} (JPEG and PNG are read)"),
            ));
        }
        let reader = || ImageReader::with_format(Cursor::new(bytes), format);
        let (w, h) = reader()
            .into_dimensions()
            .map_err(|e| classify(&e, "reading the image header"))?;
        *dims = Some((w, h));
        let o = &self.options;
        let pixels = u64::from(w) * u64::from(h);
        if w == 0 || h == 0 {
            return Err((FailureReason::Corrupt, format!("image is {w}x{h}")));
        }
        if w > o.max_side || h > o.max_side || pixels > o.max_pixels {
            return Err((
                FailureReason::TooLarge,
                format!(
                    "image is {w}x{h} ({pixels} px), over the limit of {} px a side and {} px",
                    o.max_side, o.max_pixels
                ),
            ));
        }
        if format == ImageFormat::Jpeg && !has_jpeg_end(bytes) {
            return Err((
                FailureReason::Corrupt,
                "truncated JPEG: no end-of-image marker".to_string(),
            ));
        }
        if format == ImageFormat::Jpeg
            && let Some(grey) = jpeg_to_grey(bytes, o)
        {
            return grey;
        }
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(o.max_side);
        limits.max_image_height = Some(o.max_side);
        limits.max_alloc = Some(o.max_alloc);
        let mut r = reader();
        r.limits(limits);
        let img = r.decode().map_err(|e| classify(&e, "decoding"))?;
        Ok(match img {
            DynamicImage::ImageLuma8(g) => g,
            other => other.into_luma8(),
        })
    }

    /// Tries the pipeline's variants in the page's order ([`Page::order`]:
    /// on a phone photo those measured on the sheet of paper first, on a
    /// scan the pipeline's own order). Stops at the first valid
    /// payload, and also at the first payload of this format that is
    /// malformed or inconsistent (the QR's error correction makes a
    /// misread unlikely, so another variant would read the same text). A
    /// foreign payload does not stop the search: the sheet may carry
    /// another code.
    fn decode_page(&self, file: &str, page: &GrayImage) -> (Outcome, usize) {
        let mut foreign: Option<(String, PayloadError)> = None;
        let mut crashed = false;
        let page = Page::new(page);
        for (i, variant) in page.order(&self.options.pipeline).into_iter().enumerate() {
            let img = variant.render_page(&page);
            let Ok(texts) = read_guarded(self.reader.as_ref(), &img) else {
                crashed = true;
                continue;
            };
            for text in texts {
                match self.accept(&text) {
                    Ok((payload, options)) => {
                        return (
                            Outcome::Decoded(Decoded {
                                raw_payload: text,
                                payload,
                                options,
                                variant: variant.label(),
                            }),
                            i + 1,
                        );
                    }
                    Err(e) if e.is_foreign() => {
                        foreign.get_or_insert((text, e));
                    }
                    Err(e) => {
                        let reason = if e.is_inconsistent() {
                            FailureReason::CountsDontAddUp
                        } else {
                            FailureReason::MalformedPayload
                        };
                        return (self.fail(file, reason, e.to_string(), Some(text)), i + 1);
                    }
                }
            }
        }
        let tried = self.options.pipeline.len();
        let outcome = match foreign {
            Some((text, e)) => {
                self.fail(file, FailureReason::ForeignPayload, e.to_string(), Some(text))
            }
            None if crashed => self.fail(
                file,
                FailureReason::DecoderCrashed,
                format!("the {} QR decoder failed on this image", self.reader.name()),
                None,
            ),
            None => self.fail(
                file,
                FailureReason::NoQrFound,
                format!(
                    "no QR code decoded with {tried} preprocessing variants (cut off, damaged or absent)"
                ),
                None,
            ),
        };
        (outcome, tried)
    }

    fn accept(&self, text: &str) -> Result<(Payload, Vec<NamedCount>), PayloadError> {
        let payload = self.format.parse(text)?;
        payload.check_totals()?;
        let options = match &self.grouping {
            Some(g) => g.apply(&payload)?,
            None => Vec::new(),
        };
        Ok((payload, options))
    }
}

/// Decodes a JPEG straight to grey with zune-jpeg (the image crate's own
/// JPEG decoder, called directly): for a colour JPEG only the luma (Y)
/// channel is kept, so the chroma channels are neither upsampled nor
/// converted to RGB, and no RGB image is made to be turned back into
/// grey. On a 3 MB colour phone photo this halves the decoding time. The
/// grey is the JPEG's own Y (ITU-T T.871), where the image crate's
/// RGB-to-grey conversion weighs R, G and B by Rec. 709: the two differ
/// only on coloured pixels. `None` for the colour spaces other than
/// YCbCr and grey (RGB, CMYK, YCCK) and for headers it cannot read, which
/// go through the image crate as before.
fn jpeg_to_grey(
    bytes: &[u8],
    o: &ScanOptions,
) -> Option<Result<GrayImage, (FailureReason, String)>> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let options = DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(o.max_side as usize)
        .set_max_height(o.max_side as usize)
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().ok()?;
    let components = match decoder.input_colorspace()? {
        ColorSpace::YCbCr => 3u64,
        ColorSpace::Luma => 1,
        _ => return None,
    };
    let (w, h) = decoder.dimensions()?;
    let (w, h) = (u32::try_from(w).ok()?, u32::try_from(h).ok()?);
    // The decoder holds every component at full size at most.
    let need = u64::from(w) * u64::from(h) * components;
    if need > o.max_alloc {
        return Some(Err((
            FailureReason::TooLarge,
            format!(
                "decoding: needs {need} bytes, over the limit of {}",
                o.max_alloc
            ),
        )));
    }
    Some(match decoder.decode() {
        Ok(pixels) => GrayImage::from_raw(w, h, pixels).ok_or((
            FailureReason::Corrupt,
            "decoding: the decoder's output does not match the image's size".to_string(),
        )),
        Err(e) => Err((FailureReason::Corrupt, format!("decoding: {e}"))),
    })
}

/// True when a JPEG stream ends with its end-of-image marker (FF D9),
/// allowing for trailing padding. ITU-T T.81 §B.2.1: "the EOI marker …
/// terminates the compressed image data".
fn has_jpeg_end(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

fn classify(e: &ImageError, doing: &str) -> (FailureReason, String) {
    let reason = match e {
        ImageError::Limits(_) => FailureReason::TooLarge,
        ImageError::Unsupported(_) => FailureReason::NotAnImage,
        _ => FailureReason::Corrupt,
    };
    (reason, format!("{doing}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::{GrayImage, RgbImage};

    fn jpeg(img: DynamicImage) -> Vec<u8> {
        let mut buf = Vec::new();
        img.write_with_encoder(JpegEncoder::new_with_quality(Cursor::new(&mut buf), 80))
            .unwrap();
        buf
    }

    /// A grey JPEG decodes to the same pixels as through the image crate;
    /// a colour one of grey content to within two grey levels of its
    /// Rec. 709 conversion (the JPEG's own Y instead).
    #[test]
    fn jpeg_to_grey_matches_the_image_crate() {
        let (w, h) = (97, 131);
        let grey = GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]));
        let bytes = jpeg(grey.into());
        let want = image::load_from_memory(&bytes).unwrap().into_luma8();
        let got = jpeg_to_grey(&bytes, &ScanOptions::default())
            .unwrap()
            .unwrap();
        assert_eq!(got, want);

        let colour = RgbImage::from_fn(w, h, |x, y| {
            let g = ((x * 5 + y * 3) % 256) as u8;
            image::Rgb([g, g, g])
        });
        let bytes = jpeg(colour.into());
        let want = image::load_from_memory(&bytes).unwrap().into_luma8();
        let got = jpeg_to_grey(&bytes, &ScanOptions::default())
            .unwrap()
            .unwrap();
        assert_eq!(got.dimensions(), want.dimensions());
        let worst = got
            .pixels()
            .zip(want.pixels())
            .map(|(a, b)| a.0[0].abs_diff(b.0[0]))
            .max()
            .unwrap();
        assert!(worst <= 2, "{worst}");

        // Over the allocation limit: refused before decoding.
        let tight = ScanOptions {
            max_alloc: 1000,
            ..ScanOptions::default()
        };
        let refused = jpeg_to_grey(&bytes, &tight).unwrap();
        assert_eq!(refused.unwrap_err().0, FailureReason::TooLarge);
    }
}
