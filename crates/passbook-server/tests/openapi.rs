//! `openapi.json` at the repository's root is the document the code builds. When this fails,
//! the API changed: look at the difference, then write the file again with
//! `cargo run -q -p passbook -- openapi > openapi.json` (or `PASSBOOK_WRITE_OPENAPI=1 cargo test -p passbook-server --test openapi`).
use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi.json")
}

#[test]
fn the_committed_document_is_the_one_the_code_builds() {
    let built = format!("{}\n", passbook_server::openapi_pretty());
    let path = committed_path();
    if std::env::var_os("PASSBOOK_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &built).expect("openapi.json is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != built {
        let first = committed.lines().zip(built.lines()).position(|(a, b)| a != b);
        panic!(
            "openapi.json differs from the document the code builds (first at line {}); \
             write it again with `cargo run -q -p passbook -- openapi > openapi.json`",
            first.map_or_else(|| "the end".to_string(), |n| (n + 1).to_string())
        );
    }
}

#[test]
fn every_operation_is_named_once_and_every_reference_resolves() {
    let document = passbook_server::openapi_document();
    let mut ids = std::collections::HashSet::new();
    for methods in document["paths"].as_object().unwrap().values() {
        for op in methods.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            assert!(!id.is_empty() && ids.insert(id.to_string()), "operationId {id:?} is empty or repeated");
            assert!(!op["summary"].as_str().unwrap().is_empty(), "{id} has no summary");
        }
    }
    assert!(ids.len() >= 40, "{} operations", ids.len());
    let text = serde_json::to_string(&document).unwrap();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = &reference[..reference.find('"').unwrap()];
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{target} is not a schema"));
        assert!(schemas.contains_key(name), "{target} does not resolve");
    }
    assert_eq!(document["webhooks"].as_object().unwrap().len(), 10);
}

#[test]
fn every_example_fits_its_schema() {
    let document = passbook_server::openapi_document();
    let mut examples = 0;
    for methods in document["paths"].as_object().unwrap().values() {
        for op in methods.as_object().unwrap().values() {
            for answer in op["responses"].as_object().unwrap().values() {
                let content = &answer["content"]["application/json"];
                if let Some(example) = content.get("example") {
                    passbook_server::openapi::conforms(&document, &content["schema"], example)
                        .unwrap_or_else(|e| panic!("{}: {e}", op["operationId"]));
                    examples += 1;
                }
            }
        }
    }
    for (event, hook) in document["webhooks"].as_object().unwrap() {
        let content = &hook["post"]["requestBody"]["content"]["application/json"];
        let example = content.get("example").unwrap_or_else(|| panic!("{event} has no example"));
        passbook_server::openapi::conforms(&document, &content["schema"], example)
            .unwrap_or_else(|e| panic!("{event}: {e}"));
    }
    assert!(examples >= 40, "{examples} operations have examples; write them with the contract test");
}
