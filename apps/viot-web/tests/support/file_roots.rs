//! Editable file roots in a temporary directory for the file editor tests: `base/conf` (root
//! `conf`: yaml, toml, json; with a symlink and a symlinked directory pointing out), `base/targets.csv`
//! (root `healthcheck`, not created) and `base/outside` (in no root), and an admin token.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use viot_web::config::Config;
use viot_web::files::{CsvSchema, FileKind, FileRootConfig, FilesConfig};

pub const SECRET: &str = "secret: hunter2-outside-the-root\n";
pub const APP_YAML: &str = "# the app\na: 1\nlist: [1, 2]\n";

pub struct Setup {
    pub _directory: tempfile::TempDir,
    pub base: PathBuf,
    pub router: Router,
    pub admin: String,
    pub state: viot_web::AppState,
}

/// `base/conf` (root `conf`), `base/targets.csv` (root `healthcheck`), `base/outside` (no root).
pub async fn setup(configure: impl FnOnce(&mut Config)) -> Setup {
    let directory = tempfile::tempdir().unwrap();
    let base = directory.path().canonicalize().unwrap();
    std::fs::create_dir_all(base.join("conf/sub")).unwrap();
    std::fs::create_dir_all(base.join("outside")).unwrap();
    std::fs::write(base.join("conf/app.yaml"), APP_YAML).unwrap();
    std::fs::write(base.join("conf/sub/nested.toml"), "a = 1\n").unwrap();
    std::fs::write(base.join("conf/notes.bin"), "not an editable kind").unwrap();
    std::fs::write(base.join("outside/secret.yaml"), SECRET).unwrap();
    std::os::unix::fs::symlink(
        base.join("outside/secret.yaml"),
        base.join("conf/link.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(base.join("outside"), base.join("conf/linkdir")).unwrap();
    std::os::unix::fs::symlink("../outside/missing.yaml", base.join("conf/dangling.yaml")).unwrap();
    let mut config = Config {
        files: FilesConfig {
            max_file_bytes: 4096,
            roots: vec![
                FileRootConfig {
                    name: "conf".into(),
                    path: base.join("conf"),
                    kinds: vec![FileKind::Yaml, FileKind::Toml, FileKind::Json],
                    csv_schema: CsvSchema::None,
                },
                FileRootConfig {
                    name: "healthcheck".into(),
                    path: base.join("targets.csv"),
                    kinds: vec![FileKind::Csv],
                    csv_schema: CsvSchema::HealthcheckTargets,
                },
            ],
        },
        ..Config::default()
    };
    configure(&mut config);
    let state = super::test_state(directory.path(), config).await;
    let admin = format!(
        "Bearer {}",
        super::token_for(&state.store, "admin", &["admin"]).await
    );
    let router = viot_web::app(state.clone());
    Setup {
        _directory: directory,
        base,
        router,
        admin,
        state,
    }
}

pub async fn call(
    router: &Router,
    method: &str,
    uri: &str,
    authorization: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", authorization)
        .header("content-type", "application/json");
    let body = body.map_or_else(Body::empty, |body| Body::from(body.to_string()));
    let response = router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

pub fn tree(directory: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap().flatten() {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            files.extend(tree(&path));
        } else if entry.file_type().unwrap().is_file() {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    files.sort();
    files
}
