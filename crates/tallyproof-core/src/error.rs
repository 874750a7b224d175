//! The error type of `tallyproof-core`.
//!
//! Errors here stop a whole input (a config that cannot be read, a file that
//! cannot be opened, a column that is not there). A bad *row* is not an
//! error: it is quarantined with a [`crate::rules::Rule`] and the rest of the
//! data goes on.

use std::path::Path;

/// Something that stops an input as a whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The config (or an announcement, or a registry spec) is invalid.
    #[error("{}{}{message}", file.as_deref().map(|f| format!("{f}: ")).unwrap_or_default(), line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Config {
        /// The file, when known.
        file: Option<String>,
        /// The line, when known.
        line: Option<usize>,
        /// What is wrong, with the nearest valid name where one applies.
        message: String,
    },
    /// An input file does not fit the config (missing column, bad header,
    /// undecodable text).
    #[error("{file}: {message}")]
    Input {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// Attach the file name to a config error.
    pub fn in_file(self, path: &Path) -> Error {
        match self {
            Error::Config { line, message, .. } => Error::Config {
                file: Some(path.display().to_string()),
                line,
                message,
            },
            e => e,
        }
    }
}

/// ", did you mean \"x\"?" for the known name nearest to `wrong`, or "" when
/// none is near enough to be a likely typo.
pub fn suggest<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let wl = wrong.to_lowercase();
    let best = known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(&wl, &k.to_lowercase()), k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= 2.max(wrong.chars().count() / 3) => format!(", did you mean {k:?}?"),
        _ => String::new(),
    }
}
