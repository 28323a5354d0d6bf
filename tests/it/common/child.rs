//! The example binaries as child processes, as an operator runs them: their stderr read line by line, signals sent
//! with `kill`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The example binary `name`, as `cargo test` builds it (beside the test binaries' `deps/`).
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(path.exists(), "{} is missing: `cargo test` builds it (or `cargo build --example {name}`)", path.display());
    path
}

/// A command for `binary` with a clean environment: `PATH` only, whatever the shell that runs the tests exports
/// (`BRIDGE_DRAIN_DELAY=nonsense` there must not change what a test sees). Add what the test means to set.
pub fn clean_command(binary: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(binary);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command
}

/// A running child, its stderr collected line by line.
pub struct Running {
    pub child: Child,
    /// Read so that the child never blocks on a full pipe.
    _stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    /// The thread reading stderr: done once the child's last line is in.
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

/// The lines read from `pipe`, as they come, and the thread reading them (it ends at the pipe's end).
fn collect(pipe: impl std::io::Read + Send + 'static) -> (Arc<Mutex<Vec<String>>>, std::thread::JoinHandle<()>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    (lines, reader)
}

impl Running {
    /// Starts `binary` with `args` and exactly the environment `env` (plus `PATH`).
    pub fn start(binary: &PathBuf, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut command = clean_command(binary);
        command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the example starts");
        let (stdout, _) = collect(child.stdout.take().unwrap());
        let (stderr, reader) = collect(child.stderr.take().unwrap());
        Running { child, _stdout: stdout, stderr, stderr_reader: Some(reader) }
    }

    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// The first stderr line `matches` accepts, waiting up to 20 s for it.
    pub fn wait_stderr<T>(&self, what: &str, matches: impl Fn(&str) -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = self.stderr().iter().find_map(|line| matches(line)) {
                return found;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no {what} on stderr: {:#?}", self.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for the exit (at most 20 s), and for the last of its stderr to be read; the exit
    /// code.
    pub fn terminate(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The pipe ends with the child (the examples start no process of their own).
                if let Some(reader) = self.stderr_reader.take() {
                    reader.join().expect("the stderr reader does not panic");
                }
                return status.code();
            }
            assert!(started.elapsed() < Duration::from_secs(20), "still running after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
