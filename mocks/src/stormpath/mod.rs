//! Mock Stormpath: to be built (see shared/reference/stormpath.md).

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::kit::seed::SeedError;
use crate::kit::{Kit, Provider};

/// The mock Stormpath site.
#[derive(Clone, Debug)]
pub struct Stormpath {
    kit: Kit,
}

impl Stormpath {
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

/// Seed data of the mock Stormpath.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StormpathSeed {}

impl Provider for Stormpath {
    const NAME: &'static str = "stormpath";
    type Seed = StormpathSeed;

    fn kit(&self) -> &Kit {
        &self.kit
    }

    fn routes(&self) -> Router {
        Router::new()
    }

    fn seed(&self, _seed: StormpathSeed) -> Result<Value, SeedError> {
        Ok(json!({}))
    }

    fn reset(&self) {}

    fn fault_response(&self, status: StatusCode) -> Response {
        status.into_response()
    }
}
