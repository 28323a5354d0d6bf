//! The protocol and the guide, shipped with the crate: the pages of the repository's `docs/` folder.
//!
//! - [`guide`]: from `cargo new` to a deployed bridge, over a SQL database — blocking work in async handlers,
//!   tests, deployment.
//! - [`http_service`]: a bridge over an HTTP service — the tenant's URL from `auth`, the base-URL override for a
//!   fake or a proxy, the client's defaults (deadline, retries, rate limits, the service's error messages),
//!   paging the service without losing rows, the checkpoint rule, testing.
//! - [`sync`]: which sync for which source — a database that lists what it wrote at once, a search index that
//!   trails its writes, a service's own cursor, page numbers — with the `bridge::sync` pieces and the checkpoint
//!   rule of each.
//! - [`handlers`]: parameters of your own, errors from your own libraries, blocking work, the command line.
//! - [`testing`]: the test client, the Talkdesk simulator, fakes of the service, `bridge-conformance`.
//! - [`cassettes`]: testing against the real service without writing a fake — record a session (`BRIDGE_RECORD`),
//!   what is redacted, replay it offline, re-record when the service changes and read what changed.
//! - [`protocol`]: what every endpoint shares — the envelope, the answers, what a `401` means, dates, and where
//!   this project's reading departs from Talkdesk's documents.
//! - One page per endpoint, with what Talkdesk sends, what to answer and the edge cases: [`auth_validation`],
//!   [`contact_sync`], [`interaction_retrieval`], [`action_execution`], [`agent_sync`].
//! - [`configuration`]: the configuration documents Talkdesk is given, and which code writes each field.
//! - [`operations`]: running in production — limits, variables, logs, probes, metrics, rollouts, replicas.
//! - [`architecture`]: the framework's design — one request path, mounting a bridge in your own server, the layers.
//! - [`postgres`]: contact synchronization over PostgreSQL, where commit order is not timestamp order (the
//!   `pg_snapshot_xmin` recipe, and its trap).
//! - [`replicas`]: many replicas, one memory — actions that run once and lookups that share their answers, in
//!   process or on Redis: what is shared, what is not, what it saves.
//!
//! Their code examples are compiled and run as doc tests, with the paths a bridge writes (`bridge::…`).

#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

#[doc = include_str!("../docs/http_service.md")]
pub mod http_service {}

#[doc = include_str!("../docs/sync.md")]
pub mod sync {}

#[doc = include_str!("../docs/handlers.md")]
pub mod handlers {}

#[doc = include_str!("../docs/testing.md")]
pub mod testing {}

#[doc = include_str!("../docs/cassettes.md")]
pub mod cassettes {}

#[doc = include_str!("../docs/protocol.md")]
pub mod protocol {}

#[doc = include_str!("../docs/auth_validation.md")]
pub mod auth_validation {}

#[doc = include_str!("../docs/contact_sync.md")]
pub mod contact_sync {}

#[doc = include_str!("../docs/interaction_retrieval.md")]
pub mod interaction_retrieval {}

#[doc = include_str!("../docs/action_execution.md")]
pub mod action_execution {}

#[doc = include_str!("../docs/agent_sync.md")]
pub mod agent_sync {}

#[doc = include_str!("../docs/configuration.md")]
pub mod configuration {}

#[doc = include_str!("../docs/postgres.md")]
pub mod postgres {}

#[doc = include_str!("../docs/operations.md")]
pub mod operations {}

#[doc = include_str!("../docs/architecture.md")]
pub mod architecture {}

#[doc = include_str!("../docs/replicas.md")]
pub mod replicas {}

