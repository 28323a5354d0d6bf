//! The runtime's modules depend on each other in one direction, leaves first (the table in `src/lib.rs`): this test
//! reads every source file, collects the paths it names — `crate::<module>`, grouped imports (`crate::{a, b::c}`),
//! items of the root (`crate::Error`, resolved through `lib.rs`'s re-exports to the module that defines them) —
//! and fails on any dependency that points up a layer or sideways within one. Within a module's folder, the files
//! must not import each other in a circle either (`super::x`, `crate::http::x`). So an import cycle cannot come
//! back unnoticed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["protocol", "secret", "request_id", "deadline", "tap", "kinds", "witness", "trace"],
    &["settings", "recording", "upstream"],
    &["scope"],
    &["error", "params", "state", "endpoint", "readiness", "store"],
    &["decode", "reply"],
    &["configuration"],
    &["sync"],
    &["extract"],
    &["telemetry"],
    &["pipeline"],
    &["memory"],
    &["mount"],
    &["contract"],
    &["own_routes"],
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

/// The file's path of modules below `src/`: `src/testing/simulator/run.rs` → `["testing", "simulator", "run"]`;
/// a `mod.rs` is its folder's module.
fn module_path(file: &Path, src: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap();
    let mut path: Vec<String> =
        relative.components().map(|c| c.as_os_str().to_str().unwrap().trim_end_matches(".rs").to_owned()).collect();
    if path.last().is_some_and(|last| last == "mod" || last == "lib") {
        path.pop();
    }
    path
}

/// The paths `text` names after `prefix` (`crate::`, `super::`), as lists of segments, with grouped imports
/// expanded: `crate::{error::Error, reply}` → `[error, Error]`, `[reply]`. Comments count: a doc link is a
/// dependency of the reader, too.
fn paths_after(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let preceded = text[..at].chars().next_back();
        if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':') {
            continue; // `bridge_runtime::crate…`, `$crate::`, `a::super::`…
        }
        expand(&text[at + prefix.len()..], Vec::new(), &mut found);
    }
    found
}

