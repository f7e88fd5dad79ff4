//! The Telegraf option reference, read from the shared reference folder
//! (`reference/telegraf/README.md` and `reference/telegraf/samples/*.conf`): for every plugin
//! section (`inputs.snmp`, `inputs.snmp.field`, `inputs.modbus.request.fields`, ...) the
//! documented option names and, where a sample shows a value, the option's TOML type.
//!
//! Options come from three places: keys in the samples (set or commented out with one `#`),
//! backticked keys in the README's per-plugin option tables, and the README's lists of common
//! input and output options.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::AutodeployError;
pub use crate::reference_version::TelegrafVersion;
use crate::reference_version::options_with_release;

/// Environment variable naming the shared folder (the one holding `reference/`).
pub const SHARED_DIRECTORY_VARIABLE: &str = "DETECTVIZ_SHARED_DIR";

/// The TOML type of an option, as far as the reference shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    String,
    Integer,
    Float,
    Boolean,
    Array,
    Table,
    /// The reference names the option but shows no single-line value.
    Unknown,
}

impl OptionKind {
    pub fn of_value(value: &toml::Value) -> OptionKind {
        match value {
            toml::Value::String(_) => OptionKind::String,
            toml::Value::Integer(_) => OptionKind::Integer,
            toml::Value::Float(_) => OptionKind::Float,
            toml::Value::Boolean(_) => OptionKind::Boolean,
            toml::Value::Array(_) => OptionKind::Array,
            toml::Value::Table(_) => OptionKind::Table,
            toml::Value::Datetime(_) => OptionKind::Unknown,
        }
    }

    /// Whether a value of kind `actual` fits an option documented as `self`.
    pub fn accepts(self, actual: OptionKind) -> bool {
        self == OptionKind::Unknown
            || self == actual
            || (self == OptionKind::Float && actual == OptionKind::Integer)
    }
}

/// Documented options per plugin section.
#[derive(Debug, Clone, Default)]
pub struct TelegrafReference {
    sections: BTreeMap<String, BTreeMap<String, OptionKind>>,
    common_input_options: BTreeSet<String>,
    common_output_options: BTreeSet<String>,
    sample_files: Vec<PathBuf>,
    /// `(section, option)` → the first Telegraf release that has it, where the README says.
    option_since: BTreeMap<(String, String), TelegrafVersion>,
    /// The Telegraf version files are checked for; `None`: every documented option is fine.
    installed_version: Option<TelegrafVersion>,
}

impl TelegrafReference {
    /// The shared folder: `$DETECTVIZ_SHARED_DIR`, else `fallback`.
    pub fn shared_directory(fallback: &Path) -> PathBuf {
        std::env::var_os(SHARED_DIRECTORY_VARIABLE)
            .map(PathBuf::from)
            .unwrap_or_else(|| fallback.to_path_buf())
    }

    /// Read `<shared>/reference/telegraf/README.md` and every `samples/*.conf`.
    pub fn load(shared_directory: &Path) -> Result<TelegrafReference, AutodeployError> {
        TelegrafReference::load_from(&shared_directory.join("reference").join("telegraf"))
    }

