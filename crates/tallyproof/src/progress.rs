//! Progress bars on stderr for long reads (hidden when stderr is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};
use tallyproof_core::Progress;

/// A byte-count bar over the files being read.
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar for reading `total` bytes of input files.
    pub fn bytes(total: u64) -> Bar {
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar(pb)
    }

    /// A bar counting `total` items.
    pub fn items(total: u64, what: &str) -> Bar {
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template(&format!(
                "{{msg}} [{{bar:30}}] {{pos}}/{{len}} {what} {{eta}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar(pb)
    }

    /// Put the bar at `n`.
    pub fn set(&self, n: u64) {
        self.0.set_position(n);
    }

    /// Move the bar on by `n`.
    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start_file(&self, path: &str, _bytes: u64) {
        let name = std::path::Path::new(path)
            .file_name()
            .map_or(path.to_string(), |n| n.to_string_lossy().into_owned());
        self.0.set_message(format!("reading {name}"));
    }

    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
}
