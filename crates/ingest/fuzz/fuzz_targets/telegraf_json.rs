//! cargo-fuzz target: any bytes through the Telegraf JSON parser must not panic, and every
//! metric must be counted as accepted or rejected (see `checks.rs`).
#![no_main]

mod checks;

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    checks::check_telegraf_json(body);
});
