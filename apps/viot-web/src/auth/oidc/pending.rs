//! Started sign-ins, kept server-side until the provider sends the browser back: the state
//! (the key), the nonce, the PKCE verifier and where to go afterwards. Each is taken once: a
//! replayed callback finds nothing. Entries expire after `login_timeout_s`, and at most
//! [`MAX_PENDING_LOGINS`] are kept (the oldest go first), so anonymous callers cannot grow
//! memory without bound.
//!
//! Kept in memory: one node. Behind a load balancer, route `/auth/oidc/*` to one node (or use
//! sticky sessions) until this moves to the store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most sign-ins in progress at once.
pub const MAX_PENDING_LOGINS: usize = 10_000;

/// What the callback needs to finish one sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    pub nonce: String,
    pub pkce_verifier: String,
    /// The `redirect_uri` sent in the authorization request (the token request repeats it).
    pub redirect_uri: String,
    /// A local path to open after sign-in.
    pub return_to: String,
}

#[derive(Default)]
pub struct PendingLogins {
    by_state: Mutex<HashMap<String, (Instant, PendingLogin)>>,
}

impl PendingLogins {
    /// Remembers a sign-in under `state` until `now + timeout`.
    pub fn insert(&self, state: String, login: PendingLogin, now: Instant, timeout: Duration) {
        let mut by_state = self.by_state.lock().expect("pending logins lock");
        by_state.retain(|_, (expires_at, _)| *expires_at > now);
        while by_state.len() >= MAX_PENDING_LOGINS {
            let oldest = by_state
                .iter()
                .min_by_key(|(_, (expires_at, _))| *expires_at)
                .map(|(state, _)| state.clone());
            match oldest {
                Some(oldest) => by_state.remove(&oldest),
                None => break,
            };
        }
        by_state.insert(state, (now + timeout, login));
    }

    /// The sign-in started under `state`, removed so it cannot be used again; `None` when
    /// unknown, already taken or expired at `now`.
    pub fn take(&self, state: &str, now: Instant) -> Option<PendingLogin> {
        let mut by_state = self.by_state.lock().expect("pending logins lock");
        let (expires_at, login) = by_state.remove(state)?;
        (expires_at > now).then_some(login)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(nonce: &str) -> PendingLogin {
        PendingLogin {
            nonce: nonce.into(),
            pkce_verifier: "verifier".into(),
            redirect_uri: "http://localhost/auth/oidc/callback".into(),
            return_to: "/pages/home".into(),
        }
    }

    #[test]
    fn a_state_is_taken_once() {
        let logins = PendingLogins::default();
        let now = Instant::now();
        logins.insert("s1".into(), login("n1"), now, Duration::from_secs(60));
        assert_eq!(
            logins.take("s1", now).map(|login| login.nonce),
            Some("n1".into())
        );
        assert_eq!(logins.take("s1", now), None);
        assert_eq!(logins.take("never-issued", now), None);
    }

    #[test]
    fn an_expired_state_is_refused() {
        let logins = PendingLogins::default();
        let now = Instant::now();
        logins.insert("s1".into(), login("n1"), now, Duration::from_secs(60));
        assert_eq!(logins.take("s1", now + Duration::from_secs(61)), None);
    }
}
