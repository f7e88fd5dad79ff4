//! The real OpenID provider for the OIDC tests (`tests/peers/oidc/provider.mjs`, npm
//! `oidc-provider` installed by `scripts/install-test-deps.sh`), and a small browser: a
//! client that follows redirects one by one, keeps cookies and fills the provider's login form.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const CLIENT_ID: &str = "detectviz";
pub const CLIENT_SECRET: &str = "test-client-secret-9f1c";

fn peer_directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oidc")
}

/// A running provider; killed when dropped.
pub struct OidcPeer {
    child: Child,
    pub issuer: String,
    http: reqwest::Client,
}

impl OidcPeer {
    /// Starts the provider for a Detectviz reachable at `app_base_url`; its access tokens live
    /// `access_token_ttl_s` seconds.
    pub fn start(app_base_url: &str, access_token_ttl_s: u64) -> OidcPeer {
        let directory = peer_directory();
        assert!(
            directory.join("node_modules/oidc-provider").is_dir(),
            "run scripts/install-test-deps.sh first (npm ci in {})",
            directory.display()
        );
        let port = super::spare_port();
        let mut child = Command::new("node")
            .arg(directory.join("provider.mjs"))
            .args([
                port.to_string(),
                CLIENT_ID.to_string(),
                CLIENT_SECRET.to_string(),
                format!("{app_base_url}/auth/oidc/callback"),
                format!("{app_base_url}/login"),
            ])
            .env("OIDC_ACCESS_TOKEN_TTL", access_token_ttl_s.to_string())
            .current_dir(&directory)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts the OpenID provider");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).unwrap();
        // Keep reading: the provider's notices would otherwise hit a closed pipe and kill it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer = first_line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("provider did not start: {first_line:?}"))
            .to_string();
        OidcPeer {
            child,
            issuer,
            http: reqwest::Client::new(),
        }
    }

    /// The next token response carries a doctored ID token (see provider.mjs).
    pub async fn tamper_next_id_token(&self, mode: &str) {
        let url = format!("{}/__test/tamper?mode={mode}", self.issuer);
        assert!(
            self.http
                .post(url)
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }

    /// A new signing key; the old one leaves the JWKS. Returns the new key id.
    pub async fn rotate_signing_key(&self) -> String {
        let url = format!("{}/__test/rotate", self.issuer);
        let answer: serde_json::Value = self
            .http
            .post(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["kid"].as_str().unwrap().to_string()
    }

    /// Counts: refresh_grants, jwks_requests, logouts, tokens.
    pub async fn stats(&self) -> serde_json::Value {
        let url = format!("{}/__test/stats", self.issuer);
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for OidcPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser: cookies by name (both servers are on 127.0.0.1, as a browser would share them
/// across ports), redirects followed by the test.
pub struct Browser {
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }
}

/// Where a sign-in ended up.
pub enum Arrival {
    /// The provider sent the browser to this Detectviz callback URL (not yet opened).
    Callback(String),
    /// Something else answered: status and body.
    Stopped(u16, String),
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for set_cookie in response.headers().get_all("set-cookie") {
            let text = set_cookie.to_str().unwrap();
            let first = text.split(';').next().unwrap();
            let Some((name, value)) = first.split_once('=') else {
                continue;
            };
            let expired = text.to_ascii_lowercase().contains("max-age=0")
                || text
                    .to_ascii_lowercase()
                    .contains("expires=thu, 01 jan 1970");
            if expired || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.to_string());
            }
        }
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let response = self
            .http
            .get(url)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .http
            .post(url)
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    /// A JSON call to Detectviz with this browser's cookies and `csrf_token`.
    pub async fn call(
        &mut self,
        method: reqwest::Method,
        url: &str,
        csrf_token: &str,
    ) -> reqwest::Response {
        let response = self
            .http
            .request(method, url)
            .header("cookie", self.cookie_header())
            .header("x-csrf-token", csrf_token)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    /// Opens `start_url` and follows redirects; fills the provider's login form with `login`
    /// when it shows; stops before opening Detectviz's callback. `login_form_shown` tells
    /// whether the provider asked (it does not while its session lives).
    pub async fn follow_to_callback(&mut self, start_url: &str, login: &str) -> (Arrival, bool) {
        let mut url = start_url.to_string();
        let mut login_form_shown = false;
        for _ in 0..12 {
            if url.contains("/auth/oidc/callback") {
                return (Arrival::Callback(url), login_form_shown);
            }
            let response = self.get(&url).await;
            let status = response.status();
            if status.is_redirection() {
                url = absolute(&url, response.headers()["location"].to_str().unwrap());
                continue;
            }
            let body = response.text().await.unwrap();
            let Some(action) = form_action(&body).filter(|action| action.contains("/login")) else {
                return (Arrival::Stopped(status.as_u16(), body), login_form_shown);
            };
            login_form_shown = true;
            let response = self
                .post_form(&absolute(&url, &action), &[("login", login)])
                .await;
            assert!(
                response.status().is_redirection(),
                "login form post: {}",
                response.status()
            );
            url = absolute(&url, response.headers()["location"].to_str().unwrap());
        }
        panic!("too many redirects from {start_url}");
    }
}

/// `location` resolved against `current`.
pub fn absolute(current: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let origin_end = current[8..]
        .find('/')
        .map(|index| index + 8)
        .unwrap_or(current.len());
    format!("{}{location}", &current[..origin_end])
}

/// The `action` of the first form in `html`.
pub fn form_action(html: &str) -> Option<String> {
    let start = html.find("action=\"")? + "action=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

/// `name="<name>" value="<value>"` of a hidden input in `html`.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value_start = tag.find("value=\"")? + "value=\"".len();
    let value_end = tag[value_start..].find('"')? + value_start;
    Some(tag[value_start..value_end].to_string())
}
