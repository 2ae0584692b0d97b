//! Whole numbers in request bodies. JSON has one number type, so `12.0` is as whole as `12`
//! (JSON Schema agrees); both are read, and a fraction is refused.
use serde::{Deserialize, Deserializer, de::Error};

pub fn option<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else { return Ok(None) };
    let whole = number.as_i64().or_else(|| {
        number.as_f64().filter(|f| f.fract() == 0.0 && (i64::MIN as f64..=i64::MAX as f64).contains(f)).map(whole_of)
    });
    let whole = whole.ok_or_else(|| D::Error::custom(format!("expected a whole number, got {number}")))?;
    T::try_from(whole).map(Some).map_err(|_| D::Error::custom(format!("{whole} is out of range")))
}

/// The integer a whole, in-range float stands for.
#[allow(clippy::cast_possible_truncation, reason = "called on whole numbers within range only")]
fn whole_of(f: f64) -> i64 {
    f as i64
}

/// Marks `fields` required in a struct's schema: `serde(default)` (which whole numbers need, to
/// be absent) would otherwise make them optional.
pub fn require(schema: &mut schemars::Schema, fields: &[&str]) {
    let Some(object) = schema.as_object_mut() else { return };
    if let Some(properties) = object.get_mut("properties").and_then(|p| p.as_object_mut()) {
        for field in fields {
            if let Some(property) = properties.get_mut(*field).and_then(|p| p.as_object_mut()) {
                property.remove("default");
            }
        }
    }
    let required = object.entry("required").or_insert_with(|| serde_json::json!([]));
    if let Some(required) = required.as_array_mut() {
        required.extend(fields.iter().map(|f| serde_json::Value::from(*f)));
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Term {
        #[serde(default, deserialize_with = "super::option")]
        term: Option<u32>,
    }

    fn term(json: &str) -> Result<Option<u32>, String> {
        serde_json::from_str::<Term>(json).map(|t| t.term).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_are_read_however_they_are_written() {
        assert_eq!(term(r#"{"term": 12}"#), Ok(Some(12)));
        assert_eq!(term(r#"{"term": 12.0}"#), Ok(Some(12)));
        assert_eq!(term(r#"{"term": null}"#), Ok(None));
        assert_eq!(term("{}"), Ok(None));
        assert!(term(r#"{"term": 12.5}"#).unwrap_err().contains("whole number"));
        assert!(term(r#"{"term": -1}"#).unwrap_err().contains("out of range"));
    }
}
