//! Gigya bulk at scale: a generated population seeded into the mock Gigya, then `ferry migrate
//! gigya` run as its own process against the mocks — export, transform, validate, import jobs,
//! report — timed end to end, with the engine's peak memory read from /proc while it runs.
//! The mocks live in the bench process, so their memory is not the engine's. Via IdentitySync,
//! the export lands in a temporary directory (the mock's SFTP server), removed after the run.
//!
//! The mock Auth0 keeps its defaults — the free tier's Management API rate limit (burst 2, 2 a
//! second) and import jobs that take the time Auth0's take (2 s pending, 20,000 users an hour a
//! job, two at a time) — but its clock runs [`AUTH0_CLOCK_SPEED`] times as fast as the wall
//! clock (`settings.clock_speed`): a million users, a day of Auth0's import time, take about
//! 4.4 s of it, and the engine meets the limits and the jobs' timing as it would for real.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use mocks::Provider;
use mocks::auth0::MANAGEMENT_APP;
use serde_json::{Value, json};

use super::{BenchResult, Measure, cpu_seconds, peak_rss, secs};
use crate::generate::{Population, gigya_account};
use crate::serve::start;

/// A directory removed when the run ends, however it ends.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How many times faster than the wall clock the mock Auth0's clock runs in this bench. Fast
/// enough that a million users' jobs (88,650 s of Auth0's time at two jobs of 20,000 users an
/// hour) take a few seconds; slow enough that a finished job, which Auth0 forgets after 24 hours
/// (4.3 s here), is still there when the engine, busy packing the next file, reads it again.
pub const AUTH0_CLOCK_SPEED: f64 = 20_000.0;

/// The SFTP host the mock Gigya maps to the run's landing directory.
const SFTP_HOST: &str = "sftp.gigya-export.invalid";

/// Settings of the run.
#[derive(Clone, Debug)]
pub struct Options {
    pub count: u64,
    pub seed: u64,
    /// `search` or `identity-sync`.
    pub via: String,
    pub file_bytes: usize,
    /// Seconds between two reads of a job's status.
    pub poll: f64,
    /// Where the report goes (kept when given, else a temporary directory removed after).
    pub report: Option<std::path::PathBuf>,
}

