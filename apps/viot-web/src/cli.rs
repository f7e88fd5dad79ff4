//! The command line: `detectviz [--config FILE] [--node-role ROLE] <command>`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use detectviz::Role;

#[derive(Debug, Parser)]
#[command(
    name = "detectviz",
    version,
    about = "Detectviz: monitoring, alerting and automation for industrial and mixed sites"
)]
pub struct Cli {
    /// The configuration file.
    #[arg(long, global = true, default_value = "conf/detectviz.conf")]
    pub config: PathBuf,
    /// Which modules this process runs; overrides `node.role` in the file. (Named
    /// `--node-role` so it never clashes with `user add --role`.)
    #[arg(id = "node_role", long = "node-role", global = true, value_enum)]
    pub role: Option<RoleArgument>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server (API, console, every module of the role).
    Serve {
        /// HOST:PORT to listen on; overrides `server.listen`.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Validate the configuration file and exit (1 when invalid).
    CheckConfig,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the version.
    Version,
    /// Print the commented default configuration.
    ConfigTemplate,
    /// Event bus state: streams, groups, pending entries, lag.
    #[command(subcommand)]
    Bus(BusCommand),
    /// Print the entries of a stream from an entry id or a time, oldest first, one JSON per line.
    Replay {
        #[arg(long)]
        stream: String,
        /// An entry id (`1732500000000-0`) or an RFC 3339 time (`2026-11-25T08:00:00+08:00`).
        #[arg(long)]
        from: String,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Manage local console users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens (Telegraf writes, scripts).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Notification channels: send a sample alert through one.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Discover devices over SNMP (and Modbus TCP) in CIDR ranges; records them unless --dry-run.
    Scan(crate::commands::scan::ScanArguments),
    /// Deploy Telegraf files for stored devices and health-check targets (--dry-run: the diff).
    Deploy(crate::commands::deploy::DeployArguments),
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a sample alert group through a configured channel and print the outcome.
    Test {
        /// The channel's name in `[[notifier.channels]]`.
        #[arg(long)]
        channel: String,
        /// Send the sample as resolved instead of firing.
        #[arg(long)]
        resolved: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BusCommand {
    /// Length, groups, consumers, pending entries and lag of every stream (or one).
    Info {
        #[arg(long)]
        stream: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The dead letters of a stream: entries no consumer could handle, with the last error.
    DeadLetters {
        #[arg(long)]
        stream: String,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a local user. The password is read from DETECTVIZ_NEW_PASSWORD or the first line of stdin.
    Add {
        #[arg(long)]
        username: String,
        /// Make the user an administrator (same as --role admin).
        #[arg(long)]
        admin: bool,
        /// viewer, operator or admin.
        #[arg(long, default_value = "viewer")]
        role: String,
    },
    /// List local users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once.
    Create {
        #[arg(long)]
        name: String,
        /// write (metric ingest), read, admin; repeat or separate with commas.
        #[arg(long = "scope", value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArgument {
    All,
    Monitor,
    Analyzer,
    Control,
}

impl From<RoleArgument> for Role {
    fn from(argument: RoleArgument) -> Role {
        match argument {
            RoleArgument::All => Role::All,
            RoleArgument::Monitor => Role::Monitor,
            RoleArgument::Analyzer => Role::Analyzer,
            RoleArgument::Control => Role::Control,
        }
    }
}
