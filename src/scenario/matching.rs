//! "Contains" matching of JSON values, used by `expect.body` and `user.has`: an expected object
//! matches an actual object that has at least its keys with matching values; arrays match
//! element-wise with the same length; scalars match when equal.

use serde_json::Value;

/// Whether `actual` contains `expected`; on mismatch, the JSON path of the first difference.
pub(crate) fn contains(actual: &Value, expected: &Value) -> Result<(), String> {
    walk(actual, expected, "$")
}

fn walk(actual: &Value, expected: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, want_value) in want {
                let child = format!("{path}.{key}");
                match got.get(key) {
                    Some(got_value) => walk(got_value, want_value, &child)?,
                    None if want_value.is_null() => {}
                    None => return Err(format!("{child}: missing (expected {want_value})")),
                }
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(got)) => {
            if want.len() != got.len() {
                return Err(format!("{path}: expected {} items, got {}", want.len(), got.len()));
            }
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                walk(g, w, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (want, got) if want == got => Ok(()),
        (want, got) => Err(format!("{path}: expected {want}, got {got}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn objects_match_as_subsets() {
        let actual = json!({"email": "a@b.c", "identities": [{"connection": "x", "user_id": "1"}], "logins_count": 2});
        assert!(contains(&actual, &json!({"email": "a@b.c"})).is_ok());
        assert!(contains(&actual, &json!({"identities": [{"connection": "x"}]})).is_ok());
        assert_eq!(
            contains(&actual, &json!({"logins_count": 1})),
            Err("$.logins_count: expected 1, got 2".into())
        );
        assert_eq!(
            contains(&actual, &json!({"blocked": true})),
            Err("$.blocked: missing (expected true)".into())
        );
        assert!(
            contains(&actual, &json!({"blocked": null})).is_ok(),
            "null expects absence"
        );
    }
}
