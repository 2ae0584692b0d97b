//! Does a JSON value have the shape a schema of the document gives it? Types, required and listed
//! properties, items, `anyOf`/`oneOf`, `enum` and `$ref` are checked; patterns and bounds are
//! left to schemathesis. Tests use it on real answers and on the document's examples.
use serde_json::{Map, Value};

/// `Err` names the first place (a JSON pointer) where `value` does not fit `schema`.
pub fn conforms(document: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    check(document, schema, value, "")
}

fn check(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let Some(schema) = schema.as_object() else { return Ok(()) };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference.strip_prefix('#').and_then(|pointer| document.pointer(pointer));
        let target = target.ok_or_else(|| format!("{at}: {reference} does not resolve"))?;
        return check(document, target, value, at);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits = options.iter().any(|option| check(document, option, value, at).is_ok());
            if !fits {
                return Err(format!("{at}: fits none of the {key} options: {value}"));
            }
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(kinds) = schema.get("type") {
        let kinds: Vec<&str> = match kinds {
            Value::String(kind) => vec![kind],
            Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !kinds.is_empty() && !kinds.iter().any(|kind| is(kind, value)) {
            return Err(format!("{at}: expected {}, got {value}", kinds.join(" or ")));
        }
    }
    if let Some(object) = value.as_object() {
        check_object(document, schema, object, at)?;
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(document, items, item, &format!("{at}/{i}"))?;
        }
    }
    Ok(())
}

fn check_object(
    document: &Value,
    schema: &Map<String, Value>,
    object: &Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !object.contains_key(name) {
            return Err(format!("{at}: `{name}` is required"));
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, field) in object {
        let place = format!("{at}/{name}");
        match (properties.and_then(|p| p.get(name)), schema.get("additionalProperties")) {
            (Some(property), _) => check(document, property, field, &place)?,
            (None, Some(Value::Bool(false))) => return Err(format!("{place}: not in the schema")),
            (None, Some(extra @ Value::Object(_))) => check(document, extra, field, &place)?,
            (None, _) => {}
        }
    }
    Ok(())
}

fn is(kind: &str, value: &Value) -> bool {
    match kind {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::conforms;

    #[test]
    fn shapes_are_checked_through_references() {
        let document = json!({"components": {"schemas": {
            "Item": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "n": {"type": ["integer", "null"]}}},
            "Page": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}},
        }}});
        let page = json!({"$ref": "#/components/schemas/Page"});
        assert!(conforms(&document, &page, &json!({"data": [{"id": "a", "n": null}, {"id": "b", "n": 2}]})).is_ok());
        let missing = conforms(&document, &page, &json!({"data": [{"id": "a"}, {"n": 1}]})).unwrap_err();
        assert!(missing.contains("/data/1") && missing.contains("`id` is required"), "{missing}");
        let mistyped = conforms(&document, &page, &json!({"data": [{"id": "a", "n": 1.5}]})).unwrap_err();
        assert!(mistyped.contains("/data/0/n"), "{mistyped}");
        let choice = json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        assert!(conforms(&document, &choice, &json!(null)).is_ok());
        assert!(conforms(&document, &choice, &json!(1)).is_err());
    }
}
