//! Per-series accumulators that turn samples into the value a rule's levels compare:
//! rate of change, z-score, EWMA deviation and the Western Electric rule count.
//!
//! Each accumulator reports `None` until it has enough history to say anything.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::rule::{EwmaSettings, RuleKind, SpcSettings, WesternElectricRule};

/// The smallest sigma used, relative to the mean's magnitude, so a perfectly flat baseline
/// followed by a step reports a very large (finite) deviation instead of dividing by zero.
const RELATIVE_SIGMA_FLOOR: f64 = 1e-9;

/// The rolling state one (rule, series) needs for its rule kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StatisticState {
    /// Threshold, range and absent rules keep nothing.
    Stateless,
    RateOfChange {
        samples: VecDeque<(i64, f64)>,
    },
    ZScore {
        previous: VecDeque<f64>,
    },
    Ewma(EwmaState),
    Spc {
        previous: VecDeque<f64>,
    },
}

impl StatisticState {
    pub fn stateless() -> StatisticState {
        StatisticState::Stateless
    }

    pub fn for_kind(kind: &RuleKind) -> StatisticState {
        match kind {
            RuleKind::Threshold | RuleKind::Range | RuleKind::Absent(_) | RuleKind::Model(_) => {
                StatisticState::Stateless
            }
            RuleKind::RateOfChange(_) => StatisticState::RateOfChange {
                samples: VecDeque::new(),
            },
            RuleKind::ZScore(_) => StatisticState::ZScore {
                previous: VecDeque::new(),
            },
            RuleKind::Ewma(_) => StatisticState::Ewma(EwmaState::default()),
            RuleKind::Spc(_) => StatisticState::Spc {
                previous: VecDeque::new(),
            },
        }
    }

    /// Feeds one sample (in time order) and returns the value to compare, if known yet.
    pub fn observe(&mut self, kind: &RuleKind, timestamp_ms: i64, value: f64) -> Option<f64> {
        if !value.is_finite() {
            return None;
        }
        match (self, kind) {
            (StatisticState::Stateless, _) => Some(value),
            (StatisticState::RateOfChange { samples }, RuleKind::RateOfChange(settings)) => {
                let window_ms = i64::try_from(settings.window_s)
                    .unwrap_or(i64::MAX / 1000)
                    .saturating_mul(1000);
                observe_rate(samples, window_ms, timestamp_ms, value)
            }
            (StatisticState::ZScore { previous }, RuleKind::ZScore(settings)) => {
                observe_z_score(previous, settings.window, value)
            }
            (StatisticState::Ewma(ewma), RuleKind::Ewma(settings)) => ewma.observe(settings, value),
            (StatisticState::Spc { previous }, RuleKind::Spc(settings)) => {
                observe_spc(previous, settings, value)
            }
            // The rule changed kind since this state was made; the caller resets it.
            _ => None,
        }
    }
}

fn observe_rate(
    samples: &mut VecDeque<(i64, f64)>,
    window_ms: i64,
    timestamp_ms: i64,
    value: f64,
) -> Option<f64> {
    let oldest_allowed = timestamp_ms.saturating_sub(window_ms);
    while samples
        .front()
        .is_some_and(|(time, _)| *time < oldest_allowed)
    {
        samples.pop_front();
    }
    let rate = samples.front().and_then(|(earlier_ms, earlier_value)| {
        let elapsed_s = (timestamp_ms - earlier_ms) as f64 / 1000.0;
        (elapsed_s > 0.0).then(|| (value - earlier_value) / elapsed_s)
    });
    samples.push_back((timestamp_ms, value));
    rate
}

/// Mean and sample standard deviation (floored, see [`RELATIVE_SIGMA_FLOOR`]).
fn mean_and_sigma(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let count = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / count;
    let squares: f64 = values.map(|value| (value - mean) * (value - mean)).sum();
    let sigma = (squares / (count - 1.0).max(1.0)).sqrt();
    (mean, floor_sigma(sigma, mean))
}

fn floor_sigma(sigma: f64, mean: f64) -> f64 {
    sigma.max(RELATIVE_SIGMA_FLOOR * mean.abs().max(1.0))
}

fn observe_z_score(previous: &mut VecDeque<f64>, window: usize, value: f64) -> Option<f64> {
    let z_score = (previous.len() >= window).then(|| {
        let (mean, sigma) = mean_and_sigma(previous.iter().copied());
        (value - mean).abs() / sigma
    });
    previous.push_back(value);
    while previous.len() > window {
        previous.pop_front();
    }
    z_score
}

/// Classic EWMA chart: the first `warmup` samples fix the target mean and sigma (phase I);
/// afterwards the average `z = lambda * x + (1 - lambda) * z` is compared with the target,
/// in units of its asymptotic deviation `sigma * sqrt(lambda / (2 - lambda))`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EwmaState {
    /// Warm-up samples seen so far (stops counting at the warm-up size).
    learned: usize,
    mean: f64,
    sum_of_squares: f64,
    average: f64,
}

