//! Every log line, at TRACE level and from every crate, captured in memory for the tests that look for leaks.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// What the global subscriber wrote, shared with it.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// The global TRACE subscriber writing here, without colours: installed by the first test that asks for it (it is
    /// global to the test binary), shared with every later one. Every test that runs from then on logs here too, so
    /// a test that looks for a leak also sees the other tests' lines.
    pub fn install() -> Captured {
        static INSTALLED: OnceLock<Captured> = OnceLock::new();
        INSTALLED
            .get_or_init(|| {
                let logs = Captured::default();
                let writer = logs.clone();
                tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::TRACE)
                    .with_writer(move || writer.clone())
                    .with_ansi(false)
                    .init();
                logs
            })
            .clone()
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
