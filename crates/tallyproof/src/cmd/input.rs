//! The inputs most subcommands share: a config, sheet files, a registry.

use std::path::PathBuf;

use anyhow::{Context, Result};
use tallyproof_core::{Config, Dataset, Registry, inputs, read_files};

use crate::progress::Bar;

/// `--config C [--registry R] FILE...`
#[derive(clap::Args, Debug, Clone)]
pub struct Input {
    /// The election config (TOML) that says how to read the files.
    #[arg(long, short = 'c', value_name = "CONFIG")]
    pub config: PathBuf,
    /// A registry of every station (with or without a sheet), read as the
    /// config's [registry] section says: the coverage denominator.
    #[arg(long, value_name = "FILE")]
    pub registry: Option<PathBuf>,
    /// Sheet files: CSV (optionally gzip-compressed), JSON Lines or
    /// Parquet; a directory stands for the sheet files in it, in path order.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub files: Vec<PathBuf>,
}

/// Everything loaded from an [`Input`].
pub struct Loaded {
    pub config: Config,
    pub registry: Option<Registry>,
    pub data: Dataset,
}

impl Input {
    /// Read the config, the registry and every file, with a progress bar.
    pub fn load(&self) -> Result<Loaded> {
        let config = Config::from_path(&self.config)?;
        let registry = self
            .registry
            .as_ref()
            .map(|r| Registry::from_path(&config, r))
            .transpose()
            .context("reading the registry")?;
        let skip: Vec<&std::path::Path> = std::iter::once(self.config.as_path())
            .chain(self.registry.as_deref())
            .collect();
        let files = inputs::sheet_files(&self.files, &skip)?;
        let total: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
            .sum();
        let bar = Bar::bytes(total);
        let data = read_files(&config, &files, registry.as_ref(), &bar);
        bar.finish();
        let data = data?;
        for f in &data.files {
            for w in &f.warnings {
                eprintln!("warning: {}: {w}", f.path);
            }
        }
        Ok(Loaded {
            config,
            registry,
            data,
        })
    }
}
