//! Alert engine benchmark: evaluate() throughput on batches of 5,000 samples spread over
//! 100,000 series, with 1,000 threshold rules and 100 statistical rules (z-score, EWMA,
//! SPC, rate of change).
//!
//! Run with `cargo run --release -p alert --example alert_bench`. Prints one JSON line:
//! `{"bench":"alert_evaluate","samples_per_s":..,"cpu_s_per_million":..}`. CPU time is the
//! process's on-CPU time from `/proc/self/schedstat` around the evaluate() calls only;
//! building the batches is not counted. A warm-up pass first creates the state of every
//! (rule, series) pair, so the figure is the steady state.

use std::time::{Duration, Instant};

use alert::{
    Bound, Condition, EngineState, Level, Rule, RuleKind, SeriesSelector, evaluate,
    rule::{EwmaSettings, RateOfChangeSettings, SpcSettings, WesternElectricRule, ZScoreSettings},
};
use detectviz::{Labels, Sample, SeriesKey, Severity};

const MEASUREMENTS: usize = 100;
const FIELDS_PER_MEASUREMENT: usize = 10;
const HOSTS: usize = 100;
const THRESHOLD_RULES: usize = 1_000;
const STATISTICAL_RULES: usize = 100;
const BATCH_SIZE: usize = 5_000;
const MEASURED_BATCHES: usize = 100;

fn measurement_name(index: usize) -> String {
    format!("plc_{index}")
}

fn field_name(index: usize) -> String {
    format!("register_{index}")
}

fn level(severity: Severity, condition: Condition) -> Level {
    Level {
        severity,
        condition: Some(condition),
        recovery: None,
        for_s: 0,
    }
}

fn rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for index in 0..THRESHOLD_RULES {
        let key = index % (MEASUREMENTS * FIELDS_PER_MEASUREMENT);
        rules.push(Rule {
            id: format!("threshold-{index}"),
            name: format!("RegisterHigh{index}"),
            selector: SeriesSelector {
                measurement: measurement_name(key / FIELDS_PER_MEASUREMENT),
                field: field_name(key % FIELDS_PER_MEASUREMENT),
                matchers: vec![alert::LabelMatcher::equal("site", "tainan")],
                filter: None,
            },
            kind: RuleKind::Threshold,
            levels: vec![
                level(Severity::Warning, Condition::Above(Bound { value: 95.0 })),
                level(Severity::Critical, Condition::Above(Bound { value: 99.0 })),
            ],
            labels: Labels::new(),
            annotations: Default::default(),
            flap: None,
        });
    }
    for index in 0..STATISTICAL_RULES {
        let kind = match index % 4 {
            0 => RuleKind::ZScore(ZScoreSettings { window: 30 }),
            1 => RuleKind::Ewma(EwmaSettings {
                lambda: 0.2,
                warmup: 20,
            }),
            2 => RuleKind::Spc(SpcSettings {
                window: 30,
                rules: vec![
                    WesternElectricRule::OneBeyondThreeSigma,
                    WesternElectricRule::TwoOfThreeBeyondTwoSigma,
                    WesternElectricRule::FourOfFiveBeyondOneSigma,
                    WesternElectricRule::EightOnOneSide,
                ],
            }),
            _ => RuleKind::RateOfChange(RateOfChangeSettings { window_s: 60 }),
        };
        let key = index * 7 % (MEASUREMENTS * FIELDS_PER_MEASUREMENT);
        rules.push(Rule {
            id: format!("statistic-{index}"),
            name: format!("RegisterUnusual{index}"),
            selector: SeriesSelector {
                measurement: measurement_name(key / FIELDS_PER_MEASUREMENT),
                field: field_name(key % FIELDS_PER_MEASUREMENT),
                matchers: Vec::new(),
                filter: None,
            },
            kind,
            levels: vec![level(
                Severity::Warning,
                Condition::AtLeast(Bound { value: 4.0 }),
            )],
            labels: Labels::new(),
            annotations: Default::default(),
            flap: None,
        });
    }
    rules
}

fn all_series() -> Vec<SeriesKey> {
    let mut series = Vec::with_capacity(MEASUREMENTS * FIELDS_PER_MEASUREMENT * HOSTS);
    for measurement in 0..MEASUREMENTS {
        for field in 0..FIELDS_PER_MEASUREMENT {
            for host in 0..HOSTS {
                let tags: Labels = [
                    ("host", format!("host-{host}")),
                    ("site", "tainan".to_string()),
                ]
                .into_iter()
                .collect();
                series.push(SeriesKey {
                    measurement: measurement_name(measurement),
                    tags,
                    field: field_name(field),
                });
            }
        }
    }
    series
}

/// A small deterministic generator (xorshift), so every run sees the same values.
struct Values(u64);

impl Values {
    fn next_unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn batch(series: &[SeriesKey], start: usize, time_ms: i64, values: &mut Values) -> Vec<Sample> {
    (0..BATCH_SIZE)
        .map(|offset| {
            let key = &series[(start + offset) % series.len()];
            Sample {
                series: key.clone(),
                timestamp_ms: time_ms,
                value: 50.0 + 50.0 * values.next_unit().powi(20),
            }
        })
        .collect()
}

fn cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/self/schedstat").unwrap_or_default();
    let nanoseconds = text
        .split_whitespace()
        .next()
        .and_then(|field| field.parse::<u64>().ok())
        .unwrap_or(0);
    Duration::from_nanos(nanoseconds)
}

fn main() {
    let rules = rules();
    let series = all_series();
    let mut values = Values(0x9e37_79b9_7f4a_7c15);
    let mut state = EngineState::new();
    let mut time_ms = 1_795_568_400_000_i64;
    let mut cursor = 0;
    let warm_up_batches = series.len().div_ceil(BATCH_SIZE);
    for _ in 0..warm_up_batches {
        let samples = batch(&series, cursor, time_ms, &mut values);
        cursor += BATCH_SIZE;
        evaluate(&rules, &samples, &mut state, time_ms);
        time_ms += 1_000;
    }
    let mut wall = Duration::ZERO;
    let mut cpu = Duration::ZERO;
    let mut transitions = 0usize;
    for _ in 0..MEASURED_BATCHES {
        let samples = batch(&series, cursor, time_ms, &mut values);
        cursor += BATCH_SIZE;
        let cpu_before = cpu_time();
        let wall_before = Instant::now();
        transitions += evaluate(&rules, &samples, &mut state, time_ms).len();
        wall += wall_before.elapsed();
        cpu += cpu_time().saturating_sub(cpu_before);
        time_ms += 1_000;
    }
    let samples = (MEASURED_BATCHES * BATCH_SIZE) as f64;
    let samples_per_s = samples / wall.as_secs_f64();
    let cpu_s_per_million = cpu.as_secs_f64() / samples * 1e6;
    eprintln!(
        "series {}, rules {}, alerts tracked {}, transitions in measured batches {transitions}",
        series.len(),
        rules.len(),
        state.len()
    );
    println!(
        "{{\"bench\":\"alert_evaluate\",\"samples_per_s\":{samples_per_s:.0},\"cpu_s_per_million\":{cpu_s_per_million:.3}}}"
    );
}
