//! The forwarder against a real InfluxDB 1.x (Debian's `influxd`, started by each test).

mod influxd;

use std::time::{Duration, Instant};

use ingest::{FieldValue, InfluxForwarder, InfluxForwarderConfig, Point};
use serde_json::Value;

use influxd::InfluxdServer;

const DATABASE: &str = "detectviz_forward_test";

fn point(
    measurement: &str,
    tags: &[(&str, &str)],
    fields: Vec<(&str, FieldValue)>,
    timestamp_ns: i64,
) -> Point {
    Point {
        measurement: measurement.into(),
        tags: tags
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
        fields: fields
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
        timestamp_ns,
    }
}

fn fast_config(url: String) -> InfluxForwarderConfig {
    InfluxForwarderConfig {
        batch_size: 2,
        flush_interval: Duration::from_millis(50),
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        request_timeout: Duration::from_secs(5),
        ..InfluxForwarderConfig::new(url, DATABASE)
    }
}

/// Rows of `SELECT * FROM "<measurement>"` as column-name → value maps, oldest first.
async fn rows(
    server: &InfluxdServer,
    measurement: &str,
) -> anyhow::Result<Vec<serde_json::Map<String, Value>>> {
    let statement = format!("SELECT * FROM \"{measurement}\"");
    let answer = server.query(Some(DATABASE), &statement).await?;
    let Some(series) = answer["results"][0]["series"].get(0) else {
        return Ok(Vec::new());
    };
    let columns: Vec<String> = serde_json::from_value(series["columns"].clone())?;
    let values: Vec<Vec<Value>> = serde_json::from_value(series["values"].clone())?;
    Ok(values
        .into_iter()
        .map(|row| columns.iter().cloned().zip(row).collect())
        .collect())
}

