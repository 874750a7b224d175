//! The sheet reader on arbitrary bytes as a CSV file (plain or gzip).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tallyproof_core::Config;

static CONFIG: LazyLock<Config> = LazyLock::new(tallyproof_fuzz::config);

fuzz_target!(|data: &[u8]| {
    tallyproof_fuzz::read_and_check(&CONFIG, "fuzz.csv", data);
});
