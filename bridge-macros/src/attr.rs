//! Parsing and checking the attribute's arguments: `path = "/…"`, and for actions `name = "…"`, `display = "…"`
//! `description = "…"` and `dedupe = "10m"`, and for interaction retrievers `cache = "30s"`.

use crate::errors::{listed, Errors};
use crate::kind::Kind;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// Where an endpoint answers, once its attribute is known to be right.
pub(crate) struct Route {
    /// The path it answers `POST` on.
    pub(crate) path: String,
    /// The action's name, for action executors.
    pub(crate) action: Option<String>,
    /// The action's display text, when given.
    pub(crate) display: Option<String>,
    /// The action's description, when given.
    pub(crate) description: Option<String>,
    /// What the endpoint remembers, in milliseconds: an action's `dedupe` window, a lookup's `cache` time to live.
    pub(crate) remember_ms: Option<u64>,
}

/// The arguments as written.
#[derive(Default)]
struct Args {
    path: Option<LitStr>,
    name: Option<LitStr>,
    display: Option<LitStr>,
    description: Option<LitStr>,
    remember: Option<LitStr>,
}

/// Parses and checks `args` for `kind`, recording every mistake in `errors`: an unknown key, a key given twice, a
/// value that is not a string literal, an invalid path or action name, and a missing `name` for actions. Returns
/// the route when there is none.
pub(crate) fn parse(kind: Kind, args: TokenStream, errors: &Errors) -> Option<Route> {
    let before = errors.count();
    let args = read(kind, args, errors);
    if errors.count() > before {
        return None;
    }
    let action = match (kind.named(), &args.name) {
        (true, None) => {
            // Reported on the attribute itself (the macro's call site): the key is missing, so there is no better
            // token.
            let attribute = kind.attribute();
            let example = format!("#[bridge::{}(name = \"create_ticket\")]", kind.macro_name());
            errors.push(syn::Error::new(Span::call_site(), format!("{attribute} needs the action's name: {example}")));
            return None;
        }
        (_, name) => name.as_ref().map(LitStr::value),
    };
    let path = match (&args.path, &action) {
        (Some(path), _) => path.value(),
        (None, Some(name)) => format!("{}/{name}", kind.default_path()),
        (None, None) => kind.default_path().to_owned(),
    };
    let (display, description) =
        (args.display.as_ref().map(LitStr::value), args.description.as_ref().map(LitStr::value));
    let remember_ms = args.remember.as_ref().and_then(|text| duration_ms(&text.value()));
    Some(Route { path, action, display, description, remember_ms })
}

fn read(kind: Kind, args: TokenStream, errors: &Errors) -> Args {
    let mut parsed = Args::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(err) => {
            errors.push(syn::Error::new(
                err.span(),
                format!(
                    "{} takes `key = \"value\"` arguments ({err}), e.g. {}",
                    kind.attribute(),
                    kind.attribute_example()
                ),
            ));
            return parsed;
        }
    };
    for meta in metas {
        let key = meta.path();
        let Some(key_name) = key.get_ident().map(ToString::to_string) else {
            errors.at(key, unknown_key_message(kind, "this key"));
            continue;
        };
        let slot = match key_name.as_str() {
            "path" => &mut parsed.path,
            "name" if kind.named() => &mut parsed.name,
            "display" if kind.named() => &mut parsed.display,
            "description" if kind.named() => &mut parsed.description,
            "dedupe" | "cache" if kind.keys().contains(&key_name.as_str()) => &mut parsed.remember,
            _ => {
                errors.at(key, unknown_key_message(kind, &format!("`{key_name}`")));
                continue;
            }
        };
        let Some(value) = string_value(kind, &meta, &key_name, errors) else {
            continue;
        };
        if slot.is_some() {
            errors.at(key, format!("`{key_name}` is given twice in {}: keep one", kind.attribute()));
            continue;
        }
        let valid = match key_name.as_str() {
            "path" => check_path(kind, &value, errors),
            "name" => check_action_name(&value, errors),
            "dedupe" | "cache" => check_duration(kind, &key_name, &value, errors),
            _ => check_text(&key_name, &value, errors),
        };
        if valid {
            *slot = Some(value);
        }
    }
    parsed
}

