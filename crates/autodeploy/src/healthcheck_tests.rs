use super::*;

fn http_target(url: &str, method: &str, expected_status: u16) -> HealthcheckTarget {
    HealthcheckTarget {
        name: "console".into(),
        check: HealthcheckKind::Http {
            url: url.into(),
            method: method.into(),
            expected_status,
        },
        timeout_seconds: 3,
    }
}

#[test]
fn the_sample_csv_parses_into_http_and_tcp_targets() {
    let targets = parse_healthcheck_csv(HEALTHCHECK_SAMPLE_CSV).unwrap();
    assert_eq!(targets.len(), 3);
    assert_eq!(
        targets[2].check,
        HealthcheckKind::Tcp {
            address: "gateway.example.com:22".into()
        }
    );
    for target in &targets {
        target.generate_file().unwrap();
    }
}

#[test]
fn an_http_target_becomes_one_http_response_block_with_the_expected_status() {
    let file = http_target("https://example.com/healthz", "head", 204)
        .to_telegraf_file()
        .unwrap();
    assert_eq!(file.inputs.http_response.len(), 1);
    let block = &file.inputs.http_response[0];
    assert_eq!(block.urls, ["https://example.com/healthz"]);
    assert_eq!(block.method, "HEAD");
    assert_eq!(block.response_status_code, 204);
    assert_eq!(block.response_timeout, "3s");
    assert_eq!(block.tags["healthcheck"], "console");
    assert!(file.inputs.net_response.is_empty());
}

#[test]
fn a_tcp_target_becomes_one_net_response_block() {
    let target = HealthcheckTarget {
        name: "db".into(),
        check: HealthcheckKind::Tcp {
            address: "db.internal:5432".into(),
        },
        timeout_seconds: 2,
    };
    let rendered = target.generate_file().unwrap();
    assert_eq!(rendered.file_name, "detectviz-healthcheck-db.conf");
    let parsed: toml::Table = toml::from_str(&rendered.contents).unwrap();
    let block = &parsed["inputs"]["net_response"][0];
    assert_eq!(block["protocol"].as_str(), Some("tcp"));
    assert_eq!(block["address"].as_str(), Some("db.internal:5432"));
}

#[test]
fn bad_targets_are_refused_with_the_reason() {
    let cases = [
        (
            http_target("ftp://example.com", "GET", 200),
            "must start with http",
        ),
        (
            http_target("http://example.com", "FETCH", 200),
            "method `FETCH`",
        ),
        (http_target("http://example.com", "GET", 42), "42"),
    ];
    for (target, expected) in cases {
        let message = target.to_telegraf_file().unwrap_err().to_string();
        assert!(
            message.contains(expected),
            "{message} should contain {expected}"
        );
    }
    let no_port = HealthcheckTarget {
        name: "db".into(),
        check: HealthcheckKind::Tcp {
            address: "db.internal".into(),
        },
        timeout_seconds: 1,
    };
    assert!(
        no_port
            .to_telegraf_file()
            .unwrap_err()
            .to_string()
            .contains("host:port")
    );
}

#[test]
fn csv_errors_name_the_row_and_the_column() {
    let header = HEALTHCHECK_CSV_HEADER;
    let cases = [
        (
            format!("{header}\na,http://x,GET,abc,5\n"),
            "csv row 2, column `expected_status`",
        ),
        (
            format!("{header}\na,http://x,GET,200,soon\n"),
            "csv row 2, column `timeout_seconds`",
        ),
        (
            format!("{header}\na,http://x,GET,200,5\na,http://y,GET,200,5\n"),
            "csv row 3, column `name`",
        ),
        (
            format!("{header}\na,http://x,GET\n"),
            "csv row 2, column `(row)`",
        ),
        (
            format!("{header}\n\n# note\nb,tcp://nohost,,,5\n"),
            "csv row 4, column `url`",
        ),
        ("name,url\n".to_string(), "csv row 1, column `header`"),
    ];
    for (csv, expected) in cases {
        let message = parse_healthcheck_csv(&csv).unwrap_err().to_string();
        assert!(
            message.contains(expected),
            "{message} should contain {expected}"
        );
    }
}

#[test]
fn every_csv_problem_is_reported_with_its_row_and_column() {
    let header = HEALTHCHECK_CSV_HEADER;
    let csv = format!(
        "{header}\nok,db.internal:5432,,,2\nbad name,ftp://x,FETCH,42,0\nalso-ok,http://x,GET,200,5\n"
    );
    let problems = check_healthcheck_csv(&csv).unwrap_err();
    let places: Vec<(usize, &str)> = problems
        .iter()
        .map(|problem| (problem.row, problem.column.as_str()))
        .collect();
    assert_eq!(
        places,
        [
            (3, "name"),
            (3, "timeout_seconds"),
            (3, "url"),
            (3, "method"),
            (3, "expected_status")
        ]
    );
    let fixed = csv.replace("bad name,ftp://x,FETCH,42,0", "fixed,https://x,post,204,1");
    let targets = check_healthcheck_csv(&fixed).unwrap();
    assert_eq!(
        targets[0].check,
        HealthcheckKind::Tcp {
            address: "db.internal:5432".into()
        },
        "a bare host:port is a TCP target"
    );
    assert_eq!(
        check_healthcheck_csv(&render_healthcheck_csv(&targets)).unwrap(),
        targets
    );
}
