//! Telegraf versions and the README rows that say when an option arrived: a notes cell that
//! starts with a release (`v1.37.0 (PR #17948)`) or says `Since v1.17` dates every option of
//! the row, and `` `token` (v1.39+ `` dates that one option. Removal notes (`removed in
//! v1.35`) date nothing.

use std::fmt;

use crate::reference::option_names_outside_parentheses;

/// A Telegraf release, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TelegrafVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl TelegrafVersion {
    /// `1.32.0`, `v1.32`, `1.39.3`; `None` for anything else.
    pub fn parse(text: &str) -> Option<TelegrafVersion> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(patch) => patch.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(TelegrafVersion {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for TelegrafVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The version at the start of `text` (`v1.37.0 (PR ...)` → 1.37.0).
fn leading_version(text: &str) -> Option<TelegrafVersion> {
    let text = text.trim_start();
    let rest = text.strip_prefix('v')?;
    let end = rest
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(rest.len());
    TelegrafVersion::parse(rest[..end].trim_end_matches('.'))
}

/// Options of one README table row (cells without the outer `|`) with the release that
/// introduced them.
pub(crate) fn options_with_release(cells: &[&str]) -> Vec<(String, TelegrafVersion)> {
    let Some(first_cell) = cells.first() else {
        return Vec::new();
    };
    let mut dated = Vec::new();
    // `name` (v1.39+ ...): that option only.
    let pieces: Vec<&str> = first_cell.split('`').collect();
    for index in (1..pieces.len()).step_by(2) {
        let after = pieces.get(index + 1).copied().unwrap_or_default();
        if let Some(since) = after
            .trim_start()
            .strip_prefix('(')
            .and_then(leading_version)
        {
            dated.push((pieces[index].to_string(), since));
        }
    }
    let row_release = cells[1..].iter().find_map(|cell| {
        leading_version(cell).or_else(|| {
            cell.split_once("Since ")
                .and_then(|(_, after)| leading_version(after))
        })
    });
    if let Some(since) = row_release {
        for option in option_names_outside_parentheses(first_cell) {
            if !dated.iter().any(|(name, _)| *name == option) {
                dated.push((option, since));
            }
        }
    }
    dated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> TelegrafVersion {
        TelegrafVersion::parse(text).unwrap()
    }

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(version("v1.32").to_string(), "1.32.0");
        assert!(version("1.39.3") > version("1.37.0"));
        assert_eq!(TelegrafVersion::parse("latest"), None);
        assert_eq!(TelegrafVersion::parse("1.2.3.4"), None);
    }

    #[test]
    fn rows_date_their_options_but_removals_date_nothing() {
        let row = [
            " `stop_on_error` ",
            " bool, false ",
            " v1.37.0 (PR #17948) ",
        ];
        assert_eq!(
            options_with_release(&row),
            vec![("stop_on_error".to_string(), version("1.37.0"))]
        );
        let row = [
            " `username`, `password`, `token` (v1.39+; `bearer_token` deprecated 1.39) ",
            "",
            " secrets ",
        ];
        assert_eq!(
            options_with_release(&row),
            vec![("token".to_string(), version("1.39.0"))]
        );
        let row = [
            " `response_status_code` ",
            " 0 (off) ",
            " adds a field. Since v1.17 ",
        ];
        assert_eq!(options_with_release(&row)[0].1, version("1.17.0"));
        let row = [
            " `urls` ",
            " x ",
            " The old `address` key was removed in v1.35 ",
        ];
        assert!(options_with_release(&row).is_empty());
    }
}