async fn wait_for(mut condition: impl FnMut() -> bool, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    condition()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_points_with_every_type_and_escape_can_be_queried_back() -> anyhow::Result<()> {
    let directory = tempfile::tempdir()?;
    let server = InfluxdServer::start(directory.path()).await?;
    server
        .query(None, &format!("CREATE DATABASE {DATABASE}"))
        .await?;

    let forwarder = InfluxForwarder::start(fast_config(server.url()))?;
    let points = vec![
        point(
            "forward test",
            &[("host name", "a,b=c d"), ("機台", "一號")],
            vec![
                ("float", FieldValue::Float(1.5)),
                ("integer", FieldValue::Integer(-7)),
                ("unsigned", FieldValue::Unsigned(u64::MAX)),
                ("boolean", FieldValue::Boolean(true)),
                (
                    "text",
                    FieldValue::String(r#"quote " and back\slash"#.into()),
                ),
            ],
            1_700_000_000_000_000_001,
        ),
        point(
            "forward test",
            &[("host name", "x")],
            vec![("float", FieldValue::Float(2.5))],
            1_700_000_000_000_000_002,
        ),
        point(
            "forward test",
            &[("host name", "x")],
            vec![("float", FieldValue::Float(3.5))],
            1_700_000_000_000_000_003,
        ),
    ];
    assert_eq!(forwarder.try_enqueue(&points), 0);
    assert!(
        wait_for(|| forwarder.sent_points() == 3, Duration::from_secs(15)).await,
        "points were not sent"
    );
    forwarder.shutdown(Duration::from_secs(5)).await;

    let rows = rows(&server, "forward test").await?;
    assert_eq!(rows.len(), 3, "{rows:?}");
    let first = &rows[0];
    assert_eq!(first["time"], 1_700_000_000_000_000_001_i64);
    assert_eq!(first["host name"], "a,b=c d");
    assert_eq!(first["機台"], "一號");
    assert_eq!(first["float"], 1.5);
    assert_eq!(first["integer"], -7);
    assert_eq!(
        first["unsigned"],
        i64::MAX,
        "unsigned is clipped to an integer for 1.x"
    );
    assert_eq!(first["boolean"], true);
    assert_eq!(first["text"], r#"quote " and back\slash"#);
    assert_eq!(rows[2]["float"], 3.5);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_retried_until_influxdb_is_back() -> anyhow::Result<()> {
    let directory = tempfile::tempdir()?;
    let mut server = InfluxdServer::start(directory.path()).await?;
    server
        .query(None, &format!("CREATE DATABASE {DATABASE}"))
        .await?;
    server.stop();

    let forwarder = InfluxForwarder::start(fast_config(server.url()))?;
    let points: Vec<Point> = (1..=5)
        .map(|index| {
            point(
                "retry",
                &[],
                vec![("v", FieldValue::Float(index as f64))],
                index,
            )
        })
        .collect();
    forwarder.try_enqueue(&points);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        forwarder.sent_points(),
        0,
        "nothing can be sent while influxd is down"
    );

    server.restart().await?;
    assert!(
        wait_for(|| forwarder.sent_points() == 5, Duration::from_secs(20)).await,
        "retry did not deliver"
    );
    let values: Vec<f64> = rows(&server, "retry")
        .await?
        .iter()
        .map(|row| row["v"].as_f64().unwrap())
        .collect();
    assert_eq!(values, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(forwarder.dropped_points(), 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_buffer_drops_the_oldest_points_and_counts_them() -> anyhow::Result<()> {
    let directory = tempfile::tempdir()?;
    let server = InfluxdServer::start(directory.path()).await?;
    server
        .query(None, &format!("CREATE DATABASE {DATABASE}"))
        .await?;

    let config = InfluxForwarderConfig {
        batch_size: 1_000,
        flush_interval: Duration::from_secs(3_600),
        buffer_capacity: 10,
        ..fast_config(server.url())
    };
    let forwarder = InfluxForwarder::start(config)?;
    let points: Vec<Point> = (1..=25)
        .map(|index| {
            point(
                "bounded",
                &[],
                vec![("v", FieldValue::Integer(index))],
                index,
            )
        })
        .collect();
    let started = Instant::now();
    let dropped = forwarder.try_enqueue(&points);
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "enqueue must not wait"
    );
    assert_eq!(dropped, 15);
    assert_eq!(forwarder.dropped_points(), 15);
    assert_eq!(forwarder.buffered_points(), 10);
    forwarder.shutdown(Duration::from_secs(10)).await;

    let values: Vec<i64> = rows(&server, "bounded")
        .await?
        .iter()
        .map(|row| row["v"].as_i64().unwrap())
        .collect();
    assert_eq!(
        values,
        (16..=25).collect::<Vec<i64>>(),
        "the newest points are the ones kept"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_influxdb_refuses_is_dropped_and_counted_not_retried() -> anyhow::Result<()> {
    let directory = tempfile::tempdir()?;
    let server = InfluxdServer::start(directory.path()).await?;
    server
        .query(None, &format!("CREATE DATABASE {DATABASE}"))
        .await?;

    let forwarder = InfluxForwarder::start(InfluxForwarderConfig {
        batch_size: 1,
        ..fast_config(server.url())
    })?;
    forwarder.try_enqueue(&[point(
        "conflict",
        &[],
        vec![("v", FieldValue::Float(1.0))],
        1,
    )]);
    assert!(wait_for(|| forwarder.sent_points() == 1, Duration::from_secs(15)).await);
    forwarder.try_enqueue(&[point(
        "conflict",
        &[],
        vec![("v", FieldValue::String("text".into()))],
        2,
    )]);
    assert!(
        wait_for(|| forwarder.rejected_points() == 1, Duration::from_secs(15)).await,
        "field type conflict should be refused"
    );
    forwarder.try_enqueue(&[point(
        "conflict",
        &[],
        vec![("v", FieldValue::Float(3.0))],
        3,
    )]);
    assert!(
        wait_for(|| forwarder.sent_points() == 2, Duration::from_secs(15)).await,
        "later batches still flow"
    );
    Ok(())
}

#[test]
fn an_invalid_url_is_refused_at_start() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let error = InfluxForwarder::start(InfluxForwarderConfig::new("ftp://x", "db"))
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("scheme must be http or https"),
            "{error}"
        );
        assert!(InfluxForwarder::start(InfluxForwarderConfig::new("not a url", "db")).is_err());
    });
}
