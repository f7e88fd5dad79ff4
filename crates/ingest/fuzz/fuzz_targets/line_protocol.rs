//! cargo-fuzz target: any bytes through the line protocol parser must not panic, and every
//! non-blank, non-comment line must be counted as accepted or rejected (see `checks.rs`).
#![no_main]

mod checks;

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    checks::check_line_protocol(body);
});