    /// Read `<telegraf_directory>/README.md` and every `<telegraf_directory>/samples/*.conf`.
    pub fn load_from(telegraf_directory: &Path) -> Result<TelegrafReference, AutodeployError> {
        let reference_error = |path: &Path, reason: String| AutodeployError::Reference {
            path: path.to_path_buf(),
            reason,
        };
        let readme_path = telegraf_directory.join("README.md");
        let readme = std::fs::read_to_string(&readme_path).map_err(|error| {
            reference_error(
                &readme_path,
                format!("cannot read the option list: {error}"),
            )
        })?;
        let samples_directory = telegraf_directory.join("samples");
        let entries = std::fs::read_dir(&samples_directory).map_err(|error| {
            reference_error(
                &samples_directory,
                format!("cannot list sample configs: {error}"),
            )
        })?;
        let mut sample_files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "conf")
            })
            .collect();
        sample_files.sort();
        if sample_files.is_empty() {
            return Err(reference_error(
                &samples_directory,
                "holds no *.conf sample configs".into(),
            ));
        }
        let mut reference = TelegrafReference::default();
        for sample_file in &sample_files {
            let text = std::fs::read_to_string(sample_file)
                .map_err(|error| reference_error(sample_file, format!("cannot read: {error}")))?;
            reference.learn_from_sample(&text);
        }
        reference.learn_from_readme(&readme);
        reference.sample_files = sample_files;
        Ok(reference)
    }

    /// Check options against this Telegraf version from now on.
    pub fn set_installed_version(&mut self, version: Option<TelegrafVersion>) {
        self.installed_version = version;
    }

    pub fn installed_version(&self) -> Option<TelegrafVersion> {
        self.installed_version
    }

    /// The release that introduced `option` of `section`, when the README names one.
    pub fn option_since(&self, section: &str, option: &str) -> Option<TelegrafVersion> {
        self.option_since
            .get(&(section.to_string(), option.to_string()))
            .copied()
    }

    /// The release `option` needs when it is newer than the installed version.
    pub fn option_too_new(&self, section: &str, option: &str) -> Option<TelegrafVersion> {
        let installed = self.installed_version?;
        self.option_since(section, option)
            .filter(|since| *since > installed)
    }

    pub fn sample_files(&self) -> &[PathBuf] {
        &self.sample_files
    }

    /// Options of a section such as `inputs.snmp` or `inputs.snmp.table.field`.
    pub fn section_options(&self, section: &str) -> Option<&BTreeMap<String, OptionKind>> {
        self.sections.get(section)
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.sections.contains_key(section)
    }

    /// The kind of `option` in `section`, including common plugin options for plugin-level
    /// sections (`inputs.X`, `outputs.X`); `None` when the option is not documented.
    pub fn option_kind(&self, section: &str, option: &str) -> Option<OptionKind> {
        if let Some(kind) = self
            .sections
            .get(section)
            .and_then(|options| options.get(option))
        {
            return Some(*kind);
        }
        let depth = section.split('.').count();
        let common = match section.split('.').next() {
            Some("inputs") if depth == 2 => &self.common_input_options,
            Some("outputs") if depth == 2 => &self.common_output_options,
            _ => return None,
        };
        common.contains(option).then_some(OptionKind::Unknown)
    }

    fn record(&mut self, section: &str, option: &str, kind: OptionKind) {
        let options = self.sections.entry(section.to_string()).or_default();
        options
            .entry(option.to_string())
            .and_modify(|known| {
                if *known != kind && kind != OptionKind::Unknown {
                    *known = if *known == OptionKind::Unknown {
                        kind
                    } else {
                        OptionKind::Unknown
                    };
                }
            })
            .or_insert(kind);
    }

    fn learn_from_sample(&mut self, text: &str) {
        let mut section = String::new();
        let mut open_array_key: Option<String> = None;
        for raw_line in text.lines() {
            let trimmed = raw_line.trim();
            if trimmed.starts_with("##") {
                continue;
            }
            let line = trimmed.trim_start_matches('#').trim();
            if let Some(header) = section_header(line) {
                section = header;
                self.sections.entry(section.clone()).or_default();
                open_array_key = None;
                continue;
            }
            if section.is_empty() {
                continue;
            }
            if line.starts_with('{') {
                if let Some(array_key) = &open_array_key {
                    let element_section = format!("{section}.{array_key}");
                    self.learn_inline_table(&element_section, line);
                }
                continue;
            }
            let Some((key, value_text)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if !is_option_name(key) {
                continue;
            }
            let value_text = value_text.trim();
            match toml::from_str::<toml::Table>(&format!("value = {value_text}")) {
                Ok(table) => {
                    let value = &table["value"];
                    self.record(&section, key, OptionKind::of_value(value));
                    if let toml::Value::Array(elements) = value {
                        for element in elements {
                            if let toml::Value::Table(element_table) = element {
                                for (element_key, element_value) in element_table {
                                    let element_section = format!("{section}.{key}");
                                    self.record(
                                        &element_section,
                                        element_key,
                                        OptionKind::of_value(element_value),
                                    );
                                }
                            }
                        }
                    }
                    open_array_key = None;
                }
                Err(_) => {
                    let kind = if value_text.starts_with('[') {
                        OptionKind::Array
                    } else {
                        OptionKind::Unknown
                    };
                    self.record(&section, key, kind);
                    open_array_key = value_text.starts_with('[').then(|| key.to_string());
                }
            }
        }
    }

    fn learn_inline_table(&mut self, section: &str, line: &str) {
        let Some(end) = line.rfind('}') else {
            return;
        };
        match toml::from_str::<toml::Table>(&format!("value = {}", &line[..=end])) {
            Ok(table) => {
                if let Some(toml::Value::Table(element)) = table.get("value") {
                    for (key, value) in element {
                        self.record(section, key, OptionKind::of_value(value));
                    }
                }
            }
            Err(_) => {
                for piece in line[..end].split(['{', ',']) {
                    if let Some((key, _)) = piece.split_once('=')
                        && is_option_name(key.trim())
                    {
                        self.record(section, key.trim(), OptionKind::Unknown);
                    }
                }
            }
        }
    }

    fn learn_from_readme(&mut self, readme: &str) {
        self.common_input_options = bullet_option_names(readme, "* **Common input options**");
        self.common_output_options = bullet_option_names(readme, "* **Common output options**");
        let mut plugin: Option<String> = None;
        for line in readme.lines() {
            if line.starts_with("## ") {
                plugin = line
                    .split_whitespace()
                    .find(|word| word.starts_with("inputs.") || word.starts_with("outputs."))
                    .map(str::to_string);
                continue;
            }
            let Some(plugin) = &plugin else { continue };
            if !line.starts_with('|') || line.starts_with("|---") {
                continue;
            }
            let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
            let first_cell = cells.first().copied().unwrap_or_default();
            if let Some(subsection) = backticked_tokens(first_cell)
                .into_iter()
                .find_map(|token| section_header(&token))
            {
                self.sections.entry(subsection.clone()).or_default();
                for option in
                    option_names_outside_parentheses(cells.get(1).copied().unwrap_or_default())
                {
                    self.record(&subsection, &option, OptionKind::Unknown);
                }
                continue;
            }
            if first_cell.trim() == "key" {
                continue;
            }
            for option in option_names_outside_parentheses(first_cell) {
                self.record(plugin, &option, OptionKind::Unknown);
            }
            for (option, since) in options_with_release(&cells) {
                self.option_since.insert((plugin.clone(), option), since);
            }
        }
    }
}

