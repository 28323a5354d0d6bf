//! What serde's attributes say about a field's JSON name: the key an auth field or an action input has in requests
//! is the name serde deserializes it from. Read leniently: serde reports its own attributes' mistakes, and keys
//! that do not change the name are ignored.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path};

/// What serde's attributes say about one field.
#[derive(Default)]
pub(crate) struct SerdeField {
    /// `rename = "…"` (or `rename(deserialize = "…")`).
    pub(crate) rename: Option<String>,
    /// `skip` or `skip_deserializing`: the field is not read from JSON.
    pub(crate) skipped: bool,
    /// `default` (or `default = "…"`): the field may be absent.
    pub(crate) default: bool,
    /// `flatten`, for its span.
    pub(crate) flatten: Option<Path>,
}

/// The serde attributes of a field.
pub(crate) fn field(attrs: &[Attribute]) -> SerdeField {
    let mut found = SerdeField::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                if let Some(name) = deserialize_name(&meta)? {
                    found.rename = Some(name);
                }
            } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_deserializing") {
                found.skipped = true;
            } else if meta.path.is_ident("default") {
                found.default = true;
                skip_value(&meta)?;
            } else if meta.path.is_ident("flatten") {
                found.flatten = Some(meta.path.clone());
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
    }
    found
}

/// The container's `rename_all` (or `rename_all(deserialize = "…")`).
pub(crate) fn rename_all(attrs: &[Attribute]) -> RenameAll {
    let mut rule = RenameAll::None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                if let Some(name) = deserialize_name(&meta)? {
                    rule = RenameAll::from_name(&name);
                }
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
    }
    rule
}

/// `key = "…"` or `key(deserialize = "…", serialize = "…")`: the deserialize name.
fn deserialize_name(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<String>> {
    if meta.input.peek(syn::Token![=]) {
        return Ok(Some(meta.value()?.parse::<LitStr>()?.value()));
    }
    let mut name = None;
    if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| {
            let value = inner.value()?.parse::<LitStr>()?.value();
            if inner.path.is_ident("deserialize") {
                name = Some(value);
            }
            Ok(())
        })?;
    }
    Ok(name)
}

/// Consumes `= value` or `(…)` after a key this module does not read.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// serde's `rename_all` rules, applied to a snake_case field name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RenameAll {
    None,
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameAll {
    fn from_name(name: &str) -> Self {
        match name {
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            // serde refuses anything else itself.
            _ => Self::None,
        }
    }

    /// The JSON name of the field `field` (as serde does for fields).
    pub(crate) fn apply(self, field: &str) -> String {
        match self {
            Self::None | Self::Snake => field.to_owned(),
            Self::Lower => field.to_ascii_lowercase(),
            Self::Upper | Self::ScreamingSnake => field.to_ascii_uppercase(),
            Self::Pascal => {
                let mut pascal = String::new();
                let mut capitalize = true;
                for ch in field.chars() {
                    if ch == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(ch.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(ch);
                    }
                }
                pascal
            }
            Self::Camel => {
                let pascal = Self::Pascal.apply(field);
                let mut chars = pascal.chars();
                chars.next().map(|first| first.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
            }
            Self::Kebab => field.replace('_', "-"),
            Self::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn reads_renames_and_skips() {
        let attrs: Vec<Attribute> = parse_quote! {
            #[serde(default = "x", rename(serialize = "a", deserialize = "b"), with = "m")]
        };
        let read = field(&attrs);
        assert_eq!(read.rename.as_deref(), Some("b"));
        assert!(read.default && !read.skipped);
        let skipped: Vec<Attribute> = parse_quote!(#[serde(skip_deserializing)]);
        assert!(field(&skipped).skipped);
        let flattened: Vec<Attribute> = parse_quote!(#[serde(flatten)]);
        assert!(field(&flattened).flatten.is_some());
        let container: Vec<Attribute> = parse_quote!(#[serde(deny_unknown_fields, rename_all = "camelCase")]);
        assert_eq!(rename_all(&container), RenameAll::Camel);
    }

    #[test]
    fn applies_serde_rules() {
        let cases = [
            (RenameAll::Camel, "api_token", "apiToken"),
            (RenameAll::Pascal, "api_token", "ApiToken"),
            (RenameAll::Kebab, "api_token", "api-token"),
            (RenameAll::ScreamingKebab, "api_token", "API-TOKEN"),
            (RenameAll::ScreamingSnake, "api_token", "API_TOKEN"),
            (RenameAll::Lower, "api_token", "api_token"),
            (RenameAll::None, "api_token", "api_token"),
        ];
        for (rule, field, expected) in cases {
            assert_eq!(rule.apply(field), expected, "{rule:?}");
        }
    }
}
