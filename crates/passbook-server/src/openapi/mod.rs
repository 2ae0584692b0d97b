//! The published contract: an OpenAPI 3.1 document built from the routing table
//! (`api::operations`), the wire types' JSON Schemas (`passbook-types`, derived with schemars) and
//! the webhook list. `openapi.json` at the repository's root is this document, checked by a test.
mod check;
mod docs;
mod operation;
mod webhooks;

use std::collections::BTreeMap;

use axum::response::IntoResponse;
use passbook_types::patterns;
use schemars::Schema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

pub use check::conforms;
use operation::{Answer, RequestBody};
pub use operation::{Operation, router};

const DESCRIPTION: &str = "Mono's v2 API as Passbook serves it, plus Passbook's own `/passbook/v1`. \
Code written against `https://api.withmono.com` runs against Passbook by changing the base URL. \
Every answer is JSON in Mono's envelope: `{\"status\":\"successful\",\"message\",\"timestamp\",\"data\",\"meta\"?}`, \
or `{\"status\":\"failed\",\"message\",\"timestamp\",\"data\":null}` (validation errors list \
`[{\"field\",\"message\"}]` in `data`) with the HTTP status of the failure. Every answer carries \
`x-request-id`. `POST` requests may carry an `Idempotency-Key` (the first answer is replayed for 24 hours \
for the same body; another body with the same key is refused with 409).";

/// Real answers and webhooks, kept by the contract test (`tests/it/contract.rs`): `operations`
/// by operation id, `webhooks` by event.
const EXAMPLES: &str = include_str!("examples.json");

/// Groups of operations, in the order a reader meets them.
const TAGS: &[(&str, &str)] = &[
    ("Linking", "Start a link, exchange the widget's code, see the sandbox's logins."),
    ("Partners API", "Link without the widget: your own screens drive the bank's login."),
    ("Accounts", "A linked account's details, balance, identity, transactions and statements."),
    ("Insights", "Income and creditworthiness; results arrive by webhook."),
    ("Customers", "The people and businesses whose accounts are linked."),
    ("Institutions", "The banks and platforms users can link."),
    ("Passbook", "Passbook's own API: statement files, webhook events and replays, settings."),
    ("Operations", "Health, readiness, metrics and this document."),
    ("Webhooks", "What Passbook POSTs to the app's webhook URL."),
];

/// The whole document of these operations (`crate::openapi_document` is the served one).
pub fn document(operations: &[Operation]) -> Value {
    let examples: Value = serde_json::from_str(EXAMPLES).expect("examples.json is JSON");
    let mut schemas = Schemas::new();
    // Every operation's failures refer to it.
    schemas.written.subschema_for::<passbook_types::Failure>();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for op in operations {
        let entry = paths.entry(op.path.to_string()).or_default();
        let mut described = describe(op, &mut schemas);
        if let (Answer::Json { status, .. }, Some(example)) = (&op.answer, examples["operations"].get(op.id)) {
            described["responses"][status.to_string()]["content"]["application/json"]["example"] = example.clone();
        }
        entry.insert(op.method.as_str().to_ascii_lowercase(), described);
    }
    let mut webhooks = webhooks::describe(&mut schemas);
    for (event, hook) in &mut webhooks {
        if let Some(example) = examples["webhooks"].get(event) {
            hook["post"]["requestBody"]["content"]["application/json"]["example"] = example.clone();
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Passbook",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "An open-source account-linking and financial-data server that speaks Mono's v2 API.",
            "description": DESCRIPTION,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": TAGS.iter().map(|(name, description)| json!({"name": name, "description": description})).collect::<Vec<_>>(),
        "paths": paths,
        "webhooks": webhooks,
        "components": {
            "schemas": schemas.finish(),
            "securitySchemes": {
                "secretKey": {"type": "apiKey", "in": "header", "name": "mono-sec-key",
                              "description": "The app's secret key (`test_sk_…` in sandbox mode)."},
            },
        },
    })
}

/// The document as a page (`GET /docs`), rendered from the document itself.
pub fn page(document: &Value) -> String {
    docs::render(document)
}

/// `GET /docs/docs.css`.
pub async fn serve_docs_css() -> impl IntoResponse {
    ([("content-type", "text/css; charset=utf-8")], docs::CSS)
}

/// Schemas of answers and webhooks describe what Passbook writes; schemas of requests what it
/// reads (fields with defaults are optional). Both go into `components/schemas`; a type used both
/// ways must read as it writes.
struct Schemas {
    written: SchemaGenerator,
    read: SchemaGenerator,
}

impl Schemas {
    fn new() -> Self {
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        });
        Self {
            written: settings.clone().for_serialize().into_generator(),
            read: settings.for_deserialize().into_generator(),
        }
    }

    fn finish(mut self) -> Map<String, Value> {
        let mut all = self.written.take_definitions(true);
        let mut clashes = Vec::new();
        for (name, schema) in self.read.take_definitions(true) {
            match all.get(&name) {
                Some(existing) if *existing != schema => clashes.push(name),
                _ => drop(all.insert(name, schema)),
            }
        }
        assert!(clashes.is_empty(), "{clashes:?} are both read and written, with different schemas: split them");
        all
    }
}

