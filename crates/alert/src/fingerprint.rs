//! Stable 64-bit fingerprints of label sets (FNV-1a), printed as 16 lowercase hex digits.
//!
//! The hash is FNV-1a 64 (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`) over the
//! labels sorted by name, feeding `name`, byte `0xff`, `value`, byte `0xff` for each label:
//! the same scheme as Prometheus' label-set fingerprint (not yet checked against a running
//! Alertmanager).
//!
//! A rule alert's fingerprint is the same hash over the series tags plus three reserved labels
//! `__rule_id__`, `__measurement__` and `__field__`, so it depends only on the rule id and the
//! series identity, never on insertion order or on the process (no random hasher seed).

use detectviz::{Labels, SeriesKey};

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const LABEL_SEPARATOR: u8 = 0xff;

/// Incremental FNV-1a 64 hasher.
#[derive(Debug, Clone, Copy)]
struct Fnv1a64(u64);

impl Fnv1a64 {
    fn new() -> Self {
        Fnv1a64(FNV_OFFSET_BASIS)
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }

    fn write_label(&mut self, name: &str, value: &str) {
        self.write_bytes(name.as_bytes());
        self.write_bytes(&[LABEL_SEPARATOR]);
        self.write_bytes(value.as_bytes());
        self.write_bytes(&[LABEL_SEPARATOR]);
    }
}

/// Formats a 64-bit fingerprint as 16 lowercase hex digits.
pub fn fingerprint_hex(fingerprint: u64) -> String {
    format!("{fingerprint:016x}")
}

/// FNV-1a 64 signature of a label set, labels taken in name order.
pub fn label_set_fingerprint(labels: &Labels) -> u64 {
    let mut hasher = Fnv1a64::new();
    for (name, value) in labels.iter() {
        hasher.write_label(name, value);
    }
    hasher.0
}

/// Fingerprint of one rule's alert on one series.
pub fn rule_series_fingerprint(rule_id: &str, series: &SeriesKey) -> u64 {
    let mut labels = series.tags.clone();
    labels.insert("__field__", series.field.as_str());
    labels.insert("__measurement__", series.measurement.as_str());
    labels.insert("__rule_id__", rule_id);
    label_set_fingerprint(&labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(tags: &[(&str, &str)]) -> SeriesKey {
        SeriesKey {
            measurement: "cpu".to_string(),
            tags: tags.iter().copied().collect(),
            field: "usage_idle".to_string(),
        }
    }

    #[test]
    fn empty_label_set_hashes_to_the_fnv_offset_basis() {
        assert_eq!(label_set_fingerprint(&Labels::new()), FNV_OFFSET_BASIS);
    }

    #[test]
    fn fnv1a_matches_the_published_test_vector() {
        let mut hasher = Fnv1a64::new();
        hasher.write_bytes(b"a");
        assert_eq!(hasher.0, 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn same_labels_in_any_insertion_order_give_the_same_fingerprint() {
        let first = series(&[("host", "a"), ("dc", "tpe")]);
        let second = series(&[("dc", "tpe"), ("host", "a")]);
        assert_eq!(
            rule_series_fingerprint("r1", &first),
            rule_series_fingerprint("r1", &second)
        );
        assert_ne!(
            rule_series_fingerprint("r1", &first),
            rule_series_fingerprint("r2", &first)
        );
        assert_ne!(
            rule_series_fingerprint("r1", &first),
            rule_series_fingerprint("r1", &series(&[("host", "b"), ("dc", "tpe")]))
        );
    }

    #[test]
    fn rule_fingerprint_has_a_golden_value() {
        let key = series(&[("host", "a"), ("dc", "tpe")]);
        assert_eq!(
            fingerprint_hex(rule_series_fingerprint("r1", &key)),
            GOLDEN_RULE_FINGERPRINT
        );
    }

    // Computed independently with a ten-line Python FNV-1a over the same sorted labels.
    const GOLDEN_RULE_FINGERPRINT: &str = "0a887e641d7af92d";
}
