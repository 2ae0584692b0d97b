//! `/docs`: the OpenAPI document as one HTML page, written on the server from the document
//! itself. No script and no asset from elsewhere: the stylesheet is served beside it.
use std::fmt::Write;

use serde_json::{Map, Value};

pub const CSS: &str = include_str!("docs.css");

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Inline Markdown of the descriptions: only `code` spans.
fn prose(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{part}</code>") } else { part.to_string() })
        .collect()
}

fn anchor(kind: &str, name: &str) -> String {
    let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("{kind}-{safe}")
}

/// A schema in one line: a link for a `$ref`, the type otherwise, with its pattern or values.
fn type_of(schema: &Value) -> String {
    let mut text = kind_of(schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(|v| format!("<code>{}</code>", escape(&v.to_string()))).collect();
        let _ = write!(text, " ({})", values.join(", "));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        let _ = write!(text, " <code class=\"pattern\">{}</code>", escape(pattern));
    }
    text
}

fn kind_of(schema: &Value) -> String {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()) {
        return format!("<a href=\"#{}\">{}</a>", anchor("schema", name), escape(name));
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            return options.iter().map(type_of).collect::<Vec<_>>().join(" | ");
        }
    }
    let kinds = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.clone()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => vec!["any".to_string()],
    };
    kinds
        .iter()
        .map(|kind| match kind.as_str() {
            "array" => format!("array of {}", schema.get("items").map_or("any".into(), type_of)),
            "object" => match schema.get("additionalProperties") {
                Some(values @ Value::Object(_)) => format!("map of {}", type_of(values)),
                _ => "object".into(),
            },
            other => escape(other),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn properties_table(out: &mut String, schema: &Value) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        let _ = write!(out, "<p class=\"type\">{}</p>", type_of(schema));
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map_or(vec![], |r| r.iter().filter_map(Value::as_str).collect());
    out.push_str("<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>");
    for (name, property) in properties {
        let description = property.get("description").and_then(Value::as_str).unwrap_or("");
        let mark = if required.contains(&name.as_str()) { " <span class=\"req\">required</span>" } else { "" };
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{mark}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            type_of(property),
            prose(description)
        );
    }
    out.push_str("</tbody></table>");
}

fn parameters_table(out: &mut String, parameters: &[Value]) {
    if parameters.is_empty() {
        return;
    }
    out.push_str(
        "<table><thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>",
    );
    for p in parameters {
        let text = |key: &str| p.get(key).and_then(Value::as_str).unwrap_or("").to_string();
        let mark = if p["required"] == true { " <span class=\"req\">required</span>" } else { "" };
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{mark}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&text("name")),
            escape(&text("in")),
            type_of(&p["schema"]),
            prose(&text("description"))
        );
    }
    out.push_str("</tbody></table>");
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let id = op["operationId"].as_str().unwrap_or(path);
    let _ = write!(
        out,
        "<section class=\"op\" id=\"{}\"><h3><span class=\"method {method}\">{}</span> <code>{}</code></h3><p>{}</p>",
        anchor("op", id),
        method.to_uppercase(),
        escape(path),
        prose(op["summary"].as_str().unwrap_or(""))
    );
    if let Some(description) = op["description"].as_str() {
        let _ = write!(out, "<p class=\"description\">{}</p>", prose(description));
    }
    if op["security"].as_array().is_some_and(|s| s.is_empty()) {
        out.push_str("<p class=\"note\">No key needed.</p>");
    }
    parameters_table(out, op["parameters"].as_array().map_or(&[][..], Vec::as_slice));
    if let Some(content) = op["requestBody"]["content"].as_object() {
        for (media, body) in content {
            let _ = write!(out, "<h4>Body <small>{}</small></h4>", escape(media));
            properties_table(out, &body["schema"]);
        }
    }
    if let Some(example) = op["requestBody"]["content"]["application/json"].get("example") {
        example_block(out, "Example body, as delivered", example);
    }
    out.push_str("<h4>Answers</h4><ul class=\"answers\">");
    let mut examples = Vec::new();
    for (status, answer) in op["responses"].as_object().into_iter().flatten() {
        let content = answer["content"].as_object().and_then(|c| c.values().next());
        let _ = write!(
            out,
            "<li><b>{}</b> {} {}</li>",
            escape(status),
            prose(answer["description"].as_str().unwrap_or("")),
            content.map(|c| type_of(&c["schema"])).unwrap_or_default()
        );
        if let Some(example) = content.and_then(|c| c.get("example")) {
            examples.push((status.clone(), example));
        }
    }
    out.push_str("</ul>");
    for (status, example) in examples {
        example_block(out, &format!("Example {status} answer, from a real run"), example);
    }
    out.push_str("</section>");
}

