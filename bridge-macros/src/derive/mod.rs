//! The two derives of the configuration, `#[derive(bridge::AuthFields)]` and `#[derive(bridge::ActionInputs)]`:
//! both read a struct with named fields, one entry per field, keyed by the field's JSON name (its serde name), and
//! share the steps below, every error collected and spanned on the user's token:
//!
//! - [`read`] checks the item is a struct with named fields and reads each field: its serde name (`rename`,
//!   `rename_all`), whether it is mandatory (not an `Option`, no `#[serde(default)]`), its doc comment and its
//!   `#[bridge(…)]` attribute, parsed by [`field_attr`];
//! - [`auth_fields`] and [`action_inputs`] check what each derive needs and write the impl.
//!
//! When there are errors, the impl is still written, empty, so that the user's type keeps implementing the trait
//! and nothing else is reported.

pub(crate) mod action_inputs;
pub(crate) mod auth_fields;
mod field_attr;
mod serde_name;

use crate::errors::Errors;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::{Attribute, Data, DeriveInput, Expr, ExprLit, Fields, Ident, Lit, Meta, Type};

pub(crate) use field_attr::{FieldAttr, KeyKind, KeySpec};

/// One field of the struct, read.
pub(crate) struct Field<'a> {
    /// The field's name, for spans.
    pub(crate) ident: &'a Ident,
    /// Its name in JSON (serde's).
    pub(crate) key: String,
    /// Whether a value is required: not an `Option`, no `#[serde(default)]`.
    pub(crate) mandatory: bool,
    /// The first paragraph of its doc comment, if any.
    pub(crate) doc: Option<String>,
    /// Its `#[bridge(…)]` keys.
    pub(crate) attr: FieldAttr,
}

/// What a derive is, for messages.
#[derive(Clone, Copy)]
pub(crate) struct Derive {
    /// `AuthFields`.
    pub(crate) name: &'static str,
    /// What each field becomes: "auth field", "action input".
    pub(crate) entry: &'static str,
    /// The keys its field attribute accepts.
    pub(crate) keys: &'static [KeySpec],
}

impl Derive {
    /// `#[derive(bridge::AuthFields)]`, for messages.
    pub(crate) fn attribute(self) -> String {
        format!("#[derive(bridge::{})]", self.name)
    }
}

/// Reads the fields of `input`, recording every problem; `None` when the item is not a struct with named fields.
pub(crate) fn read<'a>(derive: Derive, input: &'a DeriveInput, errors: &Errors) -> Option<Vec<Field<'a>>> {
    for attr in input.attrs.iter().filter(|attr| attr.path().is_ident("bridge")) {
        errors.at(
            attr,
            format!("{} takes `#[bridge(…)]` on the struct's fields, not on the struct itself", derive.attribute()),
        );
    }
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named,
            Fields::Unnamed(_) | Fields::Unit => {
                let (ident, fields) = (&input.ident, &data.fields);
                errors.at(
                    quote!(#ident #fields),
                    format!(
                        "{} goes on a struct with named fields: each field becomes an {} keyed by its name",
                        derive.attribute(),
                        derive.entry
                    ),
                );
                return None;
            }
        },
        Data::Enum(data) => {
            let (keyword, ident) = (data.enum_token, &input.ident);
            errors.at(
                quote!(#keyword #ident),
                format!("{} goes on a struct with named fields, not on an enum", derive.attribute()),
            );
            return None;
        }
        Data::Union(data) => {
            let (keyword, ident) = (data.union_token, &input.ident);
            errors.at(
                quote!(#keyword #ident),
                format!("{} goes on a struct with named fields, not on a union", derive.attribute()),
            );
            return None;
        }
    };
    let rename_all = serde_name::rename_all(&input.attrs);
    let mut read = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else { continue };
        let attr = field_attr::parse(derive, &field.attrs, errors);
        let serde = serde_name::field(&field.attrs);
        if serde.skipped {
            if let Some((key, _)) = attr.first() {
                errors.at(key, format!("this field is skipped by serde: it is not an {}", derive.entry));
            }
            continue;
        }
        if let Some(flatten) = serde.flatten {
            errors.at(
                flatten,
                format!("{} cannot describe a `#[serde(flatten)]` field: list its fields here", derive.attribute()),
            );
            continue;
        }
        let key = serde.rename.unwrap_or_else(|| rename_all.apply(&ident.unraw().to_string()));
        let mandatory = !serde.default && !is_option(&field.ty);
        read.push(Field { ident, key, mandatory, doc: doc_comment(&field.attrs), attr });
    }
    Some(read)
}

/// The impl of `trait_path` for the user's type, with `body` as the trait's one function.
fn impl_for(input: &DeriveInput, trait_path: TokenStream, body: TokenStream) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    crate::exports::in_contract_scope(quote! {
        #[automatically_derived]
        impl #impl_generics #trait_path for #ident #ty_generics #where_clause {
            #body
        }
    })
}

/// The first paragraph of the doc comment, its lines joined by spaces; `None` when there is none.
pub(crate) fn doc_comment(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("doc")) {
        if let Meta::NameValue(pair) = &attr.meta {
            if let Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) = &pair.value {
                lines.extend(text.value().split('\n').map(|line| line.trim().to_owned()));
            }
        }
    }
    let paragraph: Vec<String> =
        lines.into_iter().skip_while(String::is_empty).take_while(|line| !line.is_empty()).collect();
    let text = paragraph.join(" ");
    (!text.is_empty()).then_some(text)
}

