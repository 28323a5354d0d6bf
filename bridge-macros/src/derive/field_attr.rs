//! The `#[bridge(key = value, …)]` attribute on a field of a derived struct: each derive lists the keys it accepts
//! and the type of their values; every mistake (an unknown key, a key given twice, in one attribute or across
//! several, a value of the wrong type, an empty string, a key without its value) is recorded on its own token.

use super::Derive;
use crate::errors::{listed, Errors};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitBool, LitStr, Meta, Token};

/// The type of a key's value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// A non-empty string literal.
    Str,
    /// `true` or `false`.
    Bool,
}

/// A key a field attribute accepts.
pub(crate) struct KeySpec {
    /// Its name.
    pub(crate) name: &'static str,
    /// The type of its value.
    pub(crate) kind: KeyKind,
    /// An example value, for messages (`"Account"`, `false`).
    pub(crate) example: &'static str,
}

/// A key's value, as written.
pub(crate) enum Value {
    Str(LitStr),
    Bool(LitBool),
}

/// The keys given on one field, in order.
#[derive(Default)]
pub(crate) struct FieldAttr {
    values: Vec<(Ident, Value)>,
    /// Keys written, valid or not: a key with a wrong value is reported once, not also as missing.
    written: Vec<&'static str>,
}

impl FieldAttr {
    /// The string given for `key`.
    pub(crate) fn str(&self, key: &str) -> Option<&LitStr> {
        self.values.iter().find_map(|(k, v)| match v {
            Value::Str(text) if k == key => Some(text),
            _ => None,
        })
    }

    /// The boolean given for `key`.
    pub(crate) fn bool(&self, key: &str) -> Option<&LitBool> {
        self.values.iter().find_map(|(k, v)| match v {
            Value::Bool(value) if k == key => Some(value),
            _ => None,
        })
    }

    /// Whether `key` is written, even with a value that was refused.
    pub(crate) fn written(&self, key: &str) -> bool {
        self.written.contains(&key)
    }

    /// The first key given, for spans.
    pub(crate) fn first(&self) -> Option<&(Ident, Value)> {
        self.values.first()
    }
}

/// Reads every `#[bridge(…)]` of a field.
pub(crate) fn parse(derive: Derive, attrs: &[Attribute], errors: &Errors) -> FieldAttr {
    let mut parsed = FieldAttr::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("bridge")) {
        let list = match &attr.meta {
            Meta::List(list) => list,
            other => {
                errors.at(other, format!("write the field attribute of {} as {}", derive.attribute(), example(derive)));
                continue;
            }
        };
        let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(list.tokens.clone()) {
            Ok(metas) => metas,
            Err(err) => {
                errors.push(syn::Error::new(
                    err.span(),
                    format!(
                        "the field attribute of {} takes `key = value` arguments ({err}), e.g. {}",
                        derive.attribute(),
                        example(derive)
                    ),
                ));
                continue;
            }
        };
        for meta in metas {
            let path = meta.path();
            let ident = path.get_ident();
            let Some((ident, spec)) =
                ident.and_then(|ident| Some((ident, derive.keys.iter().find(|spec| ident == spec.name)?)))
            else {
                let what = ident.map_or_else(|| "this key".to_owned(), |ident| format!("`{ident}`"));
                let accepted = listed(derive.keys.iter().map(|spec| spec.name));
                errors.at(path, format!("{what} is not a key of {}: it accepts {accepted}", derive.attribute()));
                continue;
            };
            parsed.written.push(spec.name);
            let Some(value) = value(derive, spec, &meta, errors) else { continue };
            if parsed.values.iter().any(|(key, _)| key == spec.name) {
                errors.at(ident, format!("`{}` is given twice on this field: keep one", spec.name));
                continue;
            }
            parsed.values.push((ident.clone(), value));
        }
    }
    parsed
}

fn value(derive: Derive, spec: &KeySpec, meta: &Meta, errors: &Errors) -> Option<Value> {
    let usage = format!("{} = {}", spec.name, spec.example);
    let expr = match meta {
        Meta::NameValue(pair) => &pair.value,
        Meta::Path(path) => {
            errors.at(path, format!("`{}` of {} needs a value: {usage}", spec.name, derive.attribute()));
            return None;
        }
        Meta::List(list) => {
            errors.at(list, format!("`{}` of {} takes a value: {usage}", spec.name, derive.attribute()));
            return None;
        }
    };
    let wanted = match spec.kind {
        KeyKind::Str => "a string literal",
        KeyKind::Bool => "`true` or `false`",
    };
    match (spec.kind, expr) {
        (KeyKind::Str, Expr::Lit(ExprLit { lit: Lit::Str(text), .. })) => {
            if text.value().trim().is_empty() {
                errors.at(text, format!("`{}` of {} must not be empty: {usage}", spec.name, derive.attribute()));
                return None;
            }
            Some(Value::Str(text.clone()))
        }
        (KeyKind::Bool, Expr::Lit(ExprLit { lit: Lit::Bool(value), .. })) => Some(Value::Bool(value.clone())),
        (_, other) => {
            errors.at(other, format!("`{}` of {} takes {wanted}: {usage}", spec.name, derive.attribute()));
            None
        }
    }
}

/// `#[bridge(display = "Account", …)]`: every key with its example.
fn example(derive: Derive) -> String {
    let keys: Vec<String> = derive.keys.iter().map(|spec| format!("{} = {}", spec.name, spec.example)).collect();
    format!("#[bridge({})]", keys.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    const KEYS: &[KeySpec] = &[
        KeySpec { name: "display", kind: KeyKind::Str, example: "\"Account\"" },
        KeySpec { name: "store", kind: KeyKind::Bool, example: "false" },
    ];
    const DERIVE: Derive = Derive { name: "AuthFields", entry: "auth field", keys: KEYS };

    fn messages(attrs: Vec<Attribute>) -> (FieldAttr, Vec<String>) {
        let errors = Errors::default();
        let parsed = parse(DERIVE, &attrs, &errors);
        (parsed, errors.into_messages())
    }

    #[test]
    fn reads_keys_across_attributes() {
        let (parsed, found) = messages(parse_quote! {
            #[serde(rename = "x")]
            #[bridge(display = "Account")]
            #[bridge(store = false)]
        });
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(parsed.str("display").map(LitStr::value).as_deref(), Some("Account"));
        assert_eq!(parsed.bool("store").map(|b| b.value), Some(false));
    }

    #[test]
    fn collects_every_mistake() {
        let (_, found) = messages(parse_quote! {
            #[bridge(display = "A", colour = "red", store = "yes", display = "B", help)]
            #[bridge]
            #[bridge(display = "")]
        });
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(found[0].contains("`colour` is not a key"));
        assert!(found[0].contains("accepts `display` and `store`"));
        assert!(found[1].contains("takes `true` or `false`"));
        assert!(found[2].contains("given twice"));
        assert!(found[3].contains("`help` is not a key"));
        assert!(found[4].contains("write the field attribute"));
        assert!(found[5].contains("must not be empty"));
    }
}
