//! Message catalogues (`web/i18n/<language>.yaml`, flat `key: text`) and time formatting in
//! the user's time zone.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{ConsoleError, LANGUAGES, read_yaml};

/// One language's messages; a missing key renders as the key itself, so it is easy to spot.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    messages: BTreeMap<String, String>,
}

impl Catalogue {
    pub fn load(web_dir: &Path, language: &str) -> Result<Catalogue, ConsoleError> {
        if !LANGUAGES.contains(&language) {
            return Err(ConsoleError::BadInput(format!(
                "language {language:?}: choose one of {LANGUAGES:?}"
            )));
        }
        let path = web_dir.join("i18n").join(format!("{language}.yaml"));
        Ok(Catalogue {
            messages: read_yaml(&path)?,
        })
    }

    pub fn text(&self, key: &str) -> String {
        self.messages
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.messages.keys()
    }
}

/// Parses an IANA time zone name such as `Asia/Taipei`.
pub fn parse_time_zone(name: &str) -> Result<chrono_tz::Tz, ConsoleError> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        ConsoleError::BadInput(format!(
            "time zone {name:?} is not an IANA name such as Asia/Taipei or UTC"
        ))
    })
}

/// `2026-11-25 11:43:52` in `time_zone`; empty for no time.
pub fn format_time(unix_ms: Option<i64>, time_zone: chrono_tz::Tz) -> String {
    let Some(unix_ms) = unix_ms else {
        return String::new();
    };
    use chrono::{Datelike, Timelike};
    let Some(time) = chrono::DateTime::from_timestamp_millis(unix_ms) else {
        return unix_ms.to_string();
    };
    // Written field by field: a page formats thousands of times, and a format string would be
    // parsed again for each.
    let local = time.with_timezone(&time_zone).naive_local();
    let mut text = String::with_capacity(19);
    let _ = write!(
        text,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let chinese = Catalogue::load(&web_dir(), "zh-TW").unwrap();
        let english = Catalogue::load(&web_dir(), "en").unwrap();
        let chinese_keys: Vec<_> = chinese.keys().collect();
        let english_keys: Vec<_> = english.keys().collect();
        assert_eq!(chinese_keys, english_keys);
        assert!(chinese_keys.len() > 20, "the catalogues look empty");
    }

    #[test]
    fn times_are_shown_in_the_users_zone() {
        let taipei = parse_time_zone("Asia/Taipei").unwrap();
        assert_eq!(format_time(Some(0), taipei), "1970-01-01 08:00:00");
        assert_eq!(format_time(None, taipei), "");
        let error = parse_time_zone("Mars/Olympus").unwrap_err();
        assert!(error.to_string().contains("Mars/Olympus"), "{error}");
    }

    #[test]
    fn an_unknown_language_is_refused_by_name() {
        let error = Catalogue::load(&web_dir(), "fr").unwrap_err();
        assert!(error.to_string().contains("\"fr\""), "{error}");
    }
}