fn unknown_key_message(kind: Kind, what: &str) -> String {
    format!("{what} is not an argument of {}: it accepts {}", kind.attribute(), listed(kind.keys()))
}

fn string_value(kind: Kind, meta: &Meta, key: &str, errors: &Errors) -> Option<LitStr> {
    let wrong = |tokens: &dyn ToTokens| {
        errors.at(
            tokens,
            format!("`{key}` of {} takes a string literal: {key} = \"{}\"", kind.attribute(), placeholder(key)),
        );
    };
    match meta {
        Meta::NameValue(pair) => match &pair.value {
            Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => Some(text.clone()),
            other => {
                wrong(other);
                None
            }
        },
        Meta::Path(path) => {
            errors.at(path, format!("`{key}` of {} needs a value: {key} = \"{}\"", kind.attribute(), placeholder(key)));
            None
        }
        Meta::List(list) => {
            wrong(list);
            None
        }
    }
}

fn placeholder(key: &str) -> &'static str {
    match key {
        "name" => "create_ticket",
        "display" => "create a ticket",
        "description" => "create a new ticket in Zendesk",
        "dedupe" => "10m",
        "cache" => "30s",
        _ => "/…",
    }
}

/// A display text or description is not blank: Talkdesk shows it to users.
fn check_text(key: &str, text: &LitStr, errors: &Errors) -> bool {
    let blank = text.value().trim().is_empty();
    if blank {
        errors.at(
            text,
            format!(
                "`{key}` of #[bridge::action_executor] must not be empty: Talkdesk shows it to users, e.g. {key} = \"{}\"",
                placeholder(key)
            ),
        );
    }
    !blank
}

/// A duration as an attribute writes it: a whole number and a unit, `ms`, `s`, `m` or `h` (`10m`, `30s`); in
/// milliseconds, at least one, at most a day.
fn duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let unit_ms = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    let ms = number.checked_mul(unit_ms)?;
    (1..=86_400_000).contains(&ms).then_some(ms)
}

/// A `dedupe` or `cache` duration reads as one ([`duration_ms`]).
fn check_duration(kind: Kind, key: &str, text: &LitStr, errors: &Errors) -> bool {
    let valid = duration_ms(&text.value()).is_some();
    if !valid {
        errors.at(
            text,
            format!(
                "`{key}` of {} takes a duration from 1ms to 24h: a whole number and `ms`, `s`, `m` or `h`, e.g. \
                 {key} = \"{}\"",
                kind.attribute(),
                placeholder(key)
            ),
        );
    }
    valid
}

/// A path is `/` followed by one or more non-empty segments of URL-safe characters, and not `/health`.
fn check_path(kind: Kind, path: &LitStr, errors: &Errors) -> bool {
    let text = path.value();
    let problem = if !text.starts_with('/') {
        Some("must start with `/`")
    } else if text == "/" || text.ends_with('/') || text.contains("//") {
        Some("must be `/` followed by non-empty segments, without a trailing `/`")
    } else if !text[1..]
        .split('/')
        .all(|segment| segment.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)))
    {
        Some("may only contain ASCII letters, digits, `-`, `.`, `_`, `~` and `/`")
    } else if text[1..].split('/').any(|segment| segment == "." || segment == "..") {
        Some("may not contain `.` or `..` segments")
    } else if text == "/health" {
        Some("is kept by the bridge for its health check")
    } else {
        None
    };
    match problem {
        Some(problem) => {
            errors.at(path, format!("invalid path \"{text}\" in {}: it {problem}", kind.attribute()));
            false
        }
        None => true,
    }
}

