//! `ferry bench`: the benchmarks behind BENCHMARKS.md, measured on the machine at hand (never
//! as timed tests). Each benchmark prints what it measured, how, and the target it is held to;
//! `--json` gives the same as JSON for tooling.
//!
//! Run them on a release build: `cargo run --release -- bench <name>`.

pub mod gigya_bulk;
pub mod mocks_speed;
pub mod user_search;

/// Every mock on an ephemeral loopback port, as a benchmark starts them.
pub(crate) fn loopback() -> crate::serve::ServeOptions {
    crate::serve::ServeOptions {
        host: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        okta_port: 0,
        stormpath_port: 0,
        gigya_port: 0,
        auth0_port: 0,
    }
}

use std::time::Duration;

use serde::Serialize;

/// One measured number.
#[derive(Clone, Debug, Serialize)]
pub struct Measure {
    /// What was measured.
    pub name: String,
    pub value: f64,
    pub unit: String,
    /// The target, as text ("≤ 60 s"), and whether it was met.
    pub target: Option<String>,
    pub met: Option<bool>,
}

impl Measure {
    pub fn new(name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            target: None,
            met: None,
        }
    }

    /// At most `limit`.
    pub fn at_most(mut self, limit: f64) -> Self {
        self.target = Some(format!("≤ {} {}", trim(limit), self.unit));
        self.met = Some(self.value <= limit);
        self
    }

    /// At least `limit`.
    pub fn at_least(mut self, limit: f64) -> Self {
        self.target = Some(format!("≥ {} {}", trim(limit), self.unit));
        self.met = Some(self.value >= limit);
        self
    }
}

fn trim(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// A benchmark's result: its numbers and how they were obtained.
#[derive(Clone, Debug, Serialize)]
pub struct BenchResult {
    pub bench: String,
    /// The method, in a sentence or two.
    pub method: String,
    pub measures: Vec<Measure>,
    /// Notes worth keeping (where the time goes).
    pub notes: Vec<String>,
}

impl BenchResult {
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = format!("{}\n  method: {}\n", self.bench, self.method);
        for m in &self.measures {
            let verdict = match m.met {
                Some(true) => " ✓",
                Some(false) => " ✗",
                None => "",
            };
            let target = m
                .target
                .as_deref()
                .map(|t| format!("  (target {t})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<44} {:>12} {}{target}{verdict}",
                m.name,
                trim_value(m.value),
                m.unit
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        out
    }
}

fn trim_value(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Peak resident memory (VmHWM) of a process, in bytes, from /proc (Linux).
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// CPU time (user + system) a process has used so far, in seconds, from /proc (Linux): robust
/// where wall time is not, on a machine doing other work.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(|| "/proc/self/stat".to_owned(), |p| format!("/proc/{p}/stat"));
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux Ferry runs on.
    Some(ticks / 100.0)
}

/// Seconds of a duration, as a float.
pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
