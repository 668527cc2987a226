//! The `api` step: any Management API call, with a Management API token, answered as the
//! tenant answers it (its rate limit included).

use super::{Play, Played, Playing, check};
use crate::scenario::file::ApiStep;
use crate::scenario::world::World;

impl Play for ApiStep {
    fn describe(&self) -> String {
        format!("api {} {}", self.method, self.path)
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(api(self, world))
    }
}

/// The call, its path's `{{variables}}` replaced; the answer checked against `expect`.
async fn api(step: &ApiStep, world: &mut World) -> Result<Played, String> {
    let path = world.vars.substitute(&step.path);
    let answer = world.api_once(step.method.as_str(), &path, step.body.as_ref()).await?;
    let failures = check(&step.expect, &answer, &world.vars);
    Ok(Played::new(answer.summary(), failures))
}