/// Reads one path (possibly a group) at the start of `rest`, after the segments in `base`.
fn expand(rest: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(group[start..i].trim_start(), base.clone(), out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(group[start..i].trim_start(), base.clone(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let segment: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if segment.is_empty() {
        if !base.is_empty() {
            out.push(base);
        }
        return;
    }
    let mut path = base;
    path.push(segment.clone());
    match rest[segment.len()..].strip_prefix("::") {
        Some(more) if more.starts_with(|c: char| c == '{' || c.is_alphanumeric() || c == '_') => {
            expand(more, path, out)
        }
        _ => out.push(path),
    }
}

/// The root's re-exports (`pub use builder::Bridge;`, grouped ones too): item → the module that defines it.
fn root_items(lib: &str) -> BTreeMap<String, String> {
    let mut items = BTreeMap::new();
    for statement in lib.split(';') {
        let statement = statement.trim();
        let Some(used) = statement.rsplit("pub use ").next().filter(|_| statement.contains("pub use ")) else {
            continue;
        };
        let mut paths = Vec::new();
        expand(used.trim(), Vec::new(), &mut paths);
        for path in paths {
            if let (Some(module), Some(item)) = (path.first(), path.last()) {
                if path.len() > 1 && module != "crate" {
                    items.insert(item.clone(), module.clone());
                }
            }
        }
    }
    items
}

/// The top-level modules a file depends on: `crate::<module>` paths (doc links included), and the root items its
/// code names (`crate::Error`), through `lib.rs`. A doc link to a root item (`[Bridge](crate::Bridge)`) points
/// the reader at the public API, not at a module, and is not a dependency.
fn uses(text: &str, root: &BTreeMap<String, String>) -> Vec<String> {
    let code = code_of(text);
    let modules = paths_after(text, "crate::")
        .into_iter()
        .map(|path| path[0].clone())
        .filter(|first| first.chars().next().is_some_and(char::is_lowercase));
    let items = paths_after(&code, "crate::").into_iter().filter_map(|path| root.get(&path[0]).cloned());
    modules.chain(items).collect()
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

struct Source {
    module: Vec<String>,
    text: String,
}

fn sources() -> (Vec<Source>, BTreeMap<String, String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let root = root_items(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let sources = all
        .iter()
        .map(|file| Source { module: module_path(file, &src), text: std::fs::read_to_string(file).unwrap() })
        .collect();
    (sources, root)
}

#[test]
fn modules_depend_on_lower_layers_only() {
    let (sources, root) = sources();
    let mut wrong: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in &sources {
        let Some(module) = source.module.first() else { continue };
        let (library, tests) = split_tests(&source.text);
        let test_kit = uses(tests, &root).into_iter().filter(|used| used != "testing");
        for used in uses(library, &root).into_iter().chain(test_kit) {
            if &used != module && layer_of(&used) >= layer_of(module) {
                wrong.entry(source.module.join("/")).or_default().insert(used);
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies that point up or sideways: {wrong:#?}");
}

/// A file's library code and its test code: all of it under `#![cfg(test)]`, else from its first `#[cfg(test)]`
/// on. Test code may use the test kit (`testing`, as the fakes' server), the way a crate's tests use its
/// dev-dependencies; whatever else it names follows the layers as library code does.
fn split_tests(text: &str) -> (&str, &str) {
    if text.lines().any(|line| line.trim() == "#![cfg(test)]") {
        return ("", text);
    }
    let at = text.find("#[cfg(test)]").unwrap_or(text.len());
    text.split_at(at)
}

#[test]
fn test_code_may_use_the_test_kit_and_nothing_else_above_it() {
    let text = "use crate::upstream;\n#[cfg(test)]\nmod tests {\n    use crate::testing::fake;\n}\n";
    let (library, tests) = split_tests(text);
    assert_eq!((library, tests.starts_with("#[cfg(test)]")), ("use crate::upstream;\n", true));
    assert_eq!(split_tests("//! A fake.\n#![cfg(test)]\nuse crate::testing;\n").0, "");
    assert_eq!(split_tests("use crate::http;\n").1, "");
}

/// The text of `text` without its comment lines.
fn code_of(text: &str) -> String {
    text.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The files of one folder a file's code imports: `super::x`, `crate::<folder>::x` (its doc links may point
/// anywhere in the folder).
fn sibling_uses(source: &Source, modules: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let mut named: Vec<Vec<String>> = Vec::new();
    let parent: Vec<String> = source.module[..source.module.len().saturating_sub(1)].to_vec();
    let code = code_of(&source.text);
    for path in paths_after(&code, "super::") {
        named.push(parent.iter().cloned().chain(path).collect());
    }
    for path in paths_after(&code, "crate::") {
        named.push(path);
    }
    let mut found = BTreeSet::new();
    for path in named {
        // The longest prefix of the path that is a file of the crate.
        if let Some(module) = (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|m| modules.contains(m)) {
            // Top-level modules are the layers' business; this is about the files inside one folder.
            let same_folder =
                module.len() >= 2 && module.len() == source.module.len() && module[..module.len() - 1] == parent[..];
            if same_folder && module != source.module {
                found.insert(module);
            }
        }
    }
    found
}

#[test]
fn no_file_imports_its_siblings_in_a_circle() {
    let (sources, _) = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> =
        sources.iter().map(|s| (s.module.clone(), sibling_uses(s, &modules))).collect();
    // Depth-first search for a cycle; report it as a chain of files.
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let chain: Vec<String> = stack[at..].iter().chain([node]).map(|n| n.join("/")).collect();
            cycles.push(chain.join(" → "));
            return;
        }
        if !done.insert(node.clone()) {
            return;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, stack, done, cycles);
        }
        stack.pop();
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, &edges, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "files that import each other in a circle: {cycles:#?}");
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
    let root: BTreeMap<String, String> = [("Error".to_owned(), "error".to_owned())].into();
    assert_eq!(uses("use crate::error::Error; // see [`crate::reply`]", &root), ["error", "reply"]);
    assert_eq!(uses("use crate::{Error, reply::{Reply, x}, gate};", &root), ["reply", "reply", "gate", "error"]);
    assert!(uses("/// See [`Error`](crate::Error).", &root).is_empty(), "a doc link to the public API");
    assert!(uses("use bridge_runtime::error; $crate::x; crate::Unknown", &root).is_empty());
    let items = root_items("pub use builder::Bridge;\npub use protocol::{Contact, date::TalkdeskDate};\npub mod x;");
    assert_eq!(items["Bridge"], "builder");
    assert_eq!(items["TalkdeskDate"], "protocol");
    let found = paths_after("use super::{client::{A, B}, transport::C};", "super::");
    assert_eq!(found, [vec!["client", "A"], vec!["client", "B"], vec!["transport", "C"]]);
}

/// One file name, one thing: a reader who meets `client.rs` knows which client it is. `mod.rs` and `lib.rs` name
/// their folder, not themselves, and are the exception.
#[test]
fn no_file_name_is_used_twice() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        if name != "mod.rs" && name != "lib.rs" {
            by_name.entry(name).or_default().insert(file.strip_prefix(&src).unwrap().display().to_string());
        }
    }
    let twice: BTreeMap<_, _> = by_name.into_iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(twice.is_empty(), "file names used for two things (rename one of each): {twice:#?}");
}
