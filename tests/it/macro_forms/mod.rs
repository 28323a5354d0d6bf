//! Every accepted form of the `#[bridge::…]` macros and the configuration derives, compiled as users write them
//! (warnings denied: generated code must not warn) and run. They were trybuild's pass fixtures; here they share
//! the integration tests' build, and trybuild's own project (`bridge-macros/tests/ui`, the compile-fail fixtures)
//! only type-checks (`cargo check`) instead of building and linking every dependency a second time.
//!
//! One module per form (several forms may share one), each with its own names, as a user's crate would have them.

mod callable_directly;
mod configuration;
mod every_kind;
mod inside_macro_rules;
mod parameters;
mod path_override;
mod paths_aliases_and_attributes;
mod return_types;
mod state_and_patterns;
mod visibility;