/// The links between the pages: a page moved or a heading renamed must not leave a link behind.
#[cfg(test)]
mod links {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    /// The pages whose links are checked: the README, the chapters, the examples' READMEs.
    fn pages(root: &Path) -> Vec<PathBuf> {
        let mut pages = vec![root.join("README.md")];
        let mut in_dir = |dir: PathBuf, keep: &dyn Fn(&Path) -> bool| {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.unwrap().path())
                .filter(|path| keep(path))
                .collect();
            found.sort();
            pages.extend(found);
        };
        in_dir(root.join("docs"), &|path| path.extension().is_some_and(|e| e == "md"));
        in_dir(root.join("examples"), &|path| path.join("README.md").is_file());
        pages.into_iter().map(|p| if p.is_dir() { p.join("README.md") } else { p }).collect()
    }

    /// The prose of a Markdown page, line by line: fenced code blocks and HTML comments left out.
    fn prose(text: &str) -> Vec<&str> {
        let (mut lines, mut fenced, mut comment) = (Vec::new(), false, false);
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            } else if comment || (!fenced && line.trim_start().starts_with("<!--")) {
                comment = !line.contains("-->");
            } else if !fenced {
                lines.push(line);
            }
        }
        lines
    }

    /// The targets of a page's inline links, `[text](target)`; the contents of code spans are not links.
    fn targets(text: &str) -> Vec<String> {
        let mut targets = Vec::new();
        for line in prose(text) {
            let outside_code: String = line.split('`').step_by(2).collect::<Vec<_>>().join("``");
            let mut rest = outside_code.as_str();
            while let Some(at) = rest.find("](") {
                rest = &rest[at + 2..];
                let end = rest.find(')').unwrap_or(rest.len());
                targets.push(rest[..end].trim().to_owned());
                rest = &rest[end..];
            }
        }
        targets
    }

    /// The anchors GitHub gives a page's headings: lowercased, punctuation dropped, spaces as `-`, a repeated
    /// heading numbered.
    fn anchors(text: &str) -> BTreeSet<String> {
        let mut anchors = BTreeSet::new();
        for line in prose(text) {
            let Some(heading) = line.strip_prefix('#') else { continue };
            let heading = heading.trim_start_matches('#').trim().replace('`', "");
            let slug: String = heading
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect();
            let mut unique = slug.clone();
            for n in 1.. {
                if !anchors.contains(&unique) {
                    break;
                }
                unique = format!("{slug}-{n}");
            }
            anchors.insert(unique);
        }
        anchors
    }

    #[test]
    fn every_relative_link_names_a_file_and_a_heading_that_exist() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pages = pages(root);
        assert!(pages.len() > 10, "{pages:?}");
        let mut broken = Vec::new();
        for page in &pages {
            let text = std::fs::read_to_string(page).unwrap();
            for target in targets(&text) {
                if target.contains("://") || target.starts_with("mailto:") || target.contains("::") {
                    continue;
                }
                let (path, anchor) = match target.split_once('#') {
                    Some((path, anchor)) => (path, Some(anchor)),
                    None => (target.as_str(), None),
                };
                let file = if path.is_empty() { page.clone() } else { page.parent().unwrap().join(path) };
                let shown = format!("{}: ({target})", page.strip_prefix(root).unwrap().display());
                if !file.exists() {
                    broken.push(format!("{shown}: no such file"));
                } else if let Some(anchor) = anchor.filter(|_| file.extension().is_some_and(|e| e == "md")) {
                    if !anchors(&std::fs::read_to_string(&file).unwrap()).contains(anchor) {
                        broken.push(format!("{shown}: no such heading"));
                    }
                }
            }
        }
        assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    }

    #[test]
    fn the_checker_reads_links_and_headings_as_github_does() {
        let page = "# One `two`: three\n## One two three\n[a](x.md#one-two-three-1) `[b](code)`\n```\n[c](d)\n```\n<!-- [e](f)\n-->";
        assert_eq!(targets(page), ["x.md#one-two-three-1"]);
        assert_eq!(anchors(page), BTreeSet::from(["one-two-three".to_owned(), "one-two-three-1".to_owned()]));
    }
}