/// A real answer or payload, folded (works without script).
fn example_block(out: &mut String, title: &str, example: &Value) {
    let text = serde_json::to_string_pretty(example).unwrap_or_default();
    let _ = write!(out, "<details><summary>{}</summary><pre>{}</pre></details>", escape(title), escape(&text));
}

/// An operation to show: its path, method and description.
type Entry = (String, String, Value);

/// Operations grouped by tag, in the order tags first appear by path.
fn by_tag(paths: &Map<String, Value>) -> Vec<(String, Vec<Entry>)> {
    let mut groups: Vec<(String, Vec<Entry>)> = Vec::new();
    for (path, methods) in paths {
        for (method, op) in methods.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or("Other").to_string();
            let entry = (path.clone(), method.clone(), op.clone());
            match groups.iter_mut().find(|(t, _)| *t == tag) {
                Some((_, ops)) => ops.push(entry),
                None => groups.push((tag, vec![entry])),
            }
        }
    }
    groups
}

pub fn render(document: &Value) -> String {
    let empty = Map::new();
    let paths = document["paths"].as_object().unwrap_or(&empty);
    let webhooks = document["webhooks"].as_object().unwrap_or(&empty);
    let schemas = document["components"]["schemas"].as_object().unwrap_or(&empty);
    let mut groups = by_tag(paths);
    let order: Vec<&str> =
        document["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    groups.sort_by_key(|(tag, _)| order.iter().position(|t| t == tag).unwrap_or(order.len()));
    groups.push((
        "Webhooks".into(),
        webhooks.iter().map(|(name, hook)| (name.clone(), "post".into(), hook["post"].clone())).collect(),
    ));

    let mut out = String::with_capacity(256 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Passbook API</title>\
         <link rel=\"stylesheet\" href=\"/docs/docs.css\"></head><body><nav><h1>Passbook API <small>{}</small></h1>\
         <p><a href=\"/openapi.json\">openapi.json</a></p>",
        escape(document["info"]["version"].as_str().unwrap_or(""))
    );
    for (tag, ops) in &groups {
        let _ = write!(out, "<h2>{}</h2><ul>", escape(tag));
        for (path, method, op) in ops {
            let id = op["operationId"].as_str().unwrap_or(path);
            let _ = write!(
                out,
                "<li><a href=\"#{}\"><span class=\"method {method}\">{}</span> {}</a></li>",
                anchor("op", id),
                method.to_uppercase(),
                escape(path)
            );
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "<h2><a href=\"#schemas\">Schemas</a></h2></nav><main><p class=\"lead\">{}</p>",
        prose(document["info"]["description"].as_str().unwrap_or(""))
    );
    for (tag, ops) in &groups {
        let _ = write!(out, "<h2>{}</h2>", escape(tag));
        for (path, method, op) in ops {
            operation(&mut out, method, path, op);
        }
    }
    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    for (name, schema) in schemas {
        let _ = write!(out, "<section class=\"schema\" id=\"{}\"><h3>{}</h3>", anchor("schema", name), escape(name));
        if let Some(description) = schema.get("description").and_then(Value::as_str) {
            let _ = write!(out, "<p>{}</p>", prose(description));
        }
        properties_table(&mut out, schema);
        out.push_str("</section>");
    }
    out.push_str("</main></body></html>");
    out
}
