//! `ndrs content` against a running `ndrs serve` (every service in one process, SQLite in a
//! temporary data directory): a working group member publishes the shipped content, reads a
//! document back, dry-runs a changed indicator document, and a bad document exits non-zero
//! naming the indicator and the field, with nothing stored.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Served {
    data: tempfile::TempDir,
    env: Vec<(String, String)>,
    child: Child,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ndrs"));
        command
            .args(args)
            .env("NDRS__DATA_DIR", self.data.path())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str], token: &str) -> Output {
        self.command(args)
            .env("NDRS_TOKEN", token)
            .output()
            .unwrap()
    }
}

fn serve() -> Served {
    let data = tempfile::tempdir().unwrap();
    let mut env = vec![
        ("NDRS__SERVER__HOST".to_string(), "127.0.0.1".to_string()),
        ("NDRS__TELEMETRY__LOG_FILTER".into(), "warn".into()),
    ];
    for service in [
        "aggregator",
        "production",
        "compute",
        "circulation",
        "application",
    ] {
        env.push((
            format!("NDRS__SERVICES__{}__PORT", service.to_uppercase()),
            free_port().to_string(),
        ));
    }
    let child = Command::new(env!("CARGO_BIN_EXE_ndrs"))
        .args(["serve"])
        .env("NDRS__DATA_DIR", data.path())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let served = Served { data, env, child };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !served
        .command(&["health"])
        .output()
        .unwrap()
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "ndrs serve did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    served
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn a_working_group_member_publishes_and_checks_content_from_the_command_line() {
    let served = serve();
    let issued = served
        .command(&[
            "admin",
            "issue-token",
            "--name",
            "cli organiser",
            "--role",
            "organiser",
        ])
        .output()
        .unwrap();
    assert!(issued.status.success());
    let token = String::from_utf8(issued.stdout).unwrap().trim().to_string();

    let shipped = json(&served.run(&["content", "publish-shipped", "--cycle", "2023"], &token));
    let published: Vec<&str> = shipped["published"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        published
            .iter()
            .any(|r| r.starts_with("indicators.application_indicators:2023@1")),
        "{published:?}"
    );
    assert!(
        published
            .iter()
            .any(|r| r.starts_with("derived_figures:2023@1"))
    );

    let document = json(&served.run(
        &[
            "content",
            "get",
            "--kind",
            "application_indicators",
            "--cycle",
            "2023",
        ],
        &token,
    ));
    assert!(
        document["indicator"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == "A14")
    );

    let dir = tempfile::tempdir().unwrap();
    let shipped_text = include_str!("../../ndrs-content/content/2023/application_indicators.toml");
    let draft = dir.path().join("draft.toml");
    std::fs::write(
        &draft,
        shipped_text.replace("version = \"2023.1\"", "version = \"2023.2\""),
    )
    .unwrap();
    let check = json(&served.run(
        &[
            "content",
            "check",
            draft.to_str().unwrap(),
            "--cycle",
            "2023",
        ],
        &token,
    ));
    assert_eq!(check["version_name"], "2023.2");
    assert!(
        check["current"]
            .as_str()
            .unwrap()
            .starts_with("indicators.application_indicators:2023@1")
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        shipped_text.replace(
            "measure = \"!a.has_data_management_system\"",
            "measure = \"!a.has_data_managment_system\"",
        ),
    )
    .unwrap();
    let refused = served.run(
        &[
            "content",
            "publish",
            bad.to_str().unwrap(),
            "--cycle",
            "2023",
        ],
        &token,
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("source.indicators[5].measure") && stderr.contains("indicator A14"),
        "{stderr}"
    );
    // Nothing was stored: the latest version is still the shipped one.
    let latest = json(&served.run(
        &[
            "content",
            "get",
            "--kind",
            "application_indicators",
            "--cycle",
            "2023",
        ],
        &token,
    ));
    assert_eq!(latest["version"], "2023.1");
}
