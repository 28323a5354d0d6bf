//! The project's JSON Schemas of the configuration documents (`schemas/`), for the tests that check generated
//! documents against them.

use serde_json::Value;

/// The validator of `schemas/<name>.schema.json`.
pub fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/schemas/{name}.schema.json", env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

/// Fails with every violation (and where it is) unless `document` is valid against `schemas/<schema_name>`.
pub fn assert_valid(schema_name: &str, document: &Value) {
    let validator = schema(schema_name);
    let errors: Vec<String> =
        validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{schema_name}: {errors:#?}\n{document:#}");
}
