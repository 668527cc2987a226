//! Steps that change the conditions the flow runs in: `fault` (a fault rule on a mock),
//! `clear_faults` (recovery) and `advance` (the shared clock).

use super::{Play, Played, Playing};
use crate::scenario::file::{AdvanceStep, ClearFaultsStep, FaultStep};
use crate::scenario::world::World;

impl Play for FaultStep {
    fn describe(&self) -> String {
        format!("fault {} {} {}", self.mock.as_str(), self.path, self.fault.describe())
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { fault(self, world) })
    }
}

/// Installs the rule on the mock's kit.
fn fault(step: &FaultStep, world: &World) -> Result<Played, String> {
    world.running_kit(step.mock)?.faults.add(step.rule());
    Ok(Played::done("installed"))
}

impl Play for ClearFaultsStep {
    fn describe(&self) -> String {
        format!("clear_faults {}", self.0.as_str())
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { clear_faults(self, world) })
    }
}

/// Removes every fault rule of the mock.
fn clear_faults(step: &ClearFaultsStep, world: &World) -> Result<Played, String> {
    world.running_kit(step.0)?.faults.clear();
    Ok(Played::done("cleared"))
}

impl Play for AdvanceStep {
    fn describe(&self) -> String {
        format!("advance {}", self.text)
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(async move { advance(self, world) })
    }
}

/// Moves the clock every mock shares (the duration was checked when the file was read).
fn advance(step: &AdvanceStep, world: &World) -> Result<Played, String> {
    world.clock.advance(step.by);
    Ok(Played::done("ok"))
}
