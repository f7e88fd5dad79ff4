//! One compiled minijinja environment per (web directory, language, time zone), kept between
//! requests. Each environment remembers the files it read (message catalogue and templates)
//! with their modification time and size; when any of them changes on disk the environment
//! is rebuilt on the next request, so template and message edits still show without a
//! restart while an unchanged page is not parsed again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use minijinja::Environment;

use super::ConsoleError;
use super::i18n::{Catalogue, format_time};

/// What a file looked like when it was read: modification time and length.
type FileStamp = Option<(SystemTime, u64)>;

/// The files an environment has read, each with its stamp at reading time.
type ReadFiles = Arc<Mutex<Vec<(PathBuf, FileStamp)>>>;

struct CachedEnvironment {
    environment: Arc<Environment<'static>>,
    read_files: ReadFiles,
}

type CacheKey = (PathBuf, String, String);

static ENVIRONMENTS: LazyLock<Mutex<HashMap<CacheKey, CachedEnvironment>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn stamp(path: &Path) -> FileStamp {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

fn unchanged(read_files: &ReadFiles) -> bool {
    let files = read_files
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    files.iter().all(|(path, seen)| stamp(path) == *seen)
}

/// The environment for `language` and `time_zone`, rebuilt when a file it read has changed.
pub fn environment_for(
    web_dir: &Path,
    language: &str,
    time_zone: chrono_tz::Tz,
) -> Result<Arc<Environment<'static>>, ConsoleError> {
    let key = (
        web_dir.to_path_buf(),
        language.to_string(),
        time_zone.name().to_string(),
    );
    let mut environments = ENVIRONMENTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(cached) = environments.get(&key)
        && unchanged(&cached.read_files)
    {
        return Ok(Arc::clone(&cached.environment));
    }
    let cached = build(web_dir, language, time_zone)?;
    let environment = Arc::clone(&cached.environment);
    environments.insert(key, cached);
    Ok(environment)
}

fn build(
    web_dir: &Path,
    language: &str,
    time_zone: chrono_tz::Tz,
) -> Result<CachedEnvironment, ConsoleError> {
    let catalogue_path = web_dir.join("i18n").join(format!("{language}.yaml"));
    let catalogue_stamp = stamp(&catalogue_path);
    let catalogue = Catalogue::load(web_dir, language)?;
    let read_files: ReadFiles = Arc::new(Mutex::new(vec![(catalogue_path, catalogue_stamp)]));

    let mut environment = Environment::new();
    let path_loader = minijinja::path_loader(web_dir);
    let loader_web_dir = web_dir.to_path_buf();
    let loader_read_files = Arc::clone(&read_files);
    environment.set_loader(move |name| {
        let path = loader_web_dir.join(name);
        let seen = stamp(&path);
        let source = path_loader(name)?;
        if source.is_some() {
            loader_read_files
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push((path, seen));
        }
        Ok(source)
    });
    environment.add_function("t", move |key: &str| catalogue.text(key));
    environment.add_filter("time", move |unix_ms: Option<i64>| {
        format_time(unix_ms, time_zone)
    });
    environment.add_filter("number", format_number);
    Ok(CachedEnvironment {
        environment: Arc::new(environment),
        read_files,
    })
}

/// Whole numbers without decimals, others with at most three.
fn format_number(value: Option<f64>) -> String {
    match value {
        Some(value) if value.fract() == 0.0 && value.abs() < 1e15 => format!("{value:.0}"),
        Some(value) => format!("{value:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_template_is_reloaded_and_an_unchanged_one_is_reused() {
        let directory = tempfile::tempdir().unwrap();
        let web_dir = directory.path();
        std::fs::create_dir_all(web_dir.join("i18n")).unwrap();
        std::fs::write(web_dir.join("i18n/en.yaml"), "greeting: Hello\n").unwrap();
        std::fs::write(web_dir.join("page.html"), "{{ t('greeting') }} one").unwrap();
        let zone = chrono_tz::UTC;

        let first = environment_for(web_dir, "en", zone).unwrap();
        let rendered = first.get_template("page.html").unwrap().render(()).unwrap();
        assert_eq!(rendered, "Hello one");
        let again = environment_for(web_dir, "en", zone).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "an unchanged page was rebuilt");

        std::fs::write(web_dir.join("page.html"), "{{ t('greeting') }} two, edited").unwrap();
        let edited = environment_for(web_dir, "en", zone).unwrap();
        let rendered = edited
            .get_template("page.html")
            .unwrap()
            .render(())
            .unwrap();
        assert_eq!(rendered, "Hello two, edited");

        std::fs::write(web_dir.join("i18n/en.yaml"), "greeting: Good morning\n").unwrap();
        let relabelled = environment_for(web_dir, "en", zone).unwrap();
        let rendered = relabelled
            .get_template("page.html")
            .unwrap()
            .render(())
            .unwrap();
        assert_eq!(rendered, "Good morning two, edited");
    }
}
