//! Steps that add seed data to a provider mock mid-scenario: `seed_okta`, `seed_stormpath`,
//! `seed_gigya` (a user replaced, say). Each takes the mock's own seed format.

use mocks::Provider;
use mocks::gigya::GigyaSeed;
use mocks::okta::OktaSeed;
use mocks::stormpath::StormpathSeed;

use super::{Play, Played, Playing};
use crate::scenario::world::{Running, World};

impl Play for OktaSeed {
    fn describe(&self) -> String {
        "seed_okta".into()
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { seed_more(&world.okta, self) })
    }
}

impl Play for StormpathSeed {
    fn describe(&self) -> String {
        "seed_stormpath".into()
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { seed_more(&world.stormpath, self) })
    }
}

impl Play for GigyaSeed {
    fn describe(&self) -> String {
        "seed_gigya".into()
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { seed_more(&world.gigya, self) })
    }
}

/// Seeds a running provider mock with more data.
fn seed_more<P: Provider>(running: &Running<P>, seed: &P::Seed) -> Result<Played, String>
where
    P::Seed: Clone,
{
    let (provider, _) = running
        .as_ref()
        .ok_or_else(|| format!("the scenario does not run the {0} mock (add a {0}: section)", P::NAME))?;
    provider
        .seed(seed.clone())
        .map_err(|e| format!("{} seed: {e}", P::NAME))?;
    Ok(Played::done("seeded"))
}
