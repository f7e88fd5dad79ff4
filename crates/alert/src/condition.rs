//! Conditions a level compares the rule's value with: `>`, `>=`, `<`, `<=`, `==`, `!=`,
//! and `inside` / `outside` an inclusive range.
//!
//! Serialised tagged by `op`, e.g. `{ op = ">", value = 90 }` or
//! `{ op = "outside", low = 10, high = 20 }`.

use serde::{Deserialize, Serialize};

/// One number to compare against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    pub value: f64,
}

/// An inclusive range `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub low: f64,
    pub high: f64,
}

/// A test on one value. `==` and `!=` compare exactly (booleans arrive as 0 and 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum Condition {
    #[serde(rename = ">")]
    Above(Bound),
    #[serde(rename = ">=")]
    AtLeast(Bound),
    #[serde(rename = "<")]
    Below(Bound),
    #[serde(rename = "<=")]
    AtMost(Bound),
    #[serde(rename = "==")]
    EqualTo(Bound),
    #[serde(rename = "!=")]
    NotEqualTo(Bound),
    #[serde(rename = "inside")]
    Inside(Bounds),
    #[serde(rename = "outside")]
    Outside(Bounds),
}

impl Condition {
    /// Whether the value satisfies the condition. NaN satisfies nothing.
    pub fn holds(&self, value: f64) -> bool {
        if value.is_nan() {
            return false;
        }
        match *self {
            Condition::Above(Bound { value: limit }) => value > limit,
            Condition::AtLeast(Bound { value: limit }) => value >= limit,
            Condition::Below(Bound { value: limit }) => value < limit,
            Condition::AtMost(Bound { value: limit }) => value <= limit,
            Condition::EqualTo(Bound { value: limit }) => value == limit,
            Condition::NotEqualTo(Bound { value: limit }) => value != limit,
            Condition::Inside(Bounds { low, high }) => low <= value && value <= high,
            Condition::Outside(Bounds { low, high }) => value < low || value > high,
        }
    }

    /// Whether this is an `inside` / `outside` range condition.
    pub fn is_range(&self) -> bool {
        matches!(self, Condition::Inside(_) | Condition::Outside(_))
    }

    /// Why the condition's numbers are unusable, if they are.
    pub fn problem(&self) -> Option<String> {
        match *self {
            Condition::Inside(Bounds { low, high }) | Condition::Outside(Bounds { low, high }) => {
                if !low.is_finite() || !high.is_finite() {
                    return Some("has a bound that is not a finite number".to_string());
                }
                if low > high {
                    return Some(format!("has low {low} above high {high}"));
                }
                None
            }
            Condition::Above(Bound { value })
            | Condition::AtLeast(Bound { value })
            | Condition::Below(Bound { value })
            | Condition::AtMost(Bound { value })
            | Condition::EqualTo(Bound { value })
            | Condition::NotEqualTo(Bound { value }) => {
                if value.is_finite() {
                    return None;
                }
                Some("has a value that is not a finite number".to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Condition {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn each_comparator_holds_exactly_where_it_should() {
        let cases = [
            (r#"{"op":">","value":5}"#, [false, false, true]),
            (r#"{"op":">=","value":5}"#, [false, true, true]),
            (r#"{"op":"<","value":5}"#, [true, false, false]),
            (r#"{"op":"<=","value":5}"#, [true, true, false]),
            (r#"{"op":"==","value":5}"#, [false, true, false]),
            (r#"{"op":"!=","value":5}"#, [true, false, true]),
        ];
        for (json, expected) in cases {
            let condition = parse(json);
            let actual = [4.0, 5.0, 6.0].map(|value| condition.holds(value));
            assert_eq!(actual, expected, "{json}");
            assert!(!condition.holds(f64::NAN), "{json} must not hold for NaN");
        }
    }

    #[test]
    fn ranges_are_inclusive() {
        let inside = parse(r#"{"op":"inside","low":1,"high":2}"#);
        let outside = parse(r#"{"op":"outside","low":1,"high":2}"#);
        assert_eq!(
            [0.5, 1.0, 2.0, 2.5].map(|v| inside.holds(v)),
            [false, true, true, false]
        );
        assert_eq!(
            [0.5, 1.0, 2.0, 2.5].map(|v| outside.holds(v)),
            [true, false, false, true]
        );
        assert!(inside.is_range());
    }

    #[test]
    fn unknown_fields_and_bad_bounds_are_rejected() {
        assert!(serde_json::from_str::<Condition>(r#"{"op":">","value":1,"extra":2}"#).is_err());
        assert!(serde_json::from_str::<Condition>(r#"{"op":"~","value":1}"#).is_err());
        let reversed = parse(r#"{"op":"inside","low":3,"high":2}"#);
        assert!(reversed.problem().unwrap().contains("low 3"));
    }
}
