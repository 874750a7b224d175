//! Decoding: gzip by its magic bytes, a UTF-8 BOM, Windows-1252 text.

#[allow(unused_imports)]
use super::*;

/// A decoded text: the text, whether it was gzip, the encoding it was
/// decoded from, warnings about the file.
pub(crate) type Decoded = (Vec<u8>, bool, &'static str, Vec<String>);

/// Decompress (gzip by magic number), strip a UTF-8 BOM and decode to UTF-8:
/// the text, whether it was gzip, the encoding it was decoded from, and
/// warnings about the file (see [`forced_1252_warning`]).
pub(crate) fn decode(name: &str, raw: Vec<u8>, enc: Encoding) -> Result<Decoded, Error> {
    let gzip = raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b;
    let raw = if gzip {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::Input {
                file: name.to_string(),
                message: format!("gzip data is corrupt or truncated: {e}"),
            })?;
        out
    } else {
        raw
    };
    let body = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw);
    match enc {
        Encoding::Utf8 => match std::str::from_utf8(body) {
            Ok(_) => Ok((strip_bom(raw), gzip, "utf-8", Vec::new())),
            Err(e) => {
                let line = 1 + body[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                Err(Error::Input {
                    file: name.to_string(),
                    message: format!(
                        "line {line}: not valid UTF-8 (byte offset {}); set [input] encoding = \"windows-1252\" for Latin-1 files",
                        e.valid_up_to()
                    ),
                })
            }
        },
        Encoding::Auto if std::str::from_utf8(body).is_ok() => {
            Ok((strip_bom(raw), gzip, "utf-8", Vec::new()))
        }
        Encoding::Auto | Encoding::Windows1252 => {
            let warnings = match enc {
                Encoding::Windows1252 => forced_1252_warning(&raw).into_iter().collect(),
                _ => Vec::new(),
            };
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(body);
            Ok((
                text.into_owned().into_bytes(),
                gzip,
                "windows-1252",
                warnings,
            ))
        }
    }
}

/// Under a forced `encoding = "windows-1252"`, a file that is UTF-8 after
/// all: it starts with a UTF-8 byte-order mark, or it is valid UTF-8 with
/// letters outside ASCII. Its non-ASCII letters would come out garbled
/// ("Región" as "RegiÃ³n"), so the file is read as asked, with a warning
/// that says so.
pub(crate) fn forced_1252_warning(raw: &[u8]) -> Option<String> {
    let body = raw.strip_prefix(b"\xEF\xBB\xBF");
    let why = if body.is_some() {
        "starts with a UTF-8 byte-order mark"
    } else if !raw.is_ascii() && std::str::from_utf8(raw).is_ok() {
        "is valid UTF-8 with letters outside ASCII"
    } else {
        return None;
    };
    let example = std::str::from_utf8(body.unwrap_or(raw))
        .ok()
        .and_then(|t| {
            t.split(|c: char| !c.is_alphanumeric())
                .find(|w| !w.is_ascii())
                .map(|w| {
                    let (garbled, _, _) = encoding_rs::WINDOWS_1252.decode(w.as_bytes());
                    format!(" (\"{w}\" reads as \"{garbled}\")")
                })
        })
        .unwrap_or_default();
    Some(format!(
        "the file {why} but [input] encoding = \"windows-1252\" is set: it was read as Windows-1252, so its non-ASCII letters are garbled{example}; set encoding = \"utf-8\" or \"auto\""
    ))
}

pub(crate) fn strip_bom(mut v: Vec<u8>) -> Vec<u8> {
    if v.starts_with(b"\xEF\xBB\xBF") {
        v.drain(..3);
    }
    v
}
