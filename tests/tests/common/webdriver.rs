//! A W3C WebDriver client, just the commands the browser tests use (sessions, navigation,
//! elements, clicks, typing, screenshots), over the tests' HTTP client. ChromeDriver is started
//! by [`Driver::start`] and stopped when the driver is dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use super::http;

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running ChromeDriver and one headless Chromium session.
pub struct Driver {
    process: Child,
    base: String,
    session: String,
}

async fn call(base: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let response = http::request(
        base,
        method,
        path,
        &[("Content-Type", "application/json")],
        bytes.as_bytes(),
    )
    .await;
    let value: Value = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "webdriver {method} {path}: not JSON ({e}): {}",
            response.text()
        )
    });
    assert!(
        response.status == 200,
        "webdriver {method} {path}: {} {}",
        response.status,
        value
    );
    value["value"].clone()
}

impl Driver {
    /// Starts `chromedriver` (from PATH) on a free port and a headless `browser` session.
    pub async fn start(browser: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver (Debian's chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not listen on {port}");
        let profile = std::env::temp_dir().join(format!("ndrs-webdriver-{port}"));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1600,1800", format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let session = call(&base, "POST", "/session", Some(capabilities)).await["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        Driver {
            process,
            base,
            session,
        }
    }

    async fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        call(
            &self.base,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
        .await
    }

    pub async fn goto(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        self.session_call("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.session_call("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (up to ten seconds) until the page's URL ends with `suffix`: a click that submits a
    /// form returns before the browser has followed the answer's redirect.
    pub async fn wait_for_url(&self, suffix: &str) -> String {
        for _ in 0..100 {
            let url = self.url().await;
            if url.ends_with(suffix) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the browser never reached …{suffix}; it is at {}",
            self.url().await
        )
    }

    /// Waits (up to ten seconds) until the page holds `text`; the page's source then.
    pub async fn wait_for_text(&self, text: &str) -> String {
        for _ in 0..100 {
            let source = self.source().await;
            if source.contains(text) {
                return source;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {text:?}: {}", self.source().await)
    }

    /// The element a CSS selector finds; the test fails if none does.
    pub async fn find(&self, css: &str) -> String {
        let found = self
            .session_call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.session_call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.session_call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Runs a script in the page, as a person with the browser's developer tools could.
    pub async fn run(&self, script: &str) {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await;
    }

    /// Writes a PNG screenshot of the window to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.session_call("GET", "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub async fn quit(mut self) {
        call(
            &self.base,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        )
        .await;
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
    }
}