pub async fn run(options: &Options) -> anyhow::Result<BenchResult> {
    let served = start(&super::loopback(), None).await?;
    served
        .auth0
        .seed(serde_json::from_value(json!({
            "settings": { "clock_speed": AUTH0_CLOCK_SPEED },
            "connections": [{ "name": "gigya-users" }],
        }))?)
        .map_err(|e| anyhow::anyhow!("seeding Auth0: {e}"))?;
    // Seeded in chunks, so that the generator's output is never held whole.
    let population = Population {
        count: options.count,
        seed: options.seed,
    };
    let seeding = Instant::now();
    let mut n = 1;
    while n <= options.count {
        let end = (n + 9_999).min(options.count);
        let accounts: Vec<Value> = (n..=end).map(|i| gigya_account(&population, i)).collect();
        served
            .gigya
            .seed(serde_json::from_value(json!({ "accounts": accounts }))?)
            .map_err(|e| anyhow::anyhow!("seeding Gigya: {e}"))?;
        n = end + 1;
    }
    let seeding = seeding.elapsed();

    let temp = std::env::temp_dir().join(format!("ferry-bench-gigya-{}", std::process::id()));
    let report = options.report.clone().unwrap_or_else(|| temp.clone());
    let _ = std::fs::remove_dir_all(&report);
    // IdentitySync uploads with its SFTP writer; the mock stands in for the SFTP server with a
    // directory of this run, which the engine reads as the mounted SFTP folder.
    let landing = Scratch(std::env::temp_dir().join(format!("ferry-bench-gigya-landing-{}", std::process::id())));
    let landing = &landing.0;
    let _ = std::fs::remove_dir_all(landing);
    std::fs::create_dir_all(landing).with_context(|| format!("creating {}", landing.display()))?;
    served
        .gigya
        .seed(serde_json::from_value(
            json!({ "settings": { "sftp_servers": { SFTP_HOST: landing } } }),
        )?)
        .map_err(|e| anyhow::anyhow!("seeding Gigya: {e}"))?;
    let gigya: std::collections::BTreeMap<String, String> = served.gigya.variables().into_iter().collect();
    let (client_id, client_secret) = served
        .auth0
        .client_credentials(MANAGEMENT_APP)
        .context("the mock's management application")?;
    let query = format!("SELECT * FROM accounts LIMIT {}", 10_000);
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args([
            "migrate",
            "gigya",
            "--connection",
            "gigya-users",
            "--via",
            &options.via,
            "--query",
            &query,
        ])
        .args(["--gigya-url", served.base_url("gigya").context("gigya url")?])
        .args(["--api-key", &gigya["api_key"], "--user-key", &gigya["user_key"]])
        .args([
            "--auth0-url",
            served.base_url("auth0").context("auth0 url")?,
            "--client-id",
            &client_id,
        ])
        .args([
            "--file-bytes",
            &options.file_bytes.to_string(),
            "--poll",
            &options.poll.to_string(),
        ])
        .arg("--report")
        .arg(&report)
        .args(["--sftp-host", SFTP_HOST, "--sftp-username", "ferry"])
        .arg("--landing-dir")
        .arg(landing)
        .env("FERRY_SFTP_PASSWORD", "ferry-mock-sftp")
        .env("FERRY_GIGYA_SECRET", &gigya["secret"])
        .env("FERRY_AUTH0_CLIENT_SECRET", client_secret)
        .stdout(std::process::Stdio::null())
        .stderr(if std::env::var_os("FERRY_BENCH_SHOW").is_some() {
            std::process::Stdio::inherit()
        } else {
            std::process::Stdio::piped()
        })
        .spawn()
        .context("starting ferry migrate gigya")?;
    let started = Instant::now();
    let mocks_cpu_before = cpu_seconds(None).unwrap_or(0.0);
    // The child's progress lines are read as they come (the last 16 KB kept for an error
    // message): a pipe nobody drains fills up and stops the child at its next line.
    let stderr_reader = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            use std::io::Read;
            let mut tail: Vec<u8> = Vec::new();
            let mut chunk = [0u8; 8192];
            while let Ok(n) = err.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > 32 * 1024 {
                    tail.drain(..tail.len() - 16 * 1024);
                }
            }
            String::from_utf8_lossy(&tail).into_owned()
        })
    });
    let mut peak = 0u64;
    let mut engine_cpu = 0.0f64;
    let status = loop {
        if let Some(rss) = peak_rss(child.id()) {
            peak = peak.max(rss);
        }
        if let Some(cpu) = cpu_seconds(Some(child.id())) {
            engine_cpu = engine_cpu.max(cpu);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let elapsed = started.elapsed();
    let mocks_cpu = cpu_seconds(None).unwrap_or(0.0) - mocks_cpu_before;
    let stderr = stderr_reader.and_then(|reader| reader.join().ok()).unwrap_or_default();
    let summary: Value = std::fs::read_to_string(report.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .with_context(|| format!("the run left no summary (exit {status}): {stderr}"))?;
    let users = served.auth0.users().len() as u64;
    served.shutdown().await;
    if options.report.is_none() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    let totals = &summary["totals"];
    let exported = totals["exported"].as_u64().unwrap_or(0);
    if exported != options.count {
        bail!("the run exported {exported} of {} accounts: {stderr}", options.count);
    }
    let imported = ["inserted", "updated", "inserted_or_updated"]
        .iter()
        .map(|k| totals[k].as_u64().unwrap_or(0))
        .sum::<u64>();
    if imported != users {
        bail!("the report says {imported} imported, the Auth0 mock holds {users} users");
    }
    let mut result = BenchResult {
        bench: format!("gigya-bulk: {} accounts via {}", options.count, options.via),
        method: format!(
            "population generated with seed {} and seeded into the in-process mock Gigya (not timed); `ferry migrate gigya` run as a child process against the mocks, --file-bytes {} --poll {}; wall time from spawn to exit; the child's VmHWM polled every 10 ms; the mock Auth0 with its default limits (free tier rate limit, import jobs at 20,000 users an hour, two at a time) on a clock {}x the wall clock's speed",
            options.seed, options.file_bytes, options.poll, AUTH0_CLOCK_SPEED
        ),
        measures: vec![
            Measure::new("end to end", secs(elapsed), "s").at_most(if options.count >= 1_000_000 {
                60.0
            } else {
                60.0 * options.count as f64 / 1e6
            }),
            Measure::new("engine peak memory", peak as f64 / 1e6, "MB").at_most(300.0),
            Measure::new("users per second", options.count as f64 / secs(elapsed), "users/s"),
            Measure::new("imported", imported as f64, "users"),
            Measure::new(
                "failed or skipped",
                (totals["failed"].as_u64().unwrap_or(0) + totals["skipped"].as_u64().unwrap_or(0)) as f64,
                "users",
            ),
            Measure::new(
                "import jobs",
                summary["jobs"].as_array().map_or(0, Vec::len) as f64,
                "jobs",
            ),
            Measure::new("engine CPU time", engine_cpu, "s"),
            Measure::new("mocks CPU time (Gigya export, Auth0 jobs)", mocks_cpu, "s"),
            Measure::new("seeding the mock (not timed)", secs(seeding), "s"),
        ],
        notes: vec![],
    };
    if !status.success() && totals["failed"].as_u64().unwrap_or(0) == 0 {
        result.notes.push(format!("ferry exited with {status}: {stderr}"));
    }
    Ok(result)
}
