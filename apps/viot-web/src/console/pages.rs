//! `conf/pages.yaml` (the page list) and each page's `web/pages/<name>/page.yaml`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ConsoleError, read_yaml};
use crate::auth::UserRole;

/// `conf/pages.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageList {
    /// Sidebar groups in display order: id → title per language.
    #[serde(default)]
    pub groups: Vec<PageGroup>,
    pub pages: Vec<PageEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageGroup {
    pub id: String,
    pub title: BTreeMap<String, String>,
}

/// One page in the sidebar.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageEntry {
    /// Folder under `web/pages/` and the URL `/pages/<name>`.
    pub name: String,
    pub group: String,
    pub order: i32,
    /// A Bootstrap Icons name such as `speedometer2`.
    pub icon: String,
    /// Title per language (`zh-TW`, `en`).
    pub title: BTreeMap<String, String>,
    /// The smallest role that sees and opens the page.
    pub role: UserRole,
}

impl PageEntry {
    pub fn title_in(&self, language: &str) -> &str {
        self.title
            .get(language)
            .or_else(|| self.title.get("en"))
            .map(String::as_str)
            .unwrap_or(&self.name)
    }
}

impl PageList {
    pub fn load(path: &Path) -> Result<PageList, ConsoleError> {
        let mut list: PageList = read_yaml(path)?;
        for page in &list.pages {
            let valid_name = !page.name.is_empty()
                && page
                    .name
                    .chars()
                    .all(|character| character.is_ascii_lowercase() || character == '-');
            if !valid_name {
                return Err(ConsoleError::Parse {
                    path: path.display().to_string(),
                    reason: format!(
                        "page name {:?}: use lowercase letters and dashes",
                        page.name
                    ),
                });
            }
        }
        list.pages.sort_by_key(|page| page.order);
        Ok(list)
    }

    pub fn find(&self, name: &str) -> Option<&PageEntry> {
        self.pages.iter().find(|page| page.name == name)
    }

    /// The sidebar for `role` in `language`: groups in order, each with the pages it may open.
    pub fn sidebar(&self, role: UserRole, language: &str) -> Vec<serde_json::Value> {
        self.groups
            .iter()
            .filter_map(|group| {
                let pages: Vec<serde_json::Value> = self
                    .pages
                    .iter()
                    .filter(|page| page.group == group.id && role >= page.role)
                    .map(|page| {
                        serde_json::json!({
                            "name": page.name, "icon": page.icon,
                            "title": page.title_in(language),
                        })
                    })
                    .collect();
                if pages.is_empty() {
                    return None;
                }
                let title = group.title.get(language).unwrap_or(&group.id);
                Some(serde_json::json!({"id": group.id, "title": title, "pages": pages}))
            })
            .collect()
    }
}

/// `web/pages/<name>/page.yaml`: what a page shows and what it lets the user do.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSpec {
    /// Where rows come from (see `console::data`): `alerts`, `audit`, `summary`, `none`.
    #[serde(default)]
    pub data_source: String,
    /// Table columns: field and message key of the header.
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    /// Filter fields shown above the table.
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    /// Row actions, each with the smallest role that sees it.
    #[serde(default)]
    pub actions: Vec<ActionSpec>,
    /// Tabs of the page (e.g. record-status: alerts, audit).
    #[serde(default)]
    pub tabs: Vec<TabSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub field: String,
    pub label: String,
    #[serde(default)]
    pub editor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    pub name: String,
    pub label: String,
    pub role: UserRole,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TabSpec {
    pub name: String,
    pub label: String,
    pub component: String,
}

impl PageSpec {
    pub fn load(web_dir: &Path, name: &str) -> Result<PageSpec, ConsoleError> {
        read_yaml(&web_dir.join("pages").join(name).join("page.yaml"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn the_shipped_pages_load_and_the_sidebar_follows_the_role() {
        let list = PageList::load(&repository().join("conf/pages.yaml")).unwrap();
        for page in &list.pages {
            PageSpec::load(&repository().join("web"), &page.name)
                .unwrap_or_else(|error| panic!("{}: {error}", page.name));
            assert!(page.title.contains_key("zh-TW") && page.title.contains_key("en"));
        }
        let names = |role| -> Vec<String> {
            list.sidebar(role, "en")
                .iter()
                .flat_map(|group| group["pages"].as_array().unwrap().clone())
                .map(|page| page["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names(UserRole::Viewer),
            ["home", "grid-status", "record-status"]
        );
        let operator = names(UserRole::Operator);
        for page in ["task-runner", "log-viewer", "file-editor"] {
            assert!(operator.contains(&page.to_string()), "{page}");
        }
        assert!(!operator.contains(&"table-config".to_string()));
        let mut every_page: Vec<String> = list.pages.iter().map(|page| page.name.clone()).collect();
        let mut admin = names(UserRole::Admin);
        every_page.sort();
        admin.sort();
        assert_eq!(admin, every_page, "an admin sees every page");
        assert_eq!(list.sidebar(UserRole::Viewer, "zh-TW")[0]["title"], "監控");
    }

    #[test]
    fn a_bad_page_name_is_refused_with_the_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("pages.yaml");
        std::fs::write(
            &path,
            "pages:\n  - {name: ../etc, group: g, order: 1, icon: x, title: {en: X}, role: viewer}\n",
        )
        .unwrap();
        let error = PageList::load(&path).unwrap_err().to_string();
        assert!(
            error.contains("pages.yaml") && error.contains("../etc"),
            "{error}"
        );
    }
}
