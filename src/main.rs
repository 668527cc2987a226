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
        /// Scenarios run at the same time (default: four times the CPUs; scenarios mostly wait on time-outs and jobs).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Print every step, script console output and HTTP exchange, not only failures.
        #[arg(long, short = 'v')]
        verbose: bool,
        /// Do not compare results with the snapshots under snapshots/.
        #[arg(long)]
        no_snapshots: bool,
        /// Run only part K of N of the catalogue (e.g. `2/4`), to shard it over CI machines:
        /// the scenario files, sorted by path, are dealt out in turn.
        #[arg(long, value_name = "K/N", value_parser = parse_partition)]
        partition: Option<(usize, usize)>,
    },
    /// Import an Auth0 import file (JSON array or NDJSON) through the Management API: schema
    /// check, files under 500 KB, jobs within the concurrency limit, a report of every user.
    Import {
        /// The users file.
        file: PathBuf,
        /// Database connection to import into.
        #[arg(long)]
        connection: String,
        /// Update existing users (matched on email) instead of failing them.
        #[arg(long)]
        upsert: bool,
        #[command(flatten)]
        auth0: Auth0Args,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Readiness report on an export or import file, without any server: what would import,
    /// what would fail and why, duplicates, hashes carried or lost, jobs needed. Exit code 1
    /// when any user would fail or be refused as a duplicate.
    Check {
        /// The file (JSON array or NDJSON).
        file: PathBuf,
        /// What the file is.
        #[arg(long, value_enum)]
        kind: CheckKind,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The target connection requires usernames.
        #[arg(long)]
        requires_username: bool,
        /// Largest file per import job in bytes.
        #[arg(long, default_value_t = import_schema::MAX_FILE_BYTES)]
        file_bytes: usize,
    },
    /// Create or update a custom database connection (scripts, import mode, configuration,
    /// enabled applications) through the Management API; a second run changes nothing.
    Deploy {
        /// An auth0-deploy-cli tree (its root with --name, or a connection's own directory).
        #[arg(long, value_name = "DIR", conflicts_with_all = ["connection", "login", "get_user"])]
        from: Option<PathBuf>,
        /// With --from: the connection directory under database-connections/.
        #[arg(long)]
        name: Option<String>,
        /// Connection name (without --from).
        #[arg(long)]
        connection: Option<String>,
        /// The login script file.
        #[arg(long, value_name = "FILE")]
        login: Option<PathBuf>,
        /// The get_user script file.
        #[arg(long, value_name = "FILE")]
        get_user: Option<PathBuf>,
        /// Any other script: KIND=FILE (create, verify, change_password, delete, change_email).
        #[arg(long = "script", value_name = "KIND=FILE")]
        scripts: Vec<String>,
        /// A configuration value: KEY=VALUE (repeatable). Values are secrets: prefer
        /// --config-env KEY=ENV_VAR to keep them out of shell history.
        #[arg(long = "config", value_name = "KEY=VALUE")]
        config: Vec<String>,
        /// A configuration value read from an environment variable: KEY=ENV_VAR.
        #[arg(long = "config-env", value_name = "KEY=ENV_VAR")]
        config_env: Vec<String>,
        /// A deploy-cli keyword: KEY=VALUE, replacing ##KEY## and @@KEY@@.
        #[arg(long = "keyword", value_name = "KEY=VALUE")]
        keywords: Vec<String>,
        /// Turn "Import Users to Auth0" off (legacy authentication); on by default.
        #[arg(long)]
        no_import_mode: bool,
        /// Enable the connection for this application (name or client id; repeatable).
        #[arg(long = "enable-client", value_name = "APP")]
        enable_clients: Vec<String>,
        #[command(flatten)]
        auth0: Auth0Args,
    },
    /// Migrate users from another service into Auth0.
    #[command(subcommand)]
    Migrate(Migrate),
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
        /// Port of the dashboard (users, connections, jobs, logs, journals; 0: any free port).
        #[arg(long, default_value_t = 0, env = "FERRY_DASHBOARD_PORT")]
        dashboard_port: u16,
    },
    /// Run one custom database script once, as Auth0's "Try" button does, against a
    /// throw-away mock tenant: the callback's result, console output and every outbound request.
    /// Exit code 0 when the script succeeded, 1 when it failed, 2 when it could not run.
    Try {
        /// login, get-user, create, verify, change-password, delete or change-email.
        kind: ferry::tryout::ScriptKind,
        /// The script file.
        #[arg(long, value_name = "FILE")]
        script: PathBuf,
        /// The script's arguments (login: EMAIL PASSWORD; get-user: EMAIL; create: a user JSON; …).
        /// Put them after `--` when one starts with a hyphen.
        args: Vec<String>,
        /// A `configuration` value: KEY=VALUE (repeatable).
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = ferry::tryout::parse_key_value)]
        config: Vec<(String, String)>,
        /// A host the script may reach besides loopback (repeatable; `*.okta.com` allowed).
        #[arg(long = "allow-host", value_name = "HOST", conflicts_with = "allow_any_host")]
        allow_hosts: Vec<ferry::tryout::HostRule>,
        /// Let the script reach any host.
        #[arg(long)]
        allow_any_host: bool,
        /// Execution limit in seconds (Auth0's is about 20).
        #[arg(long, default_value_t = 20.0)]
        timeout: f64,
        /// The `context` argument as JSON (connections with enable_script_context).
        #[arg(long, value_name = "JSON")]
        context: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks (see BENCHMARKS.md); run them on a release build.
    Bench {
        #[command(subcommand)]
        which: Bench,
        /// Print the results as JSON.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Write a deterministic generated population as a seed file (for `ferry serve --seed`,
    /// scenarios' `seed_files`, benchmarks): non-ASCII names, missing fields, duplicates,
    /// unverified emails, every hash algorithm; account N's password is `Pw-NNNNNNN-ü!`.
    Generate {
        /// Which provider's seed format.
        #[arg(value_enum)]
        provider: GenerateKind,
        /// Accounts to generate.
        #[arg(long, default_value_t = 1000)]
        count: u64,
        /// Seed of the generator: the same seed and count give the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (default: standard output).
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// All four mocks started until each answers, and stopped, several times.
    Startup {
        #[arg(long, default_value_t = 20)]
        samples: usize,
    },
    /// The mock Okta's POST /api/v1/authn under keep-alive connections.
    OktaAuthn {
        #[arg(long, default_value_t = 32)]
        connections: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// First-login migrations through the mock Auth0, the documented login script and the mock Okta,
    /// against their floor: the same bcrypt alone on every core, in the same run.
    FirstLogin {
        #[arg(long, default_value_t = 20_000)]
        count: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// The tenant's bcrypt cost (Auth0's is 10; tests use 4).
        #[arg(long, default_value_t = 4)]
        bcrypt_cost: u32,
    },
    /// The whole scenario catalogue through `ferry run`.
    Scenarios {
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Gigya bulk at scale: generated accounts exported, transformed, validated and imported
    /// by `ferry migrate gigya` (a child process) into the mock Auth0; time and peak memory.
    GigyaBulk {
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// search or identity-sync.
        #[arg(long, default_value = "identity-sync")]
        via: String,
        #[arg(long, default_value_t = import_schema::MAX_FILE_BYTES)]
        file_bytes: usize,
        #[arg(long, default_value_t = 0.02)]
        poll: f64,
        /// Keep the run's report here.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum GenerateKind {
    /// `{"accounts": [...]}` for the mock Gigya.
    Gigya,
    /// `{"users": [...]}` for the mock Okta.
    Okta,
}

#[derive(Debug, Subcommand)]
enum Migrate {
    /// Gigya → Auth0 bulk: export (IdentitySync or accounts.search), transform with password
    /// hashes mapped, validate, import in jobs, follow them, report every user.
    Gigya {
        /// Database connection to import into.
        #[arg(long)]
        connection: String,
        /// How to export: identity-sync, search, or file (with --export-file).
        #[arg(long, value_enum, default_value = "search")]
        via: Via,
        /// accounts.search query, or the IdentitySync reader's `where` condition.
        #[arg(long, default_value = "SELECT * FROM accounts WHERE isRegistered = true LIMIT 1000")]
        query: String,
        /// An export file already on disk (JSON array or NDJSON) for --via file.
        #[arg(long, value_name = "FILE")]
        export_file: Option<PathBuf>,
        /// IdentitySync writer component (the mock offers datasource.write.ferry).
        #[arg(long, default_value = "datasource.write.ferry")]
        writer: String,
        /// Update existing users (matched on email) instead of failing them.
        #[arg(long)]
        upsert: bool,
        /// One base URL for every Gigya namespace (a mock, a proxy); else https://<namespace>.<data center>.
        #[arg(long, env = "FERRY_GIGYA_URL")]
        gigya_url: Option<String>,
        #[arg(long, env = "FERRY_GIGYA_DATA_CENTER", default_value = "us1.gigya.com")]
        data_center: String,
        #[arg(long, env = "FERRY_GIGYA_API_KEY")]
        api_key: String,
        /// Application (user) key.
        #[arg(long, env = "FERRY_GIGYA_USER_KEY")]
        user_key: Option<String>,
        /// Secret, Base64 as Gigya shows it (prefer the environment variable: it stays out of
        /// shell history).
        #[arg(long, env = "FERRY_GIGYA_SECRET", hide_env_values = true)]
        secret: String,
        #[command(flatten)]
        auth0: Auth0Args,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Stormpath → Auth0 bulk: the console export (a directory of JSON files) imported with its
    /// password hashes (bcrypt, $stormpath1$, single-iteration $stormpath2$); the rest are
    /// imported without a hash and listed for a reset.
    Stormpath {
        /// The unpacked export directory.
        #[arg(long, value_name = "DIR")]
        export_dir: PathBuf,
        /// Database connection to import into.
        #[arg(long)]
        connection: String,
        /// Update existing users (matched on email) instead of failing them.
        #[arg(long)]
        upsert: bool,
        #[command(flatten)]
        auth0: Auth0Args,
        #[command(flatten)]
        run: RunArgs,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum CheckKind {
    /// A Gigya export (IdentitySync file or accounts.search results).
    Gigya,
    /// An Auth0 bulk-import file.
    Auth0,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Via {
    IdentitySync,
    Search,
    File,
}

/// How to reach the Auth0 tenant's Management API.
#[derive(Debug, clap::Args)]
struct Auth0Args {
    /// Base URL of the tenant (https://TENANT.auth0.com, or a mock's URL).
    #[arg(long, env = "FERRY_AUTH0_URL")]
    auth0_url: String,
    /// Client id of a machine-to-machine application with create:users and read:connections.
    #[arg(long, env = "FERRY_AUTH0_CLIENT_ID")]
    client_id: String,
    #[arg(long, env = "FERRY_AUTH0_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Management API audience (default: <auth0-url>/api/v2/).
    #[arg(long, env = "FERRY_AUTH0_AUDIENCE")]
    audience: Option<String>,
}

/// Settings of an import run.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Directory for the report (summary.json, users.ndjson).
    #[arg(long, default_value = "ferry-report")]
    report: PathBuf,
    /// Largest file per import job in bytes (Auth0: 512000).
    #[arg(long, default_value_t = import_schema::MAX_FILE_BYTES)]
    file_bytes: usize,
    /// Import jobs in flight at once (Auth0 allows 2 per tenant).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Seconds between two reads of a job's status.
    #[arg(long, default_value_t = 2.0)]
    poll: f64,
    /// Continue the run that was interrupted in the --report directory (same command, same
    /// settings): accounted users are not sent again, jobs in flight are followed to their end.
    #[arg(long)]
    resume: bool,
}

impl Auth0Args {
    fn config(&self) -> ferry::engine::auth0::Auth0Config {
        ferry::engine::auth0::Auth0Config {
            base_url: self.auth0_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            audience: self.audience.clone(),
        }
    }
}

impl RunArgs {
    fn import_options(&self, connection: &str, upsert: bool) -> ferry::engine::import::ImportOptions {
        ferry::engine::import::ImportOptions {
            connection: connection.to_owned(),
            upsert,
            max_file_bytes: self.file_bytes,
            max_active_jobs: self.jobs.max(1),
            poll_interval: std::time::Duration::from_secs_f64(self.poll.max(0.01)),
            ..ferry::engine::import::ImportOptions::default()
        }
    }

    fn run_options(&self) -> ferry::engine::RunOptions {
        ferry::engine::RunOptions {
            report_dir: Some(self.report.clone()),
            resume: self.resume,
            retry: ferry::engine::RetryPolicy::default(),
        }
    }
}

/// Prints a run's totals; exit code 1 when any user failed, 0 when every user is in.
fn finish_run(summary: &ferry::engine::report::Summary) -> ExitCode {
    let t = &summary.totals;
    println!(
        "exported {}: inserted {}, updated {}, inserted or updated {}, failed {}, skipped {}; {} must reset their password; {} import jobs",
        t.exported,
        t.inserted,
        t.updated,
        t.inserted_or_updated,
        t.failed,
        t.skipped,
        t.needs_reset,
        summary.jobs.len()
    );
    for (reason, count) in &summary.failure_reasons {
        println!("  {count:>7} {reason}");
    }
    if let Some(dir) = &summary.directory {
        println!(
            "report: {}/summary.json and {}/users.ndjson",
            dir.display(),
            dir.display()
        );
    }
    if t.failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

// serde_json's values allocate a great deal; glibc's allocator spent a quarter of a bulk run's
// CPU (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            partition,
        } => run(paths, junit, jobs, verbose, no_snapshots, partition).await,
        Command::Check {
            file,
            kind,
            json,
            requires_username,
            file_bytes,
        } => {
            let kind = match kind {
                CheckKind::Gigya => ferry::check::FileKind::Gigya,
                CheckKind::Auth0 => ferry::check::FileKind::Auth0,
            };
            let rules = import_schema::Rules {
                requires_username,
                ..import_schema::Rules::default()
            };
            let report = ferry::check::check(&file, kind, &rules, file_bytes)
                .with_context(|| format!("checking {}", file.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            } else {
                print!("{}", report.render());
            }
            let problems = report.failing_users + report.duplicate_emails + report.duplicate_user_ids;
            Ok(if problems > 0 {
                ExitCode::from(EXIT_FAILED)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Deploy {
            from,
            name,
            connection,
            login,
            get_user,
            scripts,
            config,
            config_env,
            keywords,
            no_import_mode,
            enable_clients,
            auth0,
        } => {
            let pairs = |items: &[String], what: &str| -> anyhow::Result<Vec<(String, String)>> {
                items
                    .iter()
                    .map(|item| {
                        item.split_once('=')
                            .map(|(k, v)| (k.to_owned(), v.to_owned()))
                            .ok_or_else(|| anyhow::anyhow!("{what} {item:?}: expected KEY=VALUE"))
                    })
                    .collect()
            };
            let keywords: std::collections::BTreeMap<String, String> =
                pairs(&keywords, "--keyword")?.into_iter().collect();
            let mut spec = match from {
                Some(dir) => ferry::engine::deploy::read_deploy_cli(&dir, name.as_deref(), &keywords)?,
                None => {
                    let name = connection.ok_or_else(|| anyhow::anyhow!("give --connection NAME (or --from DIR)"))?;
                    let mut spec = ferry::engine::deploy::ConnectionSpec {
                        name,
                        import_mode: !no_import_mode,
                        ..Default::default()
                    };
                    let mut files: Vec<(String, PathBuf)> = vec![];
                    if let Some(path) = login {
                        files.push(("login".into(), path));
                    }
                    if let Some(path) = get_user {
                        files.push(("get_user".into(), path));
                    }
                    for (kind, path) in pairs(&scripts, "--script")? {
                        files.push((kind, PathBuf::from(path)));
                    }
                    for (kind, path) in files {
                        let source = std::fs::read_to_string(&path)
                            .with_context(|| format!("reading the {kind} script {}", path.display()))?;
                        spec.scripts
                            .insert(kind, ferry::engine::deploy::replace_keywords(&source, &keywords));
                    }
                    spec
                }
            };
            for (key, value) in pairs(&config, "--config")? {
                spec.configuration.insert(key, value);
            }
            for (key, variable) in pairs(&config_env, "--config-env")? {
                let value =
                    std::env::var(&variable).with_context(|| format!("--config-env {key}: ${variable} is not set"))?;
                spec.configuration.insert(key, value);
            }
            spec.enabled_clients.extend(enable_clients);
            let client = ferry::engine::auth0::ManagementClient::new(
                auth0.config(),
                ferry::engine::http_client(std::time::Duration::from_secs(60))?,
                ferry::engine::RetryPolicy::default(),
            );
            let outcome = ferry::engine::deploy::deploy(&client, &spec)
                .await
                .context("ferry deploy")?;
            match outcome.action.as_str() {
                "unchanged" => println!(
                    "{} ({}) is up to date: nothing changed",
                    spec.name, outcome.connection_id
                ),
                "created" => println!("created {} ({})", spec, outcome.connection_id),
                _ => println!(
                    "updated {} ({}): {}",
                    spec.name,
                    outcome.connection_id,
                    outcome.changes.join(", ")
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            file,
            connection,
            upsert,
            auth0,
            run,
        } => {
            let progress = ferry::engine::progress::Console::new();
            let summary = ferry::engine::import(
                &auth0.config(),
                &file,
                run.import_options(&connection, upsert),
                &run.run_options(),
                &progress,
            )
            .await;
            progress.finish();
            Ok(finish_run(&summary.context("ferry import")?))
        }
        Command::Migrate(Migrate::Gigya {
            connection,
            via,
            query,
            export_file,
            writer,
            upsert,
            gigya_url,
            data_center,
            api_key,
            user_key,
            secret,
            auth0,
            run,
        }) => {
            let source = match via {
                Via::Search => ferry::engine::ExportSource::Search { query },
                Via::IdentitySync => ferry::engine::ExportSource::IdentitySync {
                    select: "*".into(),
                    condition: query
                        .split_once(" WHERE ")
                        .map(|(_, w)| w.split(" LIMIT ").next().unwrap_or(w).to_owned()),
                    writer,
                },
                Via::File => ferry::engine::ExportSource::File(
                    export_file.ok_or_else(|| anyhow::anyhow!("--via file needs --export-file"))?,
                ),
            };
            let gigya = ferry::engine::gigya::GigyaConfig {
                base_url: gigya_url,
                data_center,
                api_key,
                user_key,
                secret,
            };
            let mut migration = ferry::engine::GigyaMigration::new(gigya, auth0.config(), source, &connection);
            migration.import = run.import_options(&connection, upsert);
            migration.report_dir = Some(run.report.clone());
            migration.resume = run.resume;
            migration.work_dir = run.report.join("export");
            let progress = ferry::engine::progress::Console::new();
            let summary = ferry::engine::migrate_gigya(&migration, &progress).await;
            progress.finish();
            Ok(finish_run(&summary.context("ferry migrate gigya")?))
        }
        Command::Migrate(Migrate::Stormpath {
            export_dir,
            connection,
            upsert,
            auth0,
            run,
        }) => {
            let progress = ferry::engine::progress::Console::new();
            let summary = ferry::engine::migrate_stormpath(
                &auth0.config(),
                &export_dir,
                run.import_options(&connection, upsert),
                &run.run_options(),
                &progress,
            )
            .await;
            progress.finish();
            Ok(finish_run(&summary.context("ferry migrate stormpath")?))
        }
        Command::Serve {
            seed,
            host,
            okta_port,
            stormpath_port,
            gigya_port,
            auth0_port,
            dashboard_port,
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
            let links = ["okta", "stormpath", "gigya", "auth0"]
                .into_iter()
                .filter_map(|name| {
                    served
                        .base_url(name)
                        .map(|url| ferry::dashboard::MockLink::new(name, url))
                })
                .collect();
            let board = ferry::dashboard::start(links, std::net::SocketAddr::new(host, dashboard_port))
                .await
                .context("starting the dashboard")?;
            println!("dashboard  {}", board.base_url());
            tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
            eprintln!("stopping…");
            board.shutdown().await;
            served.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { which, json } => {
            let result = match which {
                Bench::Startup { samples } => ferry::bench::mocks_speed::startup(samples).await?,
                Bench::OktaAuthn { connections, seconds } => {
                    ferry::bench::mocks_speed::okta_authn(connections, seconds).await?
                }
                Bench::FirstLogin {
                    count,
                    concurrency,
                    bcrypt_cost,
                } => ferry::bench::mocks_speed::first_login(count, concurrency, bcrypt_cost).await?,
                Bench::Scenarios { dir, runs } => ferry::bench::mocks_speed::scenarios(&dir, runs).await?,
                Bench::GigyaBulk {
                    count,
                    seed,
                    via,
                    file_bytes,
                    poll,
                    report,
                } => {
                    let options = ferry::bench::gigya_bulk::Options {
                        count,
                        seed,
                        via,
                        file_bytes,
                        poll,
                        report,
                    };
                    ferry::bench::gigya_bulk::run(&options).await?
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&result).unwrap_or_default());
            } else {
                print!("{}", result.render());
            }
            Ok(if result.measures.iter().any(|m| m.met == Some(false)) {
                ExitCode::from(EXIT_FAILED)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Try {
            kind,
            script,
            args,
            config,
            allow_hosts,
            allow_any_host,
            timeout,
            context,
            json,
        } => {
            if !(timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0) {
                anyhow::bail!("--timeout must be a number of seconds between 0 and 3600, not {timeout}");
            }
            let mut options = ferry::tryout::TryOptions::new(kind, script);
            options.args = args;
            options.configuration = config.into_iter().collect();
            options.allow_hosts = allow_hosts;
            options.allow_any_host = allow_any_host;
            options.timeout = std::time::Duration::from_secs_f64(timeout);
            options.context = context;
            match ferry::tryout::try_script(options).await {
                Ok(report) => {
                    if json {
                        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
                    } else {
                        print!("{}", report.render());
                    }
                    Ok(if report.passed() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(EXIT_FAILED)
                    })
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Generate {
            provider,
            count,
            seed,
            out,
        } => {
            let population = ferry::generate::Population { count, seed };
            let mut sink: Box<dyn std::io::Write> = match &out {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            match provider {
                GenerateKind::Gigya => ferry::generate::write_gigya_seed(&population, &mut sink),
                GenerateKind::Okta => ferry::generate::write_okta_seed(&population, &mut sink),
            }
            .and_then(|()| sink.flush())
            .context("writing the population")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `K/N` with 1 ≤ K ≤ N.
fn parse_partition(text: &str) -> Result<(usize, usize), String> {
    let (k, n) = text.split_once('/').ok_or("expected K/N, e.g. 1/4")?;
    let k: usize = k.trim().parse().map_err(|_| format!("{k:?} is not a number"))?;
    let n: usize = n.trim().parse().map_err(|_| format!("{n:?} is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{text}: K must be between 1 and N"));
    }
    Ok((k, n))
}

async fn run(
    paths: Vec<PathBuf>,
    junit: Option<PathBuf>,
    jobs: Option<usize>,
    verbose: bool,
    no_snapshots: bool,
    partition: Option<(usize, usize)>,
) -> anyhow::Result<ExitCode> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths
    };
    let mut files = scenario::discover(&paths).context("finding scenarios")?;
    if let Some((k, n)) = partition {
        files.sort();
        files = files
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, f)| f)
            .collect();
        if files.is_empty() {
            println!("partition {k}/{n}: no scenario falls in it");
            return Ok(ExitCode::SUCCESS);
        }
    }
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
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |n| n.get() * 4));
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
                                    run: None,
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
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
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