/// An action name is 1 to 64 ASCII letters, digits, `_` or `-`: it becomes a path segment and a Talkdesk key.
fn check_action_name(name: &LitStr, errors: &Errors) -> bool {
    let text = name.value();
    let valid =
        !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        errors.at(
            name,
            format!(
                "invalid action name \"{text}\" in #[bridge::action_executor]: use 1 to 64 ASCII letters, digits, \
                 `_` or `-` (e.g. \"create_ticket\")"
            ),
        );
    }
    valid
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn messages(kind: Kind, args: TokenStream) -> Vec<String> {
        let errors = Errors::default();
        parse(kind, args, &errors);
        errors.into_messages()
    }

    #[test]
    fn accepts_valid_arguments() {
        let errors = Errors::default();
        let route = parse(Kind::Action, quote!(name = "create_ticket", path = "/v2/tickets"), &errors);
        assert_eq!(route.map(|r| (r.path, r.action)), Some(("/v2/tickets".into(), Some("create_ticket".into()))));
        let route = parse(Kind::Action, quote!(name = "create_ticket"), &errors);
        assert_eq!(route.map(|r| r.path).as_deref(), Some("/actions/create_ticket"));
        let route = parse(
            Kind::Action,
            quote!(name = "create_ticket", display = "create a ticket", description = "create a new ticket"),
            &errors,
        );
        let texts = route.map(|r| (r.display, r.description));
        assert_eq!(texts, Some((Some("create a ticket".into()), Some("create a new ticket".into()))));
        let route = parse(Kind::ContactSync, quote!(), &errors);
        assert_eq!(route.map(|r| (r.path, r.action)), Some(("/contact_sync".into(), None)));
        assert_eq!(errors.count(), 0);
    }

    #[test]
    fn dedupe_and_cache_take_durations() {
        let errors = Errors::default();
        let route = parse(Kind::Action, quote!(name = "create_ticket", dedupe = "10m"), &errors);
        assert_eq!(route.and_then(|r| r.remember_ms), Some(600_000));
        let route = parse(Kind::InteractionRetrieval, quote!(cache = "30s"), &errors);
        assert_eq!(route.and_then(|r| r.remember_ms), Some(30_000));
        assert_eq!(errors.count(), 0);
        for (text, ms) in [("500ms", Some(500)), ("1h", Some(3_600_000)), ("24h", Some(86_400_000))] {
            assert_eq!(duration_ms(text), ms, "{text}");
        }
        for bad in ["", "10", "m", "0s", "25h", "1.5s", "-1s", "10 minutes", "99999999999999999999h"] {
            assert_eq!(duration_ms(bad), None, "{bad}");
        }
        let found = messages(Kind::Action, quote!(name = "a", dedupe = "soon"));
        assert!(found[0].contains("`dedupe` of #[bridge::action_executor] takes a duration"), "{found:?}");
        let found = messages(Kind::ContactSync, quote!(cache = "30s"));
        assert!(found[0].contains("`cache` is not an argument of #[bridge::contact_retriever]"), "{found:?}");
        let found = messages(Kind::InteractionRetrieval, quote!(dedupe = "30s"));
        assert!(found[0].contains("it accepts `path` and `cache`"), "{found:?}");
    }

    #[test]
    fn an_action_needs_a_name() {
        let found = messages(Kind::Action, quote!(path = "/tickets"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("needs the action's name"));
        // A misspelt `name` is reported as such, not also as a missing name.
        let found = messages(Kind::Action, quote!(nmae = "create_ticket"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("`nmae` is not an argument"));
    }

    #[test]
    fn collects_every_mistake() {
        let found = messages(Kind::ContactSync, quote!(path = "/a", path = "/b", name = "x", timeout = 5, path = 3));
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found[0].contains("given twice"));
        assert!(found[1].contains("`name` is not an argument"));
        assert!(found[2].contains("`timeout` is not an argument"));
        assert!(found[3].contains("takes a string literal"));
    }

    #[test]
    fn refuses_bad_paths_and_names() {
        for path in ["a", "/", "/a/", "/a//b", "/a b", "/../x", "/health", "/é"] {
            let found = messages(Kind::AgentSync, quote!(path = #path));
            assert_eq!(found.len(), 1, "{path}: {found:?}");
        }
        let found = messages(Kind::Action, quote!(name = "a", display = " ", description = 3));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("`display` of #[bridge::action_executor] must not be empty"));
        assert!(found[1].contains("`description` of #[bridge::action_executor] takes a string literal"));
        let found = messages(Kind::ContactSync, quote!(display = "x"));
        assert!(found[0].contains("`display` is not an argument of #[bridge::contact_retriever]"), "{found:?}");
        for name in ["", "a b", "a/b", &"x".repeat(65)] {
            let found = messages(Kind::Action, quote!(name = #name));
            assert_eq!(found.len(), 1, "{name}: {found:?}");
        }
    }
}
