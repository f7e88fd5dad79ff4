//! Stable-toolchain fuzzing for CI: deterministic mutations of a seed corpus (fixed-seed
//! SplitMix64) through both parsers, asserting the same invariants as the cargo-fuzz targets in
//! `crates/ingest/fuzz` (which need nightly). Each test runs at least 20,000 mutations and at
//! most `INGEST_FUZZ_ITERATIONS` (default 300,000), stopping after about 4 s of wall time, so
//! a debug build stays quick and a release build gets the full count. The sequence is fixed,
//! so a failure repeats on the next run.

#[path = "../fuzz/fuzz_targets/checks.rs"]
mod checks;

const LINE_PROTOCOL_SEEDS: &[&str] = &[
    "cpu,host=a,region=eu usage_idle=99.5,usage_user=0.25 1700000000000000000",
    "cpu value=1",
    "m,t=x i=42i,u=42u,f=-1.5e-3,b=true,s=\"quoted \\\"text\\\" and \\\\\" 1",
    "my\\ meas\\,ure,tag\\ key\\,x\\=y=va\\ l\\,u\\=e fi\\ eld\\=x=1 -1",
    "溫度,機台=一號 值=1.5,說明=\"正常 ✓\" 1700000000",
    "# comment line\n\nm v=1 1\r\nm v=NaN 2\nm,a=1,a=2 v=1\nm v=1,v=2i 9223372036854775806",
    "m v=9223372036854775808i\nm v=18446744073709551616u\nm v=1e400 99999999999999999999",
    "m s=\"unterminated\nm,a= v=1\n,a=1 v=1\nm =1\nm v=1,\nm v=1 1 2\n  # indented",
    "m b=t,c=T,d=true,e=True,f=TRUE,g=f,h=F,i=false,j=False,k=FALSE",
    "m,t=a\\ v=1 1\nm v=.5,w=1.,x=-.5e+2",
];

const JSON_SEEDS: &[&str] = &[
    r#"{"metrics":[{"name":"cpu","tags":{"host":"a"},"fields":{"v":1.5,"b":true,"s":"x"},"timestamp":1700000000}]}"#,
    r#"{"fields":{"v":1},"name":"m","tags":{"t":"x"},"timestamp":1700000000123}"#,
    r#"{"name":"m","fields":{"v":null}} {"name":"n","fields":{"v":2},"timestamp":1.5}"#,
    r#"[{"name":"m","fields":{"v":1},"timestamp":"now"},{"name":"","fields":{}},42]"#,
    r#"{"metrics":[{"name":"溫度","tags":{"機台":"一號","e":""},"fields":{"值":1e300},"timestamp":-5}]}"#,
];

/// SplitMix64: small, fast, deterministic.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

/// Bytes that matter to the grammars, plus a few non-ASCII and invalid UTF-8 ones.
const INTERESTING_BYTES: &[u8] = b"\\\" ,=\n\r\t#iuetfTF-+.0123456789{}[]:\xff\xe6\xbc\x80";

fn mutate(random: &mut Random, seeds: &[&str], input: &mut Vec<u8>) {
    input.clear();
    input.extend_from_slice(seeds[random.below(seeds.len())].as_bytes());
    for _ in 0..=random.below(4) {
        let length = input.len();
        match random.below(6) {
            0 if length > 0 => input[random.below(length)] = random.next() as u8,
            1 => {
                let byte = INTERESTING_BYTES[random.below(INTERESTING_BYTES.len())];
                input.insert(random.below(length + 1), byte);
            }
            2 if length > 0 => {
                let start = random.below(length);
                let end = (start + random.below(8)).min(length);
                input.drain(start..end);
            }
            3 if length > 0 => {
                let start = random.below(length);
                let end = (start + random.below(16)).min(length);
                let copy = input[start..end].to_vec();
                let at = random.below(length + 1);
                input.splice(at..at, copy);
            }
            4 => {
                let other = seeds[random.below(seeds.len())].as_bytes();
                let cut = random.below(other.len() + 1);
                input.truncate(random.below(length + 1));
                input.extend_from_slice(&other[cut..]);
            }
            _ => input.push(INTERESTING_BYTES[random.below(INTERESTING_BYTES.len())]),
        }
    }
}

const MIN_ITERATIONS: usize = 20_000;
const TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(4);

/// Feeds mutations to `check` until the maximum count, or the time budget once the minimum
/// count is done; returns how many ran.
fn fuzz(seed: u64, seeds: &[&str], check: fn(&[u8])) -> usize {
    let max_iterations = std::env::var("INGEST_FUZZ_ITERATIONS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(300_000_usize);
    let started = std::time::Instant::now();
    let mut random = Random(seed);
    let mut input = Vec::new();
    for iteration in 0..max_iterations {
        if iteration >= MIN_ITERATIONS && started.elapsed() > TIME_BUDGET {
            return iteration;
        }
        mutate(&mut random, seeds, &mut input);
        check(&input);
    }
    max_iterations
}

#[test]
fn line_protocol_parser_keeps_its_invariants_under_mutation() {
    for seed in LINE_PROTOCOL_SEEDS {
        checks::check_line_protocol(seed.as_bytes());
    }
    let ran = fuzz(
        0x5eed_1111,
        LINE_PROTOCOL_SEEDS,
        checks::check_line_protocol,
    );
    eprintln!("line protocol: {ran} mutations");
}

#[test]
fn telegraf_json_parser_keeps_its_invariants_under_mutation() {
    for seed in JSON_SEEDS {
        checks::check_telegraf_json(seed.as_bytes());
    }
    let ran = fuzz(0x5eed_2222, JSON_SEEDS, checks::check_telegraf_json);
    eprintln!("telegraf json: {ran} mutations");
}
