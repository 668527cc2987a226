//! Mock Gigya (SAP Customer Data Cloud): to be built (see shared/reference/gigya.md).

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::kit::seed::SeedError;
use crate::kit::{Kit, Provider};

/// The mock Gigya site.
#[derive(Clone, Debug)]
pub struct Gigya {
    kit: Kit,
}

impl Gigya {
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

/// Seed data of the mock Gigya.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GigyaSeed {}

impl Provider for Gigya {
    const NAME: &'static str = "gigya";
    type Seed = GigyaSeed;

    fn kit(&self) -> &Kit {
        &self.kit
    }

    fn routes(&self) -> Router {
        Router::new()
    }

    fn seed(&self, _seed: GigyaSeed) -> Result<Value, SeedError> {
        Ok(json!({}))
    }

    fn reset(&self) {}

    fn fault_response(&self, status: StatusCode) -> Response {
        status.into_response()
    }
}
