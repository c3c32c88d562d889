//! A running `ndrs serve` (every service in one process, SQLite in a temporary data directory)
//! for tests that drive the `ndrs` binary the way a working group member does.
#![allow(dead_code)]

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Served {
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
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ndrs"));
        command
            .args(args)
            .env("NDRS__DATA_DIR", self.data.path())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str], token: &str) -> Output {
        self.command(args)
            .env("NDRS_TOKEN", token)
            .output()
            .unwrap()
    }
}

pub fn serve() -> Served {
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
        "web",
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

pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

impl Served {
    /// Issues a token from the command line, as an administrator does.
    pub fn issue_token(&self, name: &str, role: &str, unit: Option<&str>) -> String {
        let mut args = vec!["admin", "issue-token", "--name", name, "--role", role];
        if let Some(unit) = unit {
            args.extend(["--unit", unit]);
        }
        let issued = self.command(&args).output().unwrap();
        assert!(
            issued.status.success(),
            "{}",
            String::from_utf8_lossy(&issued.stderr)
        );
        String::from_utf8(issued.stdout).unwrap().trim().to_string()
    }
}
