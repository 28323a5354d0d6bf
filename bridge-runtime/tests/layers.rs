//! The runtime's modules depend on each other in one direction, leaves first (the table in `src/lib.rs`): this test
//! reads every source file, collects the `crate::<module>` paths it names, and fails on any dependency that points
//! up a layer or sideways within one — so an import cycle cannot come back unnoticed.

use std::collections::BTreeMap;
use std::path::Path;

/// The layers, lowest first. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["protocol", "secret", "request_id", "kinds", "witness"],
    &["error", "params", "state", "endpoint"],
    &["decode", "reply"],
    &["configuration"],
    &["sync"],
    &["extract"],
    &["telemetry"],
    &["pipeline"],
    &["mount"],
    &["contract"],
    &["gate"],
    &["service"],
    &["builder"],
    &["logs"],
    &["serve"],
    &["cli"],
    &["http", "warp_filter"],
    &["testing"],
];

fn layer_of(module: &str) -> usize {
    LAYERS.iter().position(|layer| layer.contains(&module)).unwrap_or_else(|| panic!("module `{module}` has no layer"))
}

/// The top-level module a source file belongs to: `src/testing/simulator/run.rs` → `testing`.
fn module_of(file: &Path, src: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// The top-level modules named as `crate::<module>` in `text` (comments included: a doc link is a dependency of
/// the reader, too).
fn uses(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let preceded = text[..at].chars().next_back();
        if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `bridge_runtime::`, `$crate::`…
        }
        let name: String = text[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_lowercase()) {
            found.push(name);
        }
    }
    found
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_depend_on_lower_layers_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &all {
        let Some(module) = module_of(file, &src) else { continue };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&text) {
            if used != module && layer_of(&used) >= layer_of(&module) {
                wrong.entry(format!("{module} ({})", file.display())).or_default().push(used);
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies that point up or sideways: {wrong:#?}");
}

#[test]
fn every_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    for line in lib.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("mod ").or_else(|| line.strip_prefix("pub mod ")) {
            if let Some(name) = name.strip_suffix(';') {
                layer_of(name);
            }
        }
    }
}

#[test]
fn finds_what_a_file_names() {
    assert_eq!(uses("use crate::error::Error; // see [`crate::reply`]"), ["error", "reply"]);
    assert!(uses("use bridge_runtime::error; $crate::x; crate::Error").is_empty());
}
