//! The real `stoa` binary, as an operator runs it: a fresh folder, `migrate`, `serve`, the
//! setup link from the log, `admin create-owner` with the password on standard input.

use std::io::Write;
use std::process::{Command, Stdio};

mod common;

use common::{free_port, serve, stoa};

#[tokio::test]
async fn a_fresh_install_serves_and_logs_a_setup_link() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, log) = serve(stoa(dir.path()), port);
    assert!(
        dir.path().join("stoa-data/stoa.db").exists(),
        "SQLite file under ./stoa-data: {log:?}"
    );
    let link = log
        .iter()
        .find_map(|l| l.split_whitespace().find(|w| w.contains("/setup/")))
        .unwrap_or_else(|| panic!("no setup link in the log: {log:?}"));
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let page = client.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Create the owner account")
    );
}

/// `stoa serve` runs with two malloc arenas (see `with_two_malloc_arenas`), unless the
/// operator chose a number.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn serve_runs_with_two_malloc_arenas_unless_told_otherwise() {
    let arenas = |server: &common::Server| {
        let environ = std::fs::read(format!("/proc/{}/environ", server.0.id())).unwrap();
        environ
            .split(|b| *b == 0)
            .find_map(|var| var.strip_prefix(b"MALLOC_ARENA_MAX="))
            .map(|value| String::from_utf8_lossy(value).into_owned())
    };
    let dir = tempfile::tempdir().unwrap();
    let mut command = stoa(dir.path());
    command.env_remove("MALLOC_ARENA_MAX");
    let (server, log) = serve(command, free_port());
    assert_eq!(arenas(&server).as_deref(), Some("2"), "{log:?}");
    drop(server);
    let mut command = stoa(dir.path());
    command.env("MALLOC_ARENA_MAX", "4");
    let (server, log) = serve(command, free_port());
    assert_eq!(arenas(&server).as_deref(), Some("4"), "{log:?}");
}

#[tokio::test]
async fn create_owner_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let migrated = stoa(dir.path()).arg("migrate").output().unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );

    let mut child = stoa(dir.path())
        .args([
            "admin",
            "create-owner",
            "--username",
            "Founder",
            "--email",
            "founder@example.com",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"velvet ladder orbit pancake\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("Owner account @founder created"));

    // With an owner, no setup link is logged, and the owner can log in.
    let port = free_port();
    let (_server, log) = serve(stoa(dir.path()), port);
    assert!(!log.iter().any(|l| l.contains("/setup/")), "{log:?}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let login = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf),
            ("login", "founder"),
            ("password", "velvet ladder orbit pancake"),
            ("next", "/admin/categories"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(
        client
            .get(format!("{base}/admin/categories"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn a_weak_owner_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = stoa(dir.path())
        .args([
            "admin",
            "create-owner",
            "--username",
            "founder",
            "--email",
            "founder@example.com",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"password123\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("too common"));
}

#[test]
fn a_bad_setting_is_named_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = stoa(dir.path())
        .arg("migrate")
        .env("STOA_BASE_URL", "forum.example.com")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("STOA_BASE_URL must start with http"));
    std::fs::write(dir.path().join("stoa.toml"), "bind = 8080\n").unwrap();
    let output = stoa(dir.path()).arg("migrate").output().unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("bind"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn help_lists_the_commands() {
    let output = Command::new(env!("CARGO_BIN_EXE_stoa"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for command in ["serve", "migrate", "admin"] {
        assert!(text.contains(command), "{text}");
    }
}
