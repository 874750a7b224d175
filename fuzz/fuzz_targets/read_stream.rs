//! Streaming against reading whole: arbitrary bytes (plain or gzip) written
//! to a file and streamed in blocks of 1 to 64 bytes must read exactly as
//! the same bytes read whole.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tallyproof_core::Config;

static CONFIG: LazyLock<Config> = LazyLock::new(tallyproof_fuzz::config);

fuzz_target!(|data: &[u8]| {
    tallyproof_fuzz::stream_matches_whole(&CONFIG, data);
});
