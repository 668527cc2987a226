//! The published schema, compiled once, and its errors in Auth0's words.
//!
//! `schema/users-import.schema.json` is the JSON Schema Auth0 prints on its "User Data JSON
//! Schema for Bulk User Imports" page, unchanged (its source is in `schema/README.md`). It has
//! no `$schema`; Auth0 validates with z-schema, a draft-04 validator, so it is compiled as
//! draft-04 by boon (which passes the JSON-Schema-Test-Suite for that draft), with the `email`
//! format replaced by the one z-schema uses ([`crate::is_email`]).
//!
//! Each error becomes an [`Issue`] the way Auth0 reports a schema failure in a job's error
//! listing: z-schema's error code and message, after `Error in <path> property - ` where the
//! path is z-schema's JSON pointer written with dots and brackets (`mfa_factors[0].totp.secret`),
//! e.g. `Error in email property - Object didn't pass validation for format email: jane@`
//! (observed, community.auth0.com/t/102951). z-schema's message templates are in its
//! `src/Errors.js`; a parameter is put in as JavaScript's `String(value)` would, objects and
//! `null` as JSON (z-schema `src/Report.js`, since 3.3.3).
//!
//! Codes: Auth0 passes z-schema's codes through (observed `INVALID_FORMAT`), except where its
//! documented list of job error codes names another: z-schema's
//! `OBJECT_MISSING_REQUIRED_PROPERTY` is `OBJECT_REQUIRED` there. Its list says `FORMAT`
//! where real listings show `INVALID_FORMAT`; Ferry follows the observed one. Codes the list
//! lacks (`OBJECT_ADDITIONAL_PROPERTIES`, `OBJECT_PROPERTIES_MAXIMUM`) keep z-schema's name.

use std::borrow::Cow;
use std::error::Error;
use std::sync::LazyLock;

use boon::{Compiler, Draft, ErrorKind, Format, InstanceToken, SchemaIndex, Schemas, ValidationError};
use serde_json::Value;

use crate::Issue;

/// The schema document, as published.
pub const DOCUMENT: &str = include_str!("../schema/users-import.schema.json");

const LOCATION: &str = "urn:auth0:users-import";

struct Compiled {
    schemas: Schemas,
    index: SchemaIndex,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let document: Value = serde_json::from_str(DOCUMENT).expect("the bundled schema is JSON");
    let mut compiler = Compiler::new();
    compiler.set_default_draft(Draft::V4);
    compiler.register_format(Format {
        name: "email",
        func: email_format,
    });
    compiler
        .add_resource(LOCATION, document)
        .expect("the bundled schema has a valid location");
    let mut schemas = Schemas::new();
    let index = compiler
        .compile(LOCATION, &mut schemas)
        .expect("the bundled schema compiles");
    Compiled { schemas, index }
});

fn email_format(value: &Value) -> Result<(), Box<dyn Error>> {
    match value {
        Value::String(text) if !crate::is_email(text) => Err("not an email".into()),
        _ => Ok(()),
    }
}

/// Compiles the schema now rather than at the first user (a server calls it at start).
pub fn compile() {
    LazyLock::force(&COMPILED);
}

/// Appends the published schema's verdict on one user to `out`.
pub(crate) fn validate(user: &Value, out: &mut Vec<Issue>) {
    let compiled = &*COMPILED;
    if let Err(error) = compiled.schemas.validate(user, compiled.index) {
        collect(user, &error, out);
    }
}

/// The failures worth reporting: the innermost ones, except under `anyOf`, `oneOf` and `not`,
/// which z-schema reports as one error of their own.
fn collect(user: &Value, error: &ValidationError<'_, '_>, out: &mut Vec<Issue>) {
    match &error.kind {
        ErrorKind::Group | ErrorKind::Schema { .. } | ErrorKind::Reference { .. } | ErrorKind::AllOf => {
            for cause in &error.causes {
                collect(user, cause, out);
            }
        }
        kind => report(user, error, kind, out),
    }
}

