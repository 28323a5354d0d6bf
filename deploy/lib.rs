//! Nothing to build: this crate holds the tests of `deploy/kubernetes/` (`tests/kubernetes.rs`).