/// `[[inputs.snmp.field]]` or `[inputs.modbus.rs485]` → the dotted section name.
fn section_header(line: &str) -> Option<String> {
    let inner = line
        .strip_prefix("[[")
        .and_then(|rest| rest.strip_suffix("]]"));
    let inner = inner.or_else(|| {
        line.strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
    })?;
    let inner = inner.trim();
    let is_plugin_section = (inner.starts_with("inputs.") || inner.starts_with("outputs."))
        && inner.split('.').all(is_option_name);
    is_plugin_section.then(|| inner.to_string())
}

fn is_option_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '_')
}

fn backticked_tokens(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Backticked option names outside parentheses; `a/b` lists are split.
pub(crate) fn option_names_outside_parentheses(text: &str) -> Vec<String> {
    let mut outside = String::new();
    let mut depth = 0usize;
    for character in text.chars() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => outside.push(character),
            _ => {}
        }
    }
    backticked_tokens(&outside)
        .iter()
        .flat_map(|token| expand_slash_list(token))
        .filter(|token| {
            is_option_name(token)
                && token
                    .chars()
                    .any(|character| character.is_ascii_lowercase())
        })
        .collect()
}

/// `namepass/namedrop` → both names; `cookie_auth_url/method/body` → `cookie_auth_url`,
/// `cookie_auth_method`, `cookie_auth_body` (later parts without `_` share the first part's
/// prefix up to its last `_`).
fn expand_slash_list(token: &str) -> Vec<String> {
    let mut parts = token.split('/');
    let Some(first) = parts.next() else {
        return Vec::new();
    };
    let shared_prefix = first
        .rfind('_')
        .map(|position| &first[..=position])
        .unwrap_or_default();
    std::iter::once(first.to_string())
        .chain(parts.map(|part| {
            if part.contains('_') {
                part.to_string()
            } else {
                format!("{shared_prefix}{part}")
            }
        }))
        .collect()
}

/// Option names in the README bullet starting with `marker`, up to the next bullet. Values
/// such as `error`|`retry` (joined by `|`) or followed by `since` are not option names.
fn bullet_option_names(readme: &str, marker: &str) -> BTreeSet<String> {
    let Some(start) = readme.find(marker) else {
        return BTreeSet::new();
    };
    let rest = &readme[start + marker.len()..];
    let end = rest.find("\n* ").unwrap_or(rest.len());
    let bullet = &rest[..end];
    let pieces: Vec<&str> = bullet.split('`').collect();
    let mut names = BTreeSet::new();
    for index in (1..pieces.len()).step_by(2) {
        let before = pieces[index - 1];
        let after = pieces.get(index + 1).copied().unwrap_or_default();
        if before.ends_with('|')
            || after.starts_with('|')
            || after.trim_start().starts_with("since")
        {
            continue;
        }
        for token in expand_slash_list(pieces[index]) {
            if is_option_name(&token) {
                names.insert(token);
            }
        }
    }
    names
}