impl EwmaState {
    fn observe(&mut self, settings: &EwmaSettings, value: f64) -> Option<f64> {
        if self.learned < settings.warmup {
            self.learned += 1;
            let delta = value - self.mean;
            self.mean += delta / self.learned as f64;
            self.sum_of_squares += delta * (value - self.mean);
            self.average = self.mean;
            return None;
        }
        let lambda = settings.lambda;
        self.average = lambda * value + (1.0 - lambda) * self.average;
        let sigma = (self.sum_of_squares / (self.learned as f64 - 1.0)).sqrt();
        let sigma = floor_sigma(sigma, self.mean);
        let average_sigma = sigma * (lambda / (2.0 - lambda)).sqrt();
        Some((self.average - self.mean).abs() / average_sigma)
    }
}

/// Points of the recent run checked by the zone rules (rule 4 needs eight).
const SPC_RECENT_POINTS: usize = 8;

fn observe_spc(previous: &mut VecDeque<f64>, settings: &SpcSettings, value: f64) -> Option<f64> {
    let earlier_recent = SPC_RECENT_POINTS - 1;
    let capacity = settings.window + earlier_recent;
    let violations = (previous.len() >= capacity).then(|| {
        let (mean, sigma) = mean_and_sigma(previous.iter().take(settings.window).copied());
        let recent: Vec<f64> = previous
            .iter()
            .skip(settings.window)
            .copied()
            .chain(std::iter::once(value))
            .map(|point| (point - mean) / sigma)
            .collect();
        settings
            .rules
            .iter()
            .filter(|rule| western_electric_violated(**rule, &recent))
            .count() as f64
    });
    previous.push_back(value);
    while previous.len() > capacity {
        previous.pop_front();
    }
    violations
}

/// Whether the rule is violated by the run ending at the newest point. `sigmas` holds the
/// recent points, oldest first, as signed distances from the centre line in sigmas.
pub fn western_electric_violated(rule: WesternElectricRule, sigmas: &[f64]) -> bool {
    let last = |count: usize| &sigmas[sigmas.len().saturating_sub(count)..];
    let same_side_beyond = |points: &[f64], limit: f64, needed: usize| {
        let above = points.iter().filter(|sigma| **sigma > limit).count();
        let below = points.iter().filter(|sigma| **sigma < -limit).count();
        above >= needed || below >= needed
    };
    match rule {
        WesternElectricRule::OneBeyondThreeSigma => same_side_beyond(last(1), 3.0, 1),
        WesternElectricRule::TwoOfThreeBeyondTwoSigma => same_side_beyond(last(3), 2.0, 2),
        WesternElectricRule::FourOfFiveBeyondOneSigma => same_side_beyond(last(5), 1.0, 4),
        WesternElectricRule::EightOnOneSide => {
            let run = last(8);
            run.len() == 8
                && (run.iter().all(|sigma| *sigma > 0.0) || run.iter().all(|sigma| *sigma < 0.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WesternElectricRule::*;

    #[test]
    fn zone_rules_need_points_strictly_beyond_their_limit() {
        assert!(!western_electric_violated(OneBeyondThreeSigma, &[3.0]));
        assert!(western_electric_violated(OneBeyondThreeSigma, &[-3.01]));
        assert!(!western_electric_violated(
            TwoOfThreeBeyondTwoSigma,
            &[2.5, -2.5, 0.0]
        ));
        assert!(western_electric_violated(
            TwoOfThreeBeyondTwoSigma,
            &[-2.5, 0.0, -2.1]
        ));
        assert!(!western_electric_violated(
            FourOfFiveBeyondOneSigma,
            &[1.5, 1.5, 1.5, 1.0, 0.0]
        ));
        assert!(western_electric_violated(
            FourOfFiveBeyondOneSigma,
            &[1.5, 1.5, 0.0, 1.5, 1.5]
        ));
    }

    #[test]
    fn rule_four_needs_eight_points_and_a_zero_breaks_the_run() {
        assert!(!western_electric_violated(EightOnOneSide, &[0.1; 7]));
        assert!(western_electric_violated(EightOnOneSide, &[-0.1; 8]));
        let mut with_zero = [0.1; 8];
        with_zero[3] = 0.0;
        assert!(!western_electric_violated(EightOnOneSide, &with_zero));
    }

    #[test]
    fn rate_uses_the_oldest_sample_inside_the_window() {
        let mut samples = VecDeque::new();
        assert_eq!(observe_rate(&mut samples, 10_000, 0, 0.0), None);
        assert_eq!(observe_rate(&mut samples, 10_000, 5_000, 5.0), Some(1.0));
        // At 12 s the sample from 0 s is outside the window; 5 s is the oldest left.
        assert_eq!(observe_rate(&mut samples, 10_000, 12_000, 19.0), Some(2.0));
        assert_eq!(samples.len(), 2);
    }

    #[test]
    fn non_finite_values_are_not_observed() {
        let mut state = StatisticState::Stateless;
        assert_eq!(state.observe(&RuleKind::Threshold, 0, f64::NAN), None);
        assert_eq!(state.observe(&RuleKind::Threshold, 0, f64::INFINITY), None);
        assert_eq!(state.observe(&RuleKind::Threshold, 0, 4.0), Some(4.0));
    }
}
