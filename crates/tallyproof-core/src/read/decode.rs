//! Decoding: gzip by its magic bytes, a UTF-8 BOM, Windows-1252 text.

#[allow(unused_imports)]
use super::*;

/// Decompress (gzip by magic number), strip a UTF-8 BOM and decode to UTF-8.
pub(crate) fn decode(
    name: &str,
    raw: Vec<u8>,
    enc: Encoding,
) -> Result<(Vec<u8>, bool, &'static str), Error> {
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
            Ok(_) => Ok((strip_bom(raw), gzip, "utf-8")),
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
        Encoding::Auto if std::str::from_utf8(body).is_ok() => Ok((strip_bom(raw), gzip, "utf-8")),
        Encoding::Auto | Encoding::Windows1252 => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(body);
            Ok((text.into_owned().into_bytes(), gzip, "windows-1252"))
        }
    }
}

pub(crate) fn strip_bom(mut v: Vec<u8>) -> Vec<u8> {
    if v.starts_with(b"\xEF\xBB\xBF") {
        v.drain(..3);
    }
    v
}
