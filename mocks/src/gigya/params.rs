//! Request parameters (gigya.md §1.2): form fields from the body and the query string, every value
//! a string, objects and arrays as JSON text in a field, booleans as `true`/`false`.
//!
//! The fields are kept as received (order, duplicates, exact names), because the request
//! signature is computed over exactly those (§1.4). Lookups ignore the case of parameter names:
//! Gigya documents both `apiKey` and `APIKey`, `UID` and `uid`, and the SDKs send either.

use serde_json::{Map, Value};

use super::error::GigyaError;

/// The parameters of one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    fields: Vec<(String, String)>,
}

impl Params {
    /// Parameters from a query string and a form body (query first).
    pub(crate) fn parse(query: Option<&str>, body: &[u8]) -> Self {
        let mut fields: Vec<(String, String)> = Vec::new();
        if let Some(query) = query {
            fields.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        }
        fields.extend(form_urlencoded::parse(body).into_owned());
        Self { fields }
    }

    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self {
            fields: pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        }
    }

    /// Every field as received.
    pub(crate) fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The first value of `name` (any case), as sent (possibly empty).
    pub(crate) fn raw(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    /// A required, non-empty value.
    pub(crate) fn require(&self, name: &str) -> Result<&str, GigyaError> {
        self.get(name).ok_or_else(|| GigyaError::missing(name))
    }

    /// A boolean (`true`/`false`, any case, also `1`/`0`); absent → `None`.
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, GigyaError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(Some(false)),
            Some(v) => Err(GigyaError::invalid(name, format!("expected true or false, got '{v}'"))),
        }
    }

    /// A JSON object sent as text; absent → `None`.
    pub(crate) fn object(&self, name: &str) -> Result<Option<Map<String, Value>>, GigyaError> {
        match self.get(name) {
            None => Ok(None),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => Ok(Some(map)),
                Ok(Value::Null) => Ok(None),
                Ok(_) => Err(GigyaError::invalid(name, "expected a JSON object")),
                Err(e) => Err(GigyaError::invalid(name, format!("not valid JSON: {e}"))),
            },
        }
    }

    /// A comma-separated list (blank items dropped); absent → `None`.
    pub(crate) fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_are_merged_and_names_ignore_case() {
        let p = Params::parse(
            Some("apiKey=3_x&format=json"),
            b"UID=abc&profile=%7B%22a%22%3A1%7D&flag=TRUE",
        );
        assert_eq!(p.get("APIKey"), Some("3_x"));
        assert_eq!(p.get("uid"), Some("abc"));
        assert_eq!(p.object("profile").expect("json").expect("present")["a"], 1);
        assert_eq!(p.bool("flag").expect("bool"), Some(true));
        assert!(p.bool("format").is_err());
        assert_eq!(p.fields().len(), 5);
    }

    #[test]
    fn bad_json_names_the_parameter() {
        let p = Params::parse(None, b"data=%7Bnope");
        let err = p.object("data").expect_err("invalid JSON");
        assert_eq!(err.code(), 400_006);
        assert!(err.details().contains("data"), "{}", err.details());
    }
}
