//! Which files a list of inputs names: a file as it is given, a directory
//! as the sheet files in it. The CLI and the server call the same
//! expansion, so that a directory reads alike everywhere.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Name endings (case-insensitive) of the files a directory contributes:
/// delimited text, plain or gzip, JSON Lines and Parquet.
pub const SHEET_EXTENSIONS: [&str; 10] = [
    ".csv",
    ".csv.gz",
    ".tsv",
    ".tsv.gz",
    ".jsonl",
    ".jsonl.gz",
    ".ndjson",
    ".ndjson.gz",
    ".parquet",
    ".pq",
];

/// Whether a file name is one a directory contributes (see
/// [`SHEET_EXTENSIONS`]; names starting with a dot are hidden files, left
/// out).
pub fn is_sheet_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !lower.starts_with('.') && SHEET_EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

/// Expand inputs into the sheet files to read, in a deterministic order,
/// as `tallyproof scan` expands directories of images: a file given by name
/// is kept whatever its name (reading it reports what is wrong with it); a
/// directory contributes, recursively and sorted by path, the files whose
/// names [`is_sheet_file_name`] accepts, except those in `skip` (the
/// registry or the config, when they sit beside the sheets).
///
/// Errors, each naming its path once: an input that does not exist or
/// cannot be listed, and a directory with no sheet file in it.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// for name in ["b.csv", "a.csv.gz", "notes.txt", "registry.csv"] {
///     std::fs::write(dir.path().join(name), "")?;
/// }
/// let skip = dir.path().join("registry.csv");
/// let files = tallyproof_core::inputs::sheet_files(&[dir.path()], &[skip.as_path()])?;
/// let names: Vec<_> = files.iter().map(|p| p.file_name().unwrap()).collect();
/// assert_eq!(names, ["a.csv.gz", "b.csv"]);
/// # Ok(()) }
/// ```
pub fn sheet_files<P: AsRef<Path>>(inputs: &[P], skip: &[&Path]) -> Result<Vec<PathBuf>, Error> {
    let skip: Vec<PathBuf> = skip
        .iter()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
        .collect();
    let mut out = Vec::new();
    for input in inputs {
        let path = input.as_ref();
        let unreadable = |e: std::io::Error| Error::Input {
            file: path.display().to_string(),
            message: e.to_string(),
        };
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        if !meta.is_dir() {
            out.push(path.to_path_buf());
            continue;
        }
        let before = out.len();
        walk(path, &skip, &mut out).map_err(unreadable)?;
        if out.len() == before {
            return Err(Error::Input {
                file: path.display().to_string(),
                message: format!(
                    "a directory with no sheet file in it (files named *{})",
                    SHEET_EXTENSIONS.join(", *")
                ),
            });
        }
        out[before..].sort();
    }
    Ok(out)
}

fn walk(dir: &Path, skip: &[PathBuf], out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        if std::fs::metadata(&path)?.is_dir() {
            if !name.to_string_lossy().starts_with('.') {
                walk(&path, skip, out)?;
            }
        } else if is_sheet_file_name(&name.to_string_lossy())
            && !skip.contains(&path.canonicalize().unwrap_or_else(|_| path.clone()))
        {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_gives_its_sheet_files_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::create_dir_all(d.join(".hidden")).unwrap();
        for name in [
            "b.CSV",
            "a.csv",
            "sub/c.jsonl",
            "c.ndjson.gz",
            "readme.txt",
            ".a.csv",
            ".hidden/x.csv",
            "regions.parquet",
        ] {
            std::fs::write(d.join(name), "").unwrap();
        }
        let file = d.join("readme.txt");
        let got = sheet_files(&[file.clone(), d.to_path_buf()], &[]).unwrap();
        let want: Vec<PathBuf> = [
            "readme.txt",
            "a.csv",
            "b.CSV",
            "c.ndjson.gz",
            "regions.parquet",
            "sub/c.jsonl",
        ]
        .iter()
        .map(|n| d.join(n))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn an_empty_directory_or_a_missing_path_is_one_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        let e = sheet_files(&[dir.path()], &[]).unwrap_err().to_string();
        assert!(
            e.contains("a directory with no sheet file in it (files named *.csv, *.csv.gz"),
            "{e}"
        );
        let missing = dir.path().join("nope.csv");
        let e = sheet_files(&[&missing], &[]).unwrap_err().to_string();
        assert_eq!(e.matches("nope.csv").count(), 1, "{e}");
        assert_eq!(e.matches("No such file").count(), 1, "{e}");
    }
}