fn report(user: &Value, error: &ValidationError<'_, '_>, kind: &ErrorKind<'_, '_>, out: &mut Vec<Issue>) {
    let path = path(&error.instance_location.tokens);
    let instance = instance(user, &error.instance_location.tokens);
    let mut push = |code: &str, message: String| out.push(Issue::at(code, &path, message));
    match kind {
        ErrorKind::Type { want, .. } => {
            let want: Vec<String> = want.iter().map(|t| t.to_string()).collect();
            push(
                "INVALID_TYPE",
                format!(
                    "Expected type {} but found type {}",
                    want.join(","),
                    type_name(instance)
                ),
            );
        }
        ErrorKind::Format { got, want, .. } => push(
            "INVALID_FORMAT",
            format!("Object didn't pass validation for format {want}: {}", param(got)),
        ),
        ErrorKind::Enum { .. } => push("ENUM_MISMATCH", format!("No enum match for: {}", param(instance))),
        ErrorKind::Const { .. } => push("ENUM_MISMATCH", format!("No enum match for: {}", param(instance))),
        ErrorKind::Required { want } => {
            // z-schema: one error per missing property
            for property in want {
                out.push(Issue::at(
                    "OBJECT_REQUIRED",
                    &path,
                    format!("Missing required property: {property}"),
                ));
            }
        }
        ErrorKind::AdditionalProperties { got } => {
            for property in got {
                out.push(Issue::at(
                    "OBJECT_ADDITIONAL_PROPERTIES",
                    &path,
                    format!("Additional properties not allowed: {property}"),
                ));
            }
        }
        ErrorKind::MaxProperties { got, want } => push(
            "OBJECT_PROPERTIES_MAXIMUM",
            format!("Too many properties defined ({got}), maximum {want}"),
        ),
        ErrorKind::MinProperties { got, want } => push(
            "OBJECT_PROPERTIES_MINIMUM",
            format!("Too few properties defined ({got}), minimum {want}"),
        ),
        ErrorKind::Dependency { prop, missing } | ErrorKind::DependentRequired { prop, missing } => {
            for key in missing {
                out.push(Issue::at(
                    "OBJECT_DEPENDENCY_KEY",
                    &path,
                    format!("Dependency failed - key must exist: {key} (due to key: {prop})"),
                ));
            }
        }
        ErrorKind::MinItems { got, want } => {
            push(
                "ARRAY_LENGTH_SHORT",
                format!("Array is too short ({got}), minimum {want}"),
            );
        }
        ErrorKind::MaxItems { got, want } => {
            push(
                "ARRAY_LENGTH_LONG",
                format!("Array is too long ({got}), maximum {want}"),
            );
        }
        ErrorKind::UniqueItems { got: [a, b] } => {
            push(
                "ARRAY_UNIQUE",
                format!("Array items are not unique (indexes {a} and {b})"),
            );
        }
        ErrorKind::AdditionalItems { .. } => push("ARRAY_ADDITIONAL_ITEMS", "Additional items not allowed".into()),
        ErrorKind::MinLength { want, .. } => push(
            "MIN_LENGTH",
            format!("String is too short ({} chars), minimum {want}", js_length(instance)),
        ),
        ErrorKind::MaxLength { want, .. } => push(
            "MAX_LENGTH",
            format!("String is too long ({} chars), maximum {want}", js_length(instance)),
        ),
        ErrorKind::Pattern { got, want } => push("PATTERN", format!("String does not match pattern {want}: {got}")),
        ErrorKind::Minimum { got, want } => push("MINIMUM", format!("Value {got} is less than minimum {want}")),
        ErrorKind::Maximum { got, want } => push("MAXIMUM", format!("Value {got} is greater than maximum {want}")),
        ErrorKind::ExclusiveMinimum { got, want } => push(
            "MINIMUM_EXCLUSIVE",
            format!("Value {got} is equal or less than exclusive minimum {want}"),
        ),
        ErrorKind::ExclusiveMaximum { got, want } => push(
            "MAXIMUM_EXCLUSIVE",
            format!("Value {got} is equal or greater than exclusive maximum {want}"),
        ),
        ErrorKind::MultipleOf { got, want } => push("MULTIPLE_OF", format!("Value {got} is not a multiple of {want}")),
        ErrorKind::AnyOf => push("ANY_OF_MISSING", "Data does not match any schemas from 'anyOf'".into()),
        ErrorKind::OneOf(None) => push("ONE_OF_MISSING", "Data does not match any schemas from 'oneOf'".into()),
        ErrorKind::OneOf(Some(_)) => push(
            "ONE_OF_MULTIPLE",
            "Data is valid against more than one schema from 'oneOf'".into(),
        ),
        ErrorKind::Not => push("NOT_PASSED", "Data matches schema from 'not'".into()),
        // Keywords of later drafts: a draft-04 schema has none of them (a test holds the
        // document to draft-04's keywords); should one appear, it is still reported.
        other => push("NOT_PASSED", other.to_string()),
    }
}

/// z-schema's path, as Auth0 writes it: `mfa_factors[0].totp.secret`.
fn path(tokens: &[InstanceToken<'_>]) -> String {
    let mut path = String::new();
    for token in tokens {
        match token {
            InstanceToken::Prop(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            InstanceToken::Item(i) => {
                path.push('[');
                path.push_str(&i.to_string());
                path.push(']');
            }
        }
    }
    path
}

fn instance<'v>(root: &'v Value, tokens: &[InstanceToken<'_>]) -> &'v Value {
    let mut value = root;
    for token in tokens {
        let next = match token {
            InstanceToken::Prop(name) => value.get(name.as_ref()),
            InstanceToken::Item(i) => value.get(*i),
        };
        match next {
            Some(next) => value = next,
            None => break,
        }
    }
    value
}

/// z-schema's `whatIs`: JSON numbers without a fraction are `integer` (JavaScript cannot tell
/// `1` from `1.0`).
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value as z-schema puts it into a message: objects and `null` as JSON, anything else as
/// JavaScript's `String(value)` (an array's items joined with commas).
pub(crate) fn param(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(text) => Cow::Borrowed(text),
        Value::Object(_) | Value::Null => Cow::Owned(value.to_string()),
        Value::Array(items) => Cow::Owned(
            items
                .iter()
                .map(|item| match item {
                    Value::Null => String::new(),
                    Value::Object(_) => "[object Object]".to_owned(),
                    other => param(other).into_owned(),
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Number(n) => Cow::Owned(n.to_string()),
    }
}

/// JavaScript's `string.length` (UTF-16 units), which z-schema prints in length messages.
fn js_length(value: &Value) -> usize {
    value.as_str().map_or(0, |text| text.chars().map(char::len_utf16).sum())
}