/// A label from a doc comment: its first paragraph without a final period.
fn doc_label(doc: &str) -> String {
    doc.strip_suffix('.').filter(|rest| !rest.ends_with('.')).unwrap_or(doc).trim().to_owned()
}

/// Whether `ty` is an `Option<…>` (by its last path segment, as serde does for `default`).
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().is_some_and(|segment| segment.ident == "Option")
        }
        Type::Group(group) => is_option(&group.elem),
        Type::Paren(paren) => is_option(&paren.elem),
        _ => false,
    }
}

/// What a derive implements: `fn #function() -> Vec<#entry_type>`, the one function of `trait_path`.
pub(crate) struct Implements {
    pub(crate) trait_path: TokenStream,
    pub(crate) function: &'static str,
    pub(crate) entry_type: TokenStream,
}

/// The whole expansion of a derive: the fields read, each turned into an entry by `entry`, and the trait's function
/// returning them, followed by every error. With errors the function returns no entries: the impl keeps the type
/// usable, so that nothing else is reported.
pub(crate) fn expand(
    derive: Derive,
    input: TokenStream,
    implements: Implements,
    entry: impl Fn(&Field<'_>, &Errors) -> Option<TokenStream>,
) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let errors = Errors::default();
    let fields = read(derive, &input, &errors);
    let entries: Vec<TokenStream> = fields.iter().flatten().filter_map(|field| entry(field, &errors)).collect();
    let Implements { trait_path, function, entry_type } = implements;
    let function = Ident::new(function, Span::call_site());
    let returned =
        if errors.count() == 0 { quote!(::std::vec![#(#entries),*]) } else { quote!(::std::vec::Vec::new()) };
    let body = quote! {
        fn #function() -> ::std::vec::Vec<#entry_type> {
            #returned
        }
    };
    let impl_tokens = impl_for(&input, trait_path, body);
    let compile_errors = errors.into_compile_errors();
    quote! {
        #impl_tokens
        #compile_errors
    }
}

/// The text a field shows the user: its `key` attribute (`display`, `name`), else its doc comment. `None` when it
/// has neither (reported here, on the field, as a missing `noun`) or when the attribute's value was refused
/// (reported already).
pub(crate) fn label(derive: Derive, field: &Field<'_>, key: &str, noun: &str, errors: &Errors) -> Option<String> {
    match (field.attr.str(key), &field.doc) {
        (Some(value), _) => Some(value.value()),
        (None, Some(doc)) => Some(doc_label(doc)),
        (None, _) if field.attr.written(key) => None,
        (None, None) => {
            errors.at(
                field.ident,
                format!(
                    "the {} `{}` needs a {noun} to show the user: add `#[bridge({key} = \"…\")]` or a doc comment",
                    derive.entry, field.key
                ),
            );
            None
        }
    }
}

/// Snapshots of the derives' expansions, beside the endpoints' (see `crate::expand`): regenerate them with
/// `UPDATE_SNAPSHOTS=1 cargo test -p bridge-macros snapshot` and read the diff.
#[cfg(test)]
mod snapshots {
    use crate::expand::snapshots::compare;
    use quote::quote;

    #[test]
    fn snapshot_derive_auth_fields() {
        let item = quote! {
            #[derive(Deserialize, bridge::AuthFields)]
            #[serde(rename_all = "camelCase")]
            pub struct Credentials {
                #[bridge(display = "Account", format = "https://{{account}}.zendesk.com")]
                account: String,
                /// Agent Email
                agent_email: String,
                #[bridge(display = "API Token", help = "Find under Settings > Channels", store = true)]
                #[serde(rename = "token")]
                api_token: Secret,
                /// Region.
                region: Option<String>,
                #[serde(skip)]
                cache: Cache,
            }
        };
        compare("derive_auth_fields", super::auth_fields::derive(item));
    }

    #[test]
    fn snapshot_derive_action_inputs() {
        let item = quote! {
            #[derive(Deserialize, bridge::ActionInputs)]
            struct TicketInputs<'a, T: Priority> where T: Clone {
                #[bridge(name = "Ticket subject")]
                subject: &'a str,
                /// Ticket description
                description: String,
                #[bridge(name = "Priority")]
                #[serde(default)]
                priority: T,
            }
        };
        compare("derive_action_inputs", super::action_inputs::derive(item));
    }

    /// With errors: an empty impl, and every message.
    #[test]
    fn snapshot_derive_with_errors() {
        let item = quote! {
            struct Credentials {
                #[bridge(display = "Account", store = "yes", colour = "red")]
                account: String,
                token: String,
            }
        };
        compare("derive_with_errors", super::auth_fields::derive(item));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn doc_comments_give_their_first_paragraph() {
        let attrs: Vec<Attribute> = parse_quote! {
            /// The ticket's
            /// subject.
            ///
            /// More.
        };
        assert_eq!(doc_comment(&attrs).as_deref(), Some("The ticket's subject."));
        assert_eq!(doc_label("The ticket's subject."), "The ticket's subject");
        assert_eq!(doc_label("And so on..."), "And so on...");
        assert_eq!(doc_comment(&[]), None);
    }

    #[test]
    fn options_are_optional() {
        assert!(is_option(&parse_quote!(Option<String>)));
        assert!(is_option(&parse_quote!(std::option::Option<u8>)));
        assert!(!is_option(&parse_quote!(String)));
    }
}