fn describe(op: &Operation, schemas: &mut Schemas) -> Value {
    let mut parameters: Vec<Value> = path_parameters(op.path);
    if let Some(query) = op.query {
        parameters.extend(query_parameters(query(&mut inline_reader())));
    }
    for (name, description, required) in &op.headers {
        parameters.push(json!({"name": name, "in": "header", "required": required,
                               "description": description, "schema": {"type": "string"}}));
    }
    if op.method == axum::http::Method::POST {
        parameters.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                               "description": "Replays the first answer for 24 hours when sent again with the same body.",
                               "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"}}));
    }
    if op.conditional {
        parameters.push(json!({"name": "If-None-Match", "in": "header", "required": false,
                               "description": "The `ETag` of an earlier answer: `304` while it is still current.",
                               "schema": {"type": "string"}}));
    }
    let mut out = json!({
        "operationId": op.id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses(op, schemas),
    });
    if !op.description.is_empty() {
        out["description"] = op.description.into();
    }
    out["security"] = if op.keyed { json!([{"secretKey": []}]) } else { json!([]) };
    if let Some(body) = request_body(&op.body, schemas) {
        out["requestBody"] = body;
    }
    out
}

/// A generator that writes every type in place, for query strings (one parameter per property).
fn inline_reader() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .for_deserialize()
        .into_generator()
}

/// Ids are 24 hexadecimal digits, but for events' (42 letters and digits, like Mono's).
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let pattern =
                if path.starts_with("/passbook/v1/events/") { "^[A-Za-z0-9]{42}$" } else { patterns::OBJECT_ID };
            json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "pattern": pattern}})
        })
        .collect()
}

fn query_parameters(schema: Schema) -> Vec<Value> {
    let object = schema.as_object().cloned().unwrap_or_default();
    let required: Vec<Value> = object.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    let properties = object.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    properties
        .into_iter()
        .map(|(name, mut schema)| {
            let description = schema.as_object_mut().and_then(|s| s.remove("description"));
            // A query string has no null: an absent parameter is how `None` is sent.
            if let Some(Value::Array(kinds)) = schema.get_mut("type") {
                kinds.retain(|kind| kind != "null");
                if let [only] = kinds.as_slice() {
                    schema["type"] = only.clone();
                }
            }
            // Every query value arrives as text; the domain parses and names what is wrong.
            let mut parameter = json!({"name": name, "in": "query", "required": required.contains(&json!(name)),
                                       "schema": schema});
            if let Some(description) = description {
                parameter["description"] = description;
            }
            parameter
        })
        .collect()
}

fn request_body(body: &RequestBody, schemas: &mut Schemas) -> Option<Value> {
    let (media, schema) = match body {
        RequestBody::None => return None,
        RequestBody::Json(schema) => ("application/json", schema(&mut schemas.read).to_value()),
        RequestBody::Fields => (
            "application/json",
            json!({"type": "object", "description": "The fields of the form the previous answer showed, by name.",
                   "additionalProperties": {"type": "string"}}),
        ),
        RequestBody::Multipart(properties) => ("multipart/form-data", properties()),
    };
    Some(json!({"required": true, "content": {media: {"schema": schema}}}))
}

fn failure(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}}}})
}

fn responses(op: &Operation, schemas: &mut Schemas) -> Value {
    let mut out = Map::new();
    match &op.answer {
        Answer::Json { status, description, schema } => {
            let schema = schema(&mut schemas.written).to_value();
            let mut answer = json!({"description": description, "content": {"application/json": {"schema": schema}}});
            if !op.links.is_empty() {
                let links: Map<String, Value> = op
                    .links
                    .iter()
                    .map(|link| {
                        let parameters: Map<String, Value> =
                            link.parameters.iter().map(|(name, value)| (name.to_string(), json!(value))).collect();
                        (link.name.to_string(), json!({"operationId": link.operation, "parameters": parameters}))
                    })
                    .collect();
                answer["links"] = links.into();
            }
            out.insert(status.to_string(), answer);
        }
        Answer::Other { media, description } => {
            let schema = json!({"type": "string", "contentMediaType": media});
            out.insert("200".into(), json!({"description": description, "content": {*media: {"schema": schema}}}));
        }
    }
    if op.conditional {
        out.insert("304".into(), json!({"description": "Not modified: the `If-None-Match` ETag is current."}));
    }
    out.insert("400".into(), failure("The request is invalid; the message names the field."));
    if op.keyed {
        out.insert("401".into(), failure("The `mono-sec-key` header is missing or wrong."));
    }
    if op.path.contains('{') {
        out.insert("404".into(), failure("Nothing with that id belongs to the app."));
    }
    out.insert("429".into(), failure("Too many requests; `Retry-After` says when to try again."));
    out.insert("default".into(), failure("Any other failure, in the failed envelope."));
    Value::Object(out)
}
