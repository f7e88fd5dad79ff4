//! Process roles: which modules a `detectviz` process runs.

use serde::{Deserialize, Serialize};

/// The role a node plays (`--role`). `All` runs every module on one machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    All,
    /// Ingest, autodeploy and healthcheck.
    Monitor,
    /// Rule evaluation and anomaly calls.
    Analyzer,
    /// Notifier, automation and the web console.
    Control,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Monitor => "monitor",
            Role::Analyzer => "analyzer",
            Role::Control => "control",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}
