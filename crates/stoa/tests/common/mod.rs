//! What the binary's tests share: the `stoa` command in a working folder, a free port, and
//! `stoa serve` running until dropped.
#![expect(
    clippy::unwrap_used,
    reason = "a test stops at the first failure; helpers outside #[test] count too"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `stoa` run in `dir`, with settings only from there (no `DATABASE_URL` from outside).
pub fn stoa(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stoa"));
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        // The test suite's own variable, not a setting (Stoa refuses unknown STOA_ ones).
        .env_remove("STOA_TEST_DATABASE_URL")
        .env("STOA_CONFIG", dir.join("stoa.toml"))
        .env("RUST_LOG", "info");
    command
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Starts `command` (`stoa` in its folder) as `stoa serve` on `port` and returns it with the lines it logged until it was serving.
pub fn serve(mut command: Command, port: u16) -> (Server, Vec<String>) {
    let mut child = command
        .arg("serve")
        .env("STOA_BIND", format!("127.0.0.1:{port}"))
        .env("STOA_BASE_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut output = BufReader::new(stdout).lines();
    for line in output.by_ref() {
        let line = line.unwrap();
        let serving = line.contains("Stoa is serving");
        lines.push(line);
        if serving || Instant::now() > deadline {
            break;
        }
    }
    // Keep reading so the server never writes into a closed pipe.
    std::thread::spawn(move || output.for_each(drop));
    (Server(child), lines)
}
