//! Parsing and checking the attribute's arguments: `path = "/…"`, and for actions `name = "…"`.

use crate::errors::Errors;
use crate::kind::Kind;
use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Lit, LitStr, Meta, Token};

/// The checked arguments of one attribute.
pub(crate) struct Args {
    pub(crate) path: Option<LitStr>,
    pub(crate) name: Option<LitStr>,
}

/// Parses `args` for `kind`, recording every mistake in `errors`: an unknown key, a key given twice, a value that
/// is not a string literal, an invalid path or action name, and a missing `name` for actions.
pub(crate) fn parse(kind: Kind, args: TokenStream, errors: &Errors) -> Args {
    let mut parsed = Args { path: None, name: None };
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(err) => {
            errors.push(err);
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
            "name" if kind == Kind::ActionExecutor => &mut parsed.name,
            _ => {
                errors.at(key, unknown_key_message(kind, &format!("`{key_name}`")));
                continue;
            }
        };
        let Some(value) = string_value(&meta, &key_name, errors) else {
            continue;
        };
        if slot.is_some() {
            errors.at(key, format!("`{key_name}` is given twice"));
            continue;
        }
        let valid = match key_name.as_str() {
            "path" => check_path(&value, errors),
            _ => check_action_name(&value, errors),
        };
        if valid {
            *slot = Some(value);
        }
    }
    parsed
}

impl Args {
    /// The path the endpoint answers on.
    pub(crate) fn resolved_path(&self, kind: Kind) -> String {
        match (&self.path, &self.name) {
            (Some(path), _) => path.value(),
            (None, Some(name)) => format!("{}/{}", kind.default_path(), name.value()),
            (None, None) => kind.default_path().to_owned(),
        }
    }
}

/// Actions need a name; it is checked once the whole attribute is read, and reported on the attribute itself.
pub(crate) fn require_name(kind: Kind, args: &Args, attr_span: Span, errors: &Errors, had_errors: bool) {
    if kind == Kind::ActionExecutor && args.name.is_none() && !had_errors {
        errors.push(syn::Error::new(
            attr_span,
            "an action executor needs a name: #[bridge::action_executor(name = \"create_ticket\")]",
        ));
    }
}

fn unknown_key_message(kind: Kind, what: &str) -> String {
    let keys = kind.keys().iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    format!("{what} is not an argument of #[bridge::{}]; it accepts: {keys}", kind.macro_name())
}

fn string_value(meta: &Meta, key: &str, errors: &Errors) -> Option<LitStr> {
    match meta {
        Meta::NameValue(pair) => match &pair.value {
            Expr::Lit(expr) => match &expr.lit {
                Lit::Str(text) => Some(text.clone()),
                other => {
                    errors.at(other, format!("`{key}` takes a string literal: {key} = \"…\""));
                    None
                }
            },
            other => {
                errors.at(other, format!("`{key}` takes a string literal: {key} = \"…\""));
                None
            }
        },
        Meta::Path(path) => {
            errors.at(path, format!("`{key}` needs a value: {key} = \"…\""));
            None
        }
        Meta::List(list) => {
            errors.at(list, format!("`{key}` takes a string literal: {key} = \"…\""));
            None
        }
    }
}

/// A path is `/` followed by one or more non-empty segments of URL-safe characters, and not `/health`.
fn check_path(path: &LitStr, errors: &Errors) -> bool {
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
            errors.at(path, format!("invalid path \"{text}\": it {problem}"));
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
            format!("invalid action name \"{text}\": use 1 to 64 ASCII letters, digits, `_` or `-` (e.g. \"create_ticket\")"),
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
        errors.into_compile_errors().to_string().split("compile_error !").skip(1).map(|s| s.trim().to_owned()).collect()
    }

    #[test]
    fn accepts_valid_arguments() {
        let errors = Errors::default();
        let args = parse(Kind::ActionExecutor, quote!(name = "create_ticket", path = "/v2/tickets"), &errors);
        assert_eq!(errors.count(), 0);
        assert_eq!(args.resolved_path(Kind::ActionExecutor), "/v2/tickets");
        let args = parse(Kind::ActionExecutor, quote!(name = "create_ticket"), &errors);
        assert_eq!(args.resolved_path(Kind::ActionExecutor), "/actions/create_ticket");
    }

    #[test]
    fn collects_every_mistake() {
        let found =
            messages(Kind::ContactRetriever, quote!(path = "/a", path = "/b", name = "x", timeout = 5, path = 3));
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found[0].contains("given twice"));
        assert!(found[1].contains("`name` is not an argument"));
        assert!(found[2].contains("`timeout` is not an argument"));
        assert!(found[3].contains("takes a string literal"));
    }

    #[test]
    fn refuses_bad_paths_and_names() {
        for path in ["a", "/", "/a/", "/a//b", "/a b", "/../x", "/health", "/é"] {
            let found = messages(Kind::AgentRetriever, quote!(path = #path));
            assert_eq!(found.len(), 1, "{path}: {found:?}");
        }
        for name in ["", "a b", "a/b", &"x".repeat(65)] {
            let found = messages(Kind::ActionExecutor, quote!(name = #name));
            assert_eq!(found.len(), 1, "{name}: {found:?}");
        }
    }
}
