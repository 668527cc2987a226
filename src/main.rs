//! The `ferry` command line: parse arguments, call the library, choose an exit code.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use ferry::scenario::snapshot::{SnapshotCheck, check, snapshot_path};
use ferry::scenario::{self, Report};

/// Exit codes.
const EXIT_FAILED: u8 = 1;
const EXIT_UNUSABLE: u8 = 2;

/// Rehearse and verify user migrations to Auth0 against faithful mocks of Okta, Stormpath,
/// Gigya and Auth0.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenario files (default: every scenario under scenarios/).
    Run {
        /// Scenario files or directories.
        paths: Vec<PathBuf>,
        /// Write a JUnit XML report here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Scenarios run at the same time (default: twice the CPUs).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Print every step, script console output and HTTP exchange, not only failures.
        #[arg(long, short = 'v')]
        verbose: bool,
        /// Do not compare results with the snapshots under snapshots/.
        #[arg(long)]
        no_snapshots: bool,
    },
    /// Start every mock on loopback and wait for Ctrl-C.
    Serve {
        /// Seed file (YAML or JSON) with `okta:` and `auth0:` sections.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Port of the mock Okta (0: any free port).
        #[arg(long, default_value_t = 0, env = "FERRY_OKTA_PORT")]
        okta_port: u16,
        /// Port of the mock Stormpath (0: any free port).
        #[arg(long, default_value_t = 0, env = "FERRY_STORMPATH_PORT")]
        stormpath_port: u16,
        /// Port of the mock Gigya (0: any free port).
        #[arg(long, default_value_t = 0, env = "FERRY_GIGYA_PORT")]
        gigya_port: u16,
        /// Port of the mock Auth0 (0: any free port).
        #[arg(long, default_value_t = 0, env = "FERRY_AUTH0_PORT")]
        auth0_port: u16,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_UNUSABLE);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run {
            paths,
            junit,
            jobs,
            verbose,
            no_snapshots,
        } => run(paths, junit, jobs, verbose, no_snapshots).await,
        Command::Serve {
            seed,
            host,
            okta_port,
            stormpath_port,
            gigya_port,
            auth0_port,
        } => {
            let options = ferry::serve::ServeOptions {
                host,
                okta_port,
                stormpath_port,
                gigya_port,
                auth0_port,
            };
            let served = ferry::serve::start(&options, seed.as_deref())
                .await
                .context("ferry serve")?;
            print!("{}", served.banner());
            tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
            eprintln!("stopping…");
            served.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn run(
    paths: Vec<PathBuf>,
    junit: Option<PathBuf>,
    jobs: Option<usize>,
    verbose: bool,
    no_snapshots: bool,
) -> anyhow::Result<ExitCode> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths
    };
    let files = scenario::discover(&paths).context("finding scenarios")?;
    if files.is_empty() {
        anyhow::bail!(
            "no scenario files under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get() * 2));
    let started = std::time::Instant::now();
    let results = scenario::run_all(&files, jobs).await;

    let mut reports: Vec<Report> = vec![];
    let mut errors = vec![];
    let mut snapshot_failures = 0;
    let mut missing_snapshots = 0;
    for (file, result) in results {
        match result {
            Ok(mut report) => {
                if !no_snapshots && report.snapshot {
                    let name = report.name.replace('/', "__");
                    if let Some(path) = snapshot_path(&std::fs::canonicalize(&file).unwrap_or(file.clone()), &name) {
                        match check(&path, &report.snapshot()) {
                            Ok(SnapshotCheck::Matches) => {}
                            Ok(SnapshotCheck::Missing(_)) => missing_snapshots += 1,
                            Ok(SnapshotCheck::Differs { path, diff }) => {
                                snapshot_failures += 1;
                                report.steps.push(scenario::StepReport {
                                    index: report.steps.len() + 1,
                                    line: 0,
                                    summary: format!("snapshot {}", path.display()),
                                    outcome: "differs".into(),
                                    failures: vec![format!("the result differs from the reviewed snapshot (review with `cargo insta test --review`):\n{diff}")],
                                    scripts: vec![],
                                });
                            }
                            Err(e) => errors.push((file.clone(), e)),
                        }
                    }
                }
                print!("{}", report.render(verbose));
                reports.push(report);
            }
            Err(e) => {
                println!("ERROR {e}");
                errors.push((file, e.to_string()));
            }
        }
    }
    let failed = reports.iter().filter(|r| !r.passed()).count();
    let passed = reports.len() - failed;
    println!(
        "\n{passed} passed, {failed} failed, {} could not run ({} scenarios in {:.2} s){}",
        errors.len(),
        files.len(),
        started.elapsed().as_secs_f64(),
        if missing_snapshots > 0 {
            format!("; {missing_snapshots} without a snapshot yet (cargo test writes them)")
        } else {
            String::new()
        }
    );
    let _ = snapshot_failures;
    if let Some(path) = junit {
        std::fs::write(&path, scenario::junit(&reports, &errors))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if !errors.is_empty() {
        ExitCode::from(EXIT_UNUSABLE)
    } else if failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
