//! Account commands (`detectviz user ...`, `detectviz token ...`) and the first-start bootstrap.
//! Secrets created here are printed once to the terminal, never to the log.

use std::io::BufRead;

use crate::auth::UserRole;
use crate::auth::secrets::random_hex;
use crate::cli::{TokenCommand, UserCommand};
use crate::routes::tokens::{CreateTokenRequest, issue_token};
use crate::routes::users::{CreateUserRequest, create_local_user};

use super::CommandError;

const BOOTSTRAP_ADMIN: &str = "admin";
const BOOTSTRAP_TOKEN_NAME: &str = "telegraf";

/// On a database without users, creates `admin` with a random password, and on one without
/// tokens a `telegraf` token for metric writes; prints both once.
pub async fn bootstrap_first_start(store: &store::Store) -> Result<(), CommandError> {
    if store.users().list().await?.is_empty() {
        let password = random_hex(12);
        let request = CreateUserRequest {
            username: BOOTSTRAP_ADMIN.into(),
            display_name: Some("Administrator".into()),
            password: password.clone(),
            role: UserRole::Admin,
        };
        create_local_user(store, &request)
            .await
            .map_err(|error| CommandError::Account(error.message))?;
        eprintln!(
            "first start: created user `{BOOTSTRAP_ADMIN}` with password {password}\n  (shown once; sign in and change it, or add your own admin with `detectviz user add --admin`)"
        );
    }
    if store.api_tokens().list().await?.is_empty() {
        let request = CreateTokenRequest {
            name: BOOTSTRAP_TOKEN_NAME.into(),
            scopes: vec!["write".into()],
            expires_in_days: None,
        };
        let (token, _) = issue_token(store, &request, "system")
            .await
            .map_err(|error| CommandError::Account(error.message))?;
        eprintln!(
            "first start: created API token `{BOOTSTRAP_TOKEN_NAME}` for metric writes: {token}\n  (shown once; put it in Telegraf's outputs.influxdb_v2 `token`)"
        );
    }
    Ok(())
}

pub async fn run_user_command(
    store: &store::Store,
    command: UserCommand,
) -> Result<(), CommandError> {
    match command {
        UserCommand::Add {
            username,
            admin,
            role,
        } => {
            let role = if admin {
                UserRole::Admin
            } else {
                parse_role(&role)?
            };
            let password = read_new_password()?;
            let request = CreateUserRequest {
                username,
                display_name: None,
                password,
                role,
            };
            let user = create_local_user(store, &request)
                .await
                .map_err(|error| CommandError::Account(error.message))?;
            println!(
                "added user {} ({}) with id {}",
                user.username, user.role, user.id
            );
        }
        UserCommand::List => {
            for user in store.users().list().await? {
                let state = if user.active { "active" } else { "inactive" };
                println!("{}\t{}\t{}\t{state}", user.id, user.username, user.role);
            }
        }
    }
    Ok(())
}

pub async fn run_token_command(
    store: &store::Store,
    command: TokenCommand,
) -> Result<(), CommandError> {
    match command {
        TokenCommand::Create {
            name,
            scopes,
            expires_in_days,
        } => {
            let request = CreateTokenRequest {
                name,
                scopes,
                expires_in_days,
            };
            let (token, stored) = issue_token(store, &request, "cli")
                .await
                .map_err(|error| CommandError::Account(error.message))?;
            println!("{token}");
            eprintln!(
                "token {} (id {}) created with scopes {}; shown only now",
                stored.name,
                stored.id,
                stored.scopes.join(",")
            );
        }
        TokenCommand::List => {
            for token in store.api_tokens().list().await? {
                let state = if token.revoked_at_ms.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}…\t{}\t{state}",
                    token.id,
                    token.name,
                    token.token_prefix,
                    token.scopes.join(",")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            store
                .api_tokens()
                .revoke(id, chrono::Utc::now().timestamp_millis())
                .await?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}

fn parse_role(text: &str) -> Result<UserRole, CommandError> {
    UserRole::parse(text).ok_or_else(|| {
        CommandError::Account(format!("--role: {text:?} is not viewer, operator or admin"))
    })
}

fn read_new_password() -> Result<String, CommandError> {
    if let Ok(password) = std::env::var("DETECTVIZ_NEW_PASSWORD") {
        return Ok(password);
    }
    eprintln!("password for the new user (one line):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| {
            CommandError::Account(format!("cannot read the password from stdin: {error}"))
        })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
