//! The `ferry` command line: parse arguments, call the library, choose an exit code.
//!
//! It lives in the library, not in `src/main.rs`, so that its async call tree (the engine, the
//! mocks, the scenario runner) is compiled once: a binary crate that calls a library's async
//! functions compiles their state machines again for itself, which made the `ferry` binary
//! the last and longest step of a release build (BENCHMARKS.md, "The newcomer's wait").

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::scenario::snapshot::{self, Action, Decision, Mode as SnapshotMode, State};
use crate::scenario::{self, Report};
use crate::term::{ColorChoice, Style};
use anyhow::Context as _;
use clap::{Parser, Subcommand};

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
    /// Run scenario files (default: every scenario under scenarios/) and compare each result with
    /// its snapshot.
    ///
    /// Plain `ferry run` writes a new or changed result as <name>.snap.new beside <name>.snap and
    /// fails the run: look at each with --review and accept it, or accept every one with
    /// --accept; --check (for CI) fails on any missing or changed snapshot and writes nothing.
    /// Snapshots live in --snapshots DIR, else in the snapshots/ folder beside the nearest folder
    /// named scenarios above the file, else beside the folder named on the command line.
    /// Exit code 0 when every scenario passed and its snapshot holds its result, 1 when one
    /// failed or its snapshot is missing or differs, 2 when one could not be loaded or run.
    Run(RunCommand),
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
    /// when any user would fail or be refused as a duplicate, or a record is no account at
    /// all (not an object, or no UID).
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
        /// Largest file per import job in bytes (1024 to Auth0's 500000).
        #[arg(long, default_value_t = import_schema::MAX_FILE_BYTES, value_parser = file_bytes)]
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
    /// Start every mock on loopback and wait for Ctrl-C (or SIGTERM).
    Serve {
        /// Seed file (YAML, or JSON in a `.json` file) with `okta:`, `stormpath:`, `gigya:` and
        /// `auth0:` sections; `ferry generate` writes one. The same file gives the same client
        /// ids, secrets and tokens on every start.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
        /// Write the mocks' coordinates (FERRY_AUTH0_URL, FERRY_AUTH0_CLIENT_SECRET, ...) to
        /// FILE as a dotenv file once every mock answers (atomically; removed on exit).
        #[arg(long, value_name = "FILE")]
        env_file: Option<PathBuf>,
        /// Create FILE once every mock answers, the dashboard listens and the env file is
        /// written (removed on exit): a script waits for it before it starts its tests.
        #[arg(long, value_name = "FILE")]
        ready_file: Option<PathBuf>,
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
        /// Serve HTTPS too (plain HTTP keeps working on the same ports), with a certificate
        /// from Ferry's CA for 127.0.0.1, ::1, localhost and the services' host names; prints
        /// the CA file and the variables that make programs trust it.
        #[arg(long)]
        tls: bool,
        /// Keep the CA here (made on first use, owner-only; reused after, so you trust it
        /// once); without it, a new CA each start.
        #[arg(long, value_name = "DIR", requires = "tls")]
        ca_dir: Option<PathBuf>,
        /// Send the scripts' requests for a custom domain to a mock: HOST=MOCK, MOCK one of
        /// okta, stormpath, gigya, auth0 (repeatable; `*.acme.com=okta` for every name under
        /// it). The services' own names (`*.okta.com`, `api.stormpath.com`, `*.gigya.com`,
        /// `*.auth0.com`) always go to their mocks.
        #[arg(long = "route", value_name = "HOST=MOCK", value_parser = crate::serve::parse_route)]
        routes: Vec<(String, String)>,
    },
    /// Run one custom database script once, as Auth0's "Try" button does, in the mock tenant's
    /// sandbox: the callback's result, what the tenant answers and logs for it, console output
    /// and every outbound request (secrets masked).
    /// Exit code 0 when the script succeeded, 1 when it failed, 2 when it could not run.
    Try {
        /// login, get-user, create, verify, change-password, delete or change-email.
        kind: crate::tryout::ScriptKind,
        /// The script file.
        #[arg(long, value_name = "FILE")]
        script: PathBuf,
        /// The script's arguments (login: EMAIL PASSWORD; get-user: EMAIL; create: a user JSON; …).
        /// Put them after `--` when one starts with a hyphen.
        args: Vec<String>,
        /// A `configuration` value: KEY=VALUE (repeatable).
        #[arg(long = "config", value_name = "KEY=VALUE", value_parser = crate::tryout::parse_key_value)]
        config: Vec<(String, String)>,
        /// A host the script may reach besides loopback (repeatable; `*.okta.com` allowed).
        #[arg(long = "allow-host", value_name = "HOST", conflicts_with = "allow_any_host")]
        allow_hosts: Vec<crate::tryout::HostRule>,
        /// Let the script reach any host (the services' own names then go to the real services
        /// too).
        #[arg(long)]
        allow_any_host: bool,
        /// Send the script's requests for a host elsewhere: HOST=URL (an origin, e.g. a
        /// running `ferry serve` mock's http://127.0.0.1:4010) or HOST=MOCK (okta, stormpath,
        /// gigya, auth0: a throw-away mock). Repeatable; `*.acme.com=...` for every name under
        /// it. Unless --allow-any-host, the services' own names (`*.okta.com`,
        /// `api.stormpath.com`, `*.gigya.com`, `*.auth0.com`) go to throw-away mocks, except
        /// those --allow-host names.
        #[arg(long = "route", value_name = "HOST=URL|MOCK", value_parser = crate::tryout::parse_route)]
        routes: Vec<(String, String)>,
        /// Seed file for the throw-away mocks (the `ferry serve --seed` format).
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
        /// Execution limit in seconds (Auth0's is about 20; more than 0, at most 3600).
        #[arg(long, default_value_t = 20.0, value_parser = seconds(0.001, 3600.0))]
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
    /// Write a deterministic generated population as a seed file for `ferry serve --seed`
    /// (with --bare: for a scenario's `seed_files`): non-ASCII names, missing fields, duplicates,
    /// unverified emails, every hash algorithm; account N's password is `Pw-NNNNNNN-ü!`.
    Generate {
        /// Which provider's seed format.
        #[arg(value_enum)]
        provider: GenerateKind,
        /// Accounts to generate (1 to 10,000,000).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        count: u64,
        /// Seed of the generator: the same seed and count give the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (default: standard output). Name it `.json`: `ferry serve --seed` reads
        /// it with the JSON parser.
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
        /// Write the mock's own seed (`{"accounts": [...]}`, for a scenario's `seed_files` or
        /// `POST /__ferry/seed`) instead of a `ferry serve --seed` file (`{"gigya": {...}}`).
        #[arg(long)]
        bare: bool,
    },
}

/// `ferry run`.
#[derive(Debug, clap::Args)]
struct RunCommand {
    /// Scenario files or folders (folders are searched for *.yaml and *.yml; default: scenarios/).
    paths: Vec<PathBuf>,
    /// Accept every new or changed snapshot: write it as .snap and remove its .snap.new.
    #[arg(long, conflicts_with_all = ["review", "check", "no_snapshots"])]
    accept: bool,
    /// After the run, show each new or changed snapshot's diff and ask: accept, reject or skip.
    /// Reads the answers from the terminal.
    #[arg(long, conflicts_with_all = ["check", "no_snapshots"])]
    review: bool,
    /// For CI: fail on any missing or changed snapshot, and write nothing.
    #[arg(long, conflicts_with = "no_snapshots")]
    check: bool,
    /// Keep the snapshots in DIR instead of the snapshots/ folder beside the scenarios' folder.
    #[arg(long, value_name = "DIR")]
    snapshots: Option<PathBuf>,
    /// Do not compare results with snapshots.
    #[arg(long)]
    no_snapshots: bool,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Scenarios run at the same time (default: four times the CPUs; scenarios mostly wait on
    /// time-outs and jobs).
    #[arg(long, short = 'j', value_name = "N", value_parser = count::<usize>(1, 1024))]
    jobs: Option<usize>,
    /// Print every step, script console output and HTTP exchange, not only failures.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Run only part K of N of the catalogue (e.g. `2/4`), to shard it over CI machines:
    /// the scenario files, sorted by path, are dealt out in turn.
    #[arg(long, value_name = "K/N", value_parser = parse_partition)]
    partition: Option<(usize, usize)>,
    /// Colour: auto (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or
    /// never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

impl RunCommand {
    fn mode(&self) -> Option<SnapshotMode> {
        if self.no_snapshots {
            None
        } else if self.accept {
            Some(SnapshotMode::Accept)
        } else if self.review {
            Some(SnapshotMode::Review)
        } else if self.check {
            Some(SnapshotMode::Check)
        } else {
            Some(SnapshotMode::Compare)
        }
    }
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// All four mocks started until each answers, and stopped, several times.
    Startup {
        /// Times to start and stop them (the median is reported; 1 to 1000).
        #[arg(long, default_value_t = 20, value_parser = count::<usize>(1, 1000))]
        samples: usize,
    },
    /// The mock Okta's POST /api/v1/authn under keep-alive connections, against a bare hyper
    /// server answering the same bytes (and the mock Auth0's GET /api/v2/users-by-email likewise).
    OktaAuthn {
        /// Keep-alive connections sending at the same time (1 to 10000).
        #[arg(long, default_value_t = 32, value_parser = count::<usize>(1, 10_000))]
        connections: usize,
        /// Length of each load run, in seconds (0.1 to 3600).
        #[arg(long, default_value_t = 5.0, value_parser = seconds(0.1, 3600.0))]
        seconds: f64,
        /// Interleaved rounds (each server loaded once per round); medians are reported (1 to 100).
        #[arg(long, default_value_t = 3, value_parser = count::<usize>(1, 100))]
        rounds: usize,
        /// The load generator: wrk (a child process) or in-process; wrk where installed by default.
        #[arg(long, value_enum)]
        generator: Option<LoadGenerator>,
    },
    /// First-login migrations through the mock Auth0, the documented login script and the mock Okta,
    /// against their floor: the same bcrypt alone on every core, in the same run.
    FirstLogin {
        /// Users to migrate by their first login (1 to 10,000,000).
        #[arg(long, default_value_t = 20_000, value_parser = count::<usize>(1, 10_000_000))]
        count: usize,
        /// Logins in flight at the same time (1 to 10000).
        #[arg(long, default_value_t = 32, value_parser = count::<usize>(1, 10_000))]
        concurrency: usize,
        /// The tenant's bcrypt cost (Auth0's is 10; tests use 4; 4 to 20).
        #[arg(long, default_value_t = 4, value_parser = count::<u32>(4, 20))]
        bcrypt_cost: u32,
    },
    /// The whole scenario catalogue through `ferry run`.
    Scenarios {
        /// The scenario folder to run.
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
        /// Runs of the whole catalogue (the median is reported; 1 to 1000).
        #[arg(long, default_value_t = 5, value_parser = count::<usize>(1, 1000))]
        runs: usize,
    },
    /// Gigya bulk at scale: generated accounts exported, transformed, validated and imported
    /// by `ferry migrate gigya` (a child process) into the mock Auth0; time and peak memory.
    GigyaBulk {
        /// Accounts to generate, export and import (1 to 100,000,000).
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        count: u64,
        /// Seed of the generated population.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How to export: search or identity-sync.
        #[arg(long, default_value = "identity-sync")]
        via: String,
        /// Largest file per import job in bytes (1024 to Auth0's 500000).
        #[arg(long, default_value_t = import_schema::MAX_FILE_BYTES, value_parser = file_bytes)]
        file_bytes: usize,
        /// Seconds between two reads of a job's status (0.001 to 3600).
        #[arg(long, default_value_t = 0.01, value_parser = seconds(0.001, 3600.0))]
        poll: f64,
        /// Keep the run's report here.
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
    },
    /// The dashboard's user search against a mock Auth0 holding many users, as the Users view
    /// asks it (through the Management API); each search under a second.
    UserSearch {
        /// Users seeded into the mock Auth0 (1 to 10,000,000).
        #[arg(long, default_value_t = 100_000, value_parser = count::<usize>(1, 10_000_000))]
        users: usize,
        /// Times each search is asked (1 to 1000).
        #[arg(long, default_value_t = 5, value_parser = count::<usize>(1, 1000))]
        samples: usize,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LoadGenerator {
    Wrk,
    InProcess,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum GenerateKind {
    /// `{"accounts": [...]}` for the mock Gigya.
    Gigya,
    /// `{"users": [...]}` for the mock Okta.
    Okta,
}

// Parsed once per process: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
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
        /// Which accounts: a whole query (SELECT ... FROM accounts [WHERE ...] [ORDER BY ...]
        /// [LIMIT n]) or a bare condition (`isRegistered = true`), the `where` of the
        /// IdentitySync reader. LIMIT is the page size: every matching account is exported. A
        /// query that cannot be read is refused before anything is exported.
        #[arg(long, default_value = "SELECT * FROM accounts WHERE isRegistered = true LIMIT 1000")]
        query: crate::engine::ExportQuery,
        /// An export file already on disk (JSON array or NDJSON) for --via file.
        #[arg(long, value_name = "FILE")]
        export_file: Option<PathBuf>,
        /// With --via identity-sync: where the files IdentitySync's SFTP writer uploads appear on
        /// this machine. With a real site, mount the SFTP folder (--sftp-remote-path on
        /// --sftp-host) here, with sshfs or a shared volume; Ferry's mock Gigya writes here when
        /// its seed maps the SFTP host to this directory (gigya settings.sftp_servers).
        #[arg(long, value_name = "DIR")]
        landing_dir: Option<PathBuf>,
        /// With --via identity-sync: the SFTP server Gigya uploads the export to (its
        /// datasource.write.sftp writer).
        #[arg(long, env = "FERRY_SFTP_HOST")]
        sftp_host: Option<String>,
        /// The SFTP server's port.
        #[arg(long, env = "FERRY_SFTP_PORT", default_value_t = 22)]
        sftp_port: u16,
        /// The SFTP user Gigya logs in as.
        #[arg(long, env = "FERRY_SFTP_USERNAME")]
        sftp_username: Option<String>,
        /// The SFTP password Gigya logs in with (prefer the environment variable).
        #[arg(long, env = "FERRY_SFTP_PASSWORD", hide_env_values = true)]
        sftp_password: Option<String>,
        /// The folder on the SFTP server the export is uploaded to (mounted at --landing-dir).
        #[arg(long, default_value = "/")]
        sftp_remote_path: String,
        /// Update existing users (matched on email) instead of failing them.
        #[arg(long)]
        upsert: bool,
        /// One base URL for every Gigya namespace (a mock, a proxy); else https://<namespace>.<data center>.
        #[arg(long, env = "FERRY_GIGYA_URL")]
        gigya_url: Option<String>,
        /// The site's data center, used without --gigya-url (us1.gigya.com, eu1.gigya.com,
        /// au1.gigya.com, ...).
        #[arg(long, env = "FERRY_GIGYA_DATA_CENTER", default_value = "us1.gigya.com")]
        data_center: String,
        /// The site's API key.
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
    /// Client secret of that application (prefer the environment variable: it stays out of
    /// shell history).
    #[arg(long, env = "FERRY_AUTH0_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Management API audience (default: <auth0-url>/api/v2/).
    #[arg(long, env = "FERRY_AUTH0_AUDIENCE")]
    audience: Option<String>,
}

/// Settings of an import run.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Directory for the report and the run's state (summary.json, users.ndjson, state.json;
    /// export.ndjson with a Gigya search): owner-only, as it holds personal data and may hold
    /// password hashes. A directory with a finished run's report is refused (see --force).
    #[arg(long, default_value = "ferry-report")]
    report: PathBuf,
    /// Largest file per import job in bytes (1024 to Auth0's 500 KB, read as 500000).
    #[arg(long, default_value_t = import_schema::MAX_FILE_BYTES, value_parser = file_bytes)]
    file_bytes: usize,
    /// Import jobs in flight at once (Auth0 allows 2 per tenant; 1 to 20).
    #[arg(long, default_value_t = 2, value_parser = count::<usize>(1, 20))]
    jobs: usize,
    /// Seconds between two reads of a job's status (0.01 to 3600).
    #[arg(long, default_value_t = 2.0, value_parser = seconds(0.01, 3600.0))]
    poll: f64,
    /// Continue the run that was interrupted in the --report directory (same command, same
    /// settings): accounted users are not sent again, jobs in flight are followed to their end.
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Start over in a --report directory that holds an earlier run's report (finished or
    /// not): its report files are deleted first. Without it such a directory is refused.
    #[arg(long)]
    force: bool,
}

impl Auth0Args {
    fn config(&self) -> crate::engine::auth0::Auth0Config {
        crate::engine::auth0::Auth0Config {
            base_url: self.auth0_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            audience: self.audience.clone(),
        }
    }
}

impl RunArgs {
    fn import_options(&self, connection: &str, upsert: bool) -> crate::engine::import::ImportOptions {
        crate::engine::import::ImportOptions {
            connection: connection.to_owned(),
            upsert,
            max_file_bytes: self.file_bytes,
            max_active_jobs: self.jobs,
            poll_interval: std::time::Duration::from_secs_f64(self.poll),
            ..crate::engine::import::ImportOptions::default()
        }
    }

    fn run_options(&self) -> crate::engine::RunOptions {
        crate::engine::RunOptions {
            report_dir: Some(self.report.clone()),
            resume: self.resume,
            retry: crate::engine::RetryPolicy::default(),
        }
    }

    /// With --force, an earlier run's report in the --report directory is deleted first (the
    /// engine refuses to write over one).
    fn clear_report(&self) -> anyhow::Result<()> {
        if self.force {
            let removed = crate::engine::report::discard(&self.report)
                .with_context(|| format!("--force: clearing {}", self.report.display()))?;
            if !removed.is_empty() {
                eprintln!(
                    "--force: removed the earlier report in {} ({})",
                    self.report.display(),
                    removed
                        .iter()
                        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        Ok(())
    }
}

/// `ferry import` and `ferry migrate stormpath`: the engine's one import run, with progress.
async fn import(
    auth0: &Auth0Args,
    source: &crate::engine::ImportSource,
    connection: &str,
    upsert: bool,
    run: &RunArgs,
    command: &'static str,
) -> anyhow::Result<ExitCode> {
    run.clear_report()?;
    let progress = crate::engine::progress::Console::new();
    let summary = crate::engine::import(
        &auth0.config(),
        source,
        run.import_options(connection, upsert),
        &run.run_options(),
        &progress,
    )
    .await;
    progress.finish();
    let from = match source {
        crate::engine::ImportSource::Auth0File(path) => format!("read from {}", path.display()),
        crate::engine::ImportSource::StormpathExport(dir) => {
            format!("read from the Stormpath export {}", dir.display())
        }
    };
    Ok(finish_run(&summary.context(command)?, &from))
}

/// Prints a run's outcome; exit code 1 when any user failed, 0 when every user is in.
fn finish_run(summary: &crate::engine::report::Summary, from: &str) -> ExitCode {
    let t = &summary.totals;
    say(&summary.render(
        from,
        Style::for_stream(crate::term::ColorChoice::Auto, crate::term::Stream::Stdout),
    ));
    if t.failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Parses the command line, runs the command on a multi-threaded runtime and returns the exit
/// code: what the `ferry` binary does.
pub fn main() -> ExitCode {
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
            let style = Style::for_stream(crate::term::ColorChoice::Auto, crate::term::Stream::Stderr);
            eprintln!("{} {e:#}", style.bad_mark("error:"));
            if let Some(hint) = hint_for(&e) {
                eprintln!("{} {hint}", style.strong("hint:"));
            }
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}

/// The hint that fixes an error the engine's message does not already explain.
fn hint_for(error: &anyhow::Error) -> Option<String> {
    use crate::engine::EngineError;
    match error.downcast_ref::<EngineError>()? {
        EngineError::Gigya {
            method, code: 403007, ..
        } => Some(format!(
            "Gigya's 403007 (permission denied) on {method}: the application key (--user-key, FERRY_GIGYA_USER_KEY) is \
             not in a permission group that may call it. Reading password hashes (accounts.getAccountInfo with \
             include=password, IdentitySync's account reader) needs a group that allows them: ask the site's \
             administrator (Console → Admin → Permission Groups)."
        )),
        EngineError::Gigya { code: 403003, .. } => Some(
            "Gigya refused the request's signature: check --secret (FERRY_GIGYA_SECRET), the Base64 secret Gigya's \
             console shows for the application key given with --user-key (FERRY_GIGYA_USER_KEY)."
                .to_owned(),
        ),
        _ => None,
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(command) => run(command).await,
        Command::Check {
            file,
            kind,
            json,
            requires_username,
            file_bytes,
        } => {
            let kind = match kind {
                CheckKind::Gigya => crate::check::FileKind::Gigya,
                CheckKind::Auth0 => crate::check::FileKind::Auth0,
            };
            let rules = import_schema::Rules {
                requires_username,
                ..import_schema::Rules::default()
            };
            // The engine's errors name the file, the byte and the line.
            let report = crate::check::check(&file, kind, &rules, file_bytes).context("ferry check")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            } else {
                say(&report.render_with(Style::for_stream(
                    crate::term::ColorChoice::Auto,
                    crate::term::Stream::Stdout,
                )));
            }
            let problems = report.failing_users
                + report.duplicate_emails
                + report.duplicate_usernames
                + report.duplicate_user_ids
                + report.malformed;
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
                Some(dir) => crate::engine::deploy::read_deploy_cli(&dir, name.as_deref(), &keywords)?,
                None => {
                    let name = connection.ok_or_else(|| anyhow::anyhow!("give --connection NAME (or --from DIR)"))?;
                    let mut spec = crate::engine::deploy::ConnectionSpec {
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
                        let source = crate::engine::deploy::replace_keywords(&source, &keywords);
                        let left = crate::engine::deploy::unreplaced_keywords(&source);
                        if !left.is_empty() {
                            anyhow::bail!(
                                "keywords left unreplaced: {} in {}; give each with --keyword KEY=VALUE (a deploy would send the placeholder itself)",
                                left.join(", "),
                                path.display()
                            );
                        }
                        spec.scripts.insert(kind, source);
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
            let client = crate::engine::auth0::ManagementClient::new(
                auth0.config(),
                crate::engine::http_client(std::time::Duration::from_secs(60))?,
                crate::engine::RetryPolicy::default(),
            );
            let outcome = crate::engine::deploy::deploy(&client, &spec)
                .await
                .context("ferry deploy")?;
            for warning in &outcome.warnings {
                eprintln!("warning: {warning}");
            }
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
            let source = crate::engine::ImportSource::Auth0File(file);
            import(&auth0, &source, &connection, upsert, &run, "ferry import").await
        }
        Command::Migrate(Migrate::Gigya {
            connection,
            via,
            query,
            export_file,
            landing_dir,
            sftp_host,
            sftp_port,
            sftp_username,
            sftp_password,
            sftp_remote_path,
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
                Via::Search => crate::engine::ExportSource::Search { query },
                Via::IdentitySync => {
                    let needs = |flag: &str| anyhow::anyhow!("--via identity-sync needs {flag}");
                    crate::engine::ExportSource::IdentitySync(crate::engine::IdentitySyncExport {
                        query,
                        sftp: crate::engine::SftpWriter {
                            host: sftp_host
                                .ok_or_else(|| needs("--sftp-host (the server Gigya uploads the export to)"))?,
                            port: sftp_port,
                            username: sftp_username.ok_or_else(|| needs("--sftp-username"))?,
                            password: sftp_password.ok_or_else(|| needs("--sftp-password (or FERRY_SFTP_PASSWORD)"))?,
                            remote_path: sftp_remote_path,
                        },
                        landing_dir: landing_dir
                            .ok_or_else(|| needs("--landing-dir (where the SFTP folder is mounted on this machine)"))?,
                    })
                }
                Via::File => crate::engine::ExportSource::File(
                    export_file.ok_or_else(|| anyhow::anyhow!("--via file needs --export-file"))?,
                ),
            };
            let gigya = crate::engine::gigya::GigyaConfig {
                base_url: gigya_url,
                data_center,
                api_key,
                user_key,
                secret,
            };
            let from = match &source {
                crate::engine::ExportSource::File(path) => format!("read from the Gigya export {}", path.display()),
                crate::engine::ExportSource::Search { .. } => "exported from Gigya (accounts.search)".to_owned(),
                crate::engine::ExportSource::IdentitySync(_) => "exported from Gigya (IdentitySync)".to_owned(),
            };
            let mut migration = crate::engine::GigyaMigration::new(gigya, auth0.config(), source, &connection);
            migration.import = run.import_options(&connection, upsert);
            migration.report_dir = Some(run.report.clone());
            migration.resume = run.resume;
            run.clear_report()?;
            let progress = crate::engine::progress::Console::new();
            let summary = crate::engine::migrate_gigya(&migration, &progress).await;
            progress.finish();
            Ok(finish_run(&summary.context("ferry migrate gigya")?, &from))
        }
        Command::Migrate(Migrate::Stormpath {
            export_dir,
            connection,
            upsert,
            auth0,
            run,
        }) => {
            let source = crate::engine::ImportSource::StormpathExport(export_dir);
            import(&auth0, &source, &connection, upsert, &run, "ferry migrate stormpath").await
        }
        Command::Serve {
            seed,
            env_file,
            ready_file,
            host,
            okta_port,
            stormpath_port,
            gigya_port,
            auth0_port,
            dashboard_port,
            tls,
            ca_dir,
            routes,
        } => {
            let options = crate::serve::ServeOptions {
                host,
                okta_port,
                stormpath_port,
                gigya_port,
                auth0_port,
            };
            // A file left by an earlier run must not tell a waiting script to start.
            for stale in [&env_file, &ready_file].into_iter().flatten() {
                match std::fs::remove_file(stale) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(anyhow::Error::new(e).context(format!("removing the old {}", stale.display())));
                    }
                    _ => {}
                }
            }
            let hosts = crate::serve::HostOptions { tls, ca_dir, routes };
            let served = crate::serve::start_with(&options, seed.as_deref(), &hosts)
                .await
                .context("ferry serve")?;
            print!("{}", served.banner());
            let board = crate::dashboard::start(
                served.dashboard_links(),
                std::net::SocketAddr::new(host, dashboard_port),
            )
            .await
            .context("starting the dashboard")?;
            println!("dashboard  {}", board.base_url());
            // The dashboard reads the mocks from its server; should its page call a mock's admin
            // endpoints itself, its origin is the one other site they answer.
            {
                use mocks::Provider as _;
                for kit in [
                    served.okta.kit(),
                    served.stormpath.kit(),
                    served.gigya.kit(),
                    served.auth0.kit(),
                ] {
                    kit.allow_origin(board.base_url());
                }
            }
            served
                .wait_until_answering(std::time::Duration::from_secs(10))
                .await
                .map_err(anyhow::Error::msg)?;
            if let Some(path) = &env_file {
                crate::serve::write_env_file(path, &served.environment())
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("env file   {}", path.display());
            }
            if let Some(path) = &ready_file {
                crate::serve::write_atomically(path, &format!("ready {}\n", std::process::id()))
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("ready file {}", path.display());
            }
            {
                use std::io::Write as _;
                let _ = std::io::stdout().flush();
            }
            stopped().await?;
            eprintln!("stopping…");
            for file in [&env_file, &ready_file].into_iter().flatten() {
                let _ = std::fs::remove_file(file);
            }
            board.shutdown().await;
            served.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { which, json } => {
            let result = match which {
                Bench::Startup { samples } => crate::bench::mocks_speed::startup(samples).await?,
                Bench::OktaAuthn {
                    connections,
                    seconds,
                    rounds,
                    generator,
                } => {
                    use crate::bench::mocks_speed::{AuthnOptions, Generator, okta_authn};
                    let generator = generator.map(|g| match g {
                        LoadGenerator::Wrk => Generator::Wrk,
                        LoadGenerator::InProcess => Generator::InProcess,
                    });
                    okta_authn(&AuthnOptions {
                        connections,
                        seconds,
                        rounds,
                        generator,
                    })
                    .await?
                }
                Bench::FirstLogin {
                    count,
                    concurrency,
                    bcrypt_cost,
                } => crate::bench::mocks_speed::first_login(count, concurrency, bcrypt_cost).await?,
                Bench::Scenarios { dir, runs } => crate::bench::mocks_speed::scenarios(&dir, runs).await?,
                Bench::GigyaBulk {
                    count,
                    seed,
                    via,
                    file_bytes,
                    poll,
                    report,
                } => {
                    let options = crate::bench::gigya_bulk::Options {
                        count,
                        seed,
                        via,
                        file_bytes,
                        poll,
                        report,
                    };
                    crate::bench::gigya_bulk::run(&options).await?
                }
                Bench::UserSearch { users, samples } => crate::bench::user_search::run(users, samples).await?,
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
            routes,
            seed,
            timeout,
            context,
            json,
        } => {
            let mut options = crate::tryout::TryOptions::new(kind, script);
            options.args = args;
            options.configuration = config.into_iter().collect();
            options.allow_hosts = allow_hosts;
            options.allow_any_host = allow_any_host;
            options.timeout = std::time::Duration::from_secs_f64(timeout);
            options.context = context;
            options.routes = routes;
            options.seed = seed;
            match crate::tryout::try_script(options).await {
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
            bare,
        } => {
            let shape = if bare {
                crate::generate::SeedShape::Bare
            } else {
                crate::generate::SeedShape::Serve
            };
            let population = crate::generate::Population { count, seed };
            let mut sink: Box<dyn std::io::Write> = match &out {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            match provider {
                GenerateKind::Gigya => crate::generate::write_gigya_seed(&population, shape, &mut sink),
                GenerateKind::Okta => crate::generate::write_okta_seed(&population, shape, &mut sink),
            }
            .and_then(|()| sink.flush())
            .context("writing the population")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Waits for Ctrl-C, or SIGTERM (how test runners and process managers stop a server).
async fn stopped() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        tokio::select! {
            signal = tokio::signal::ctrl_c() => signal.context("waiting for Ctrl-C"),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
}

/// A number of seconds from `min` to `max`: finite, not negative, written as a plain number
/// (`2`, `0.5`); `inf`, `nan`, `1e400` and `-1` are refused with the range.
fn seconds(min: f64, max: f64) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let range = || format!("a number of seconds from {min} to {max}, such as {}", max.min(2.0));
        let value: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not {}", range()))?;
        if !value.is_finite() || value < min || value > max {
            return Err(format!("{text} is out of range: give {}", range()));
        }
        Ok(value)
    }
}

/// A whole number from `min` to `max`.
fn count<T>(min: u64, max: u64) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64>,
{
    move |text: &str| {
        let value: u64 = text
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a whole number from {min} to {max}"))?;
        if !(min..=max).contains(&value) {
            return Err(format!(
                "{text} is out of range: give a whole number from {min} to {max}"
            ));
        }
        T::try_from(value).map_err(|_| format!("{text} is too large"))
    }
}

/// The largest file per import job: 1024 bytes to Auth0's 500 KB (500000).
fn file_bytes(text: &str) -> Result<usize, String> {
    count::<usize>(1024, import_schema::MAX_FILE_BYTES as u64)(text).map_err(|e| {
        format!(
            "{e} (Auth0 refuses import files over {} bytes)",
            import_schema::MAX_FILE_BYTES
        )
    })
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

/// What a run did with the snapshots, for the summary line.
#[derive(Debug, Default)]
struct SnapshotTally {
    pending: usize,
    accepted: usize,
    rejected: usize,
    missing: usize,
    changed: usize,
    not_written: usize,
}

impl SnapshotTally {
    fn count(&mut self, checked: &snapshot::Checked) {
        match (&checked.state, &checked.action) {
            (State::Matches, _) => {}
            (_, Action::Pending(_)) => self.pending += 1,
            (_, Action::Accepted) => self.accepted += 1,
            (_, Action::Rejected) => self.rejected += 1,
            (_, Action::NotWrittenFailed) => self.not_written += 1,
            (State::New, Action::None) => self.missing += 1,
            (State::Changed(_), Action::None) => self.changed += 1,
        }
    }

    /// `; snapshots: 2 accepted, 1 written as .snap.new (…)`, or nothing.
    fn describe(&self, style: Style) -> String {
        let mut parts = vec![];
        if self.accepted > 0 {
            parts.push(style.good(&format!("{} accepted", self.accepted)));
        }
        if self.rejected > 0 {
            parts.push(style.warn(&format!("{} rejected", self.rejected)));
        }
        if self.pending > 0 {
            parts.push(style.warn(&format!(
                "{} new or changed, written as .snap.new (look at them with `ferry run --review`, or accept them all with `ferry run --accept`)",
                self.pending
            )));
        }
        if self.missing > 0 {
            parts.push(style.bad(&format!("{} missing", self.missing)));
        }
        if self.changed > 0 {
            parts.push(style.bad(&format!("{} changed", self.changed)));
        }
        if self.missing + self.changed > 0 {
            parts.push("nothing written (--check)".into());
        }
        if self.not_written > 0 {
            parts.push(format!(
                "{} new or changed but not written, as their scenarios failed",
                self.not_written
            ));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("; snapshots: {}", parts.join(", "))
        }
    }
}

/// `ferry run`: exit 0 when every scenario passed and its snapshot holds its result, 1 when
/// one failed or a snapshot is missing or differs, 2 when a scenario could not be loaded or run.
async fn run(command: RunCommand) -> anyhow::Result<ExitCode> {
    use futures_util::StreamExt as _;
    use std::io::IsTerminal as _;

    let style = Style::for_stream(command.color, crate::term::Stream::Stdout);
    let err_style = Style::for_stream(command.color, crate::term::Stream::Stderr);
    let mode = command.mode();
    if mode == Some(SnapshotMode::Review) && !std::io::stdin().is_terminal() {
        eprintln!(
            "{} --review asks about each snapshot on the terminal, and standard input is not one.\n\
             {} run `ferry run --review` in a terminal; or read the diffs a plain `ferry run` prints \
             and accept them all with `ferry run --accept`",
            err_style.bad_mark("error:"),
            err_style.strong("hint:")
        );
        return Ok(ExitCode::from(EXIT_UNUSABLE));
    }
    let paths = if command.paths.is_empty() {
        if !std::path::Path::new("scenarios").exists() {
            eprintln!(
                "{} there is no scenarios/ folder here, and no scenario file or folder was named.\n\
                 {} name them: `ferry run path/to/scenarios` (or files: `ferry run first.yaml`). To start, \
                 write a scenario in scenarios/ (see \"Scenario format\" in the README), then take its \
                 first snapshot with `ferry run --accept`",
                err_style.bad_mark("error:"),
                err_style.strong("hint:")
            );
            return Ok(ExitCode::from(EXIT_UNUSABLE));
        }
        vec![PathBuf::from("scenarios")]
    } else {
        command.paths.clone()
    };
    let mut targets = scenario::targets(&paths).context("finding scenarios")?;
    if let Some((k, n)) = command.partition {
        targets.sort_by(|a, b| a.file.cmp(&b.file));
        targets = targets
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, t)| t)
            .collect();
        if targets.is_empty() {
            println!("partition {k}/{n}: no scenario falls in it");
            return Ok(ExitCode::SUCCESS);
        }
    }
    if targets.is_empty() {
        anyhow::bail!(
            "no scenario files (*.yaml, *.yml) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // Each scenario's snapshot file; two scenarios may not share one.
    let mut snapshot_files: Vec<Option<PathBuf>> = vec![];
    let mut owners: std::collections::HashMap<PathBuf, &PathBuf> = std::collections::HashMap::new();
    for target in &targets {
        let Some(_) = mode else {
            snapshot_files.push(None);
            continue;
        };
        let dir = match &command.snapshots {
            Some(dir) => snapshot::absolute(dir),
            None => snapshot::snapshot_dir(&target.root).map_err(anyhow::Error::msg)?,
        };
        let file = snapshot::snapshot_file(&dir, &target.name);
        if let Some(other) = owners.insert(file.clone(), &target.file) {
            anyhow::bail!(
                "{} and {} would share the snapshot {}: give them different names, or run them with \
                 different --snapshots folders",
                other.display(),
                target.file.display(),
                file.display()
            );
        }
        snapshot_files.push(Some(file));
    }

    let jobs = command
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |n| n.get() * 4))
        .max(1);
    let started = std::time::Instant::now();
    let total = targets.len();
    let progress = crate::term::Progress::new(total as u64, "scenarios");
    let render = scenario::Render {
        verbose: command.verbose,
        style: Some(style),
        snapshot_diffs: mode != Some(SnapshotMode::Review),
    };

    let mut reports: Vec<Report> = vec![];
    let mut errors: Vec<(PathBuf, String)> = vec![];
    let mut finished: std::collections::BTreeMap<usize, Result<Report, scenario::ScenarioError>> =
        std::collections::BTreeMap::new();
    let mut next = 0;
    let mut done = 0;
    let mut results = std::pin::pin!(scenario::run_each(&targets, jobs));
    progress.set_message(format!("{} running", jobs.min(total)));
    while let Some((i, result)) = results.next().await {
        done += 1;
        progress.inc();
        progress.set_message(format!("{} running", jobs.min(total - done)));
        finished.insert(i, result);
        // Reports are printed in the order of the files.
        while let Some(result) = finished.remove(&next) {
            let target = &targets[next];
            match result {
                Ok(mut report) => {
                    let trouble = match (mode, &snapshot_files[next]) {
                        (Some(mode), Some(path)) if report.snapshot => {
                            settle_snapshot(&mut report, target, path, mode).err()
                        }
                        _ => None,
                    };
                    // A snapshot that cannot be read or written makes the scenario one that
                    // could not run (exit 2), not a pass.
                    if let Some(e) = trouble {
                        progress.print(&format!("{} {}: {e}\n", style.bad_mark("ERROR"), target.file.display()));
                        errors.push((target.file.clone(), e));
                    } else {
                        progress.print(&report.render_with(render));
                        reports.push(report);
                    }
                }
                Err(e) => {
                    progress.print(&format!("{} {e}\n", style.bad_mark("ERROR")));
                    errors.push((target.file.clone(), e.to_string()));
                }
            }
            next += 1;
        }
    }
    progress.finish();
    drop(progress);

    if mode == Some(SnapshotMode::Review) {
        review_pending(&mut reports, style)?;
    }

    let mut tally = SnapshotTally::default();
    for checked in reports.iter().filter_map(|r| r.snapshot_result.as_ref()) {
        tally.count(checked);
    }
    let failed = reports.iter().filter(|r| !r.passed()).count();
    let passed = reports.len() - failed;
    let count = |n: usize, text: &str, paint: fn(Style, &str) -> String| {
        let text = format!("{n} {text}");
        if n > 0 { paint(style, &text) } else { text }
    };
    say(&format!(
        "\n{}, {}, {} ({} scenarios in {:.2} s){}\n",
        count(passed, "passed", Style::good),
        count(failed, "failed", Style::bad),
        count(errors.len(), "could not run", Style::bad),
        total,
        started.elapsed().as_secs_f64(),
        tally.describe(style)
    ));
    if let Some(path) = command.junit {
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

/// Writes to standard output; a reader that went away (`ferry run | head`) is no error.
fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Compares a report with its snapshot and does what `mode` says with a new or changed one.
fn settle_snapshot(
    report: &mut Report,
    target: &scenario::Target,
    path: &std::path::Path,
    mode: SnapshotMode,
) -> Result<(), String> {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let source = snapshot::source_of(&target.file, dir);
    let description = report.description.as_deref().map(str::trim);
    let mut checked = snapshot::compare(path, &report.snapshot(), &source, description, &report.places())?;
    let outcome = match checked.state {
        State::Matches if mode == SnapshotMode::Check => Ok(()),
        State::Matches => checked.clean_up(),
        State::New | State::Changed(_) => match mode {
            SnapshotMode::Check => Ok(()),
            _ if !report.steps_passed() => {
                checked.action = Action::NotWrittenFailed;
                Ok(())
            }
            SnapshotMode::Accept => checked.accept(),
            SnapshotMode::Compare | SnapshotMode::Review => checked.write_pending(),
        },
    };
    report.snapshot_result = Some(checked);
    outcome.map_err(|e| e.to_string())
}

/// `--review`: asks about each snapshot the run left as `.snap.new`, on the terminal.
fn review_pending(reports: &mut [Report], style: Style) -> anyhow::Result<()> {
    let mut positions = vec![];
    let mut items = vec![];
    for (i, report) in reports.iter().enumerate() {
        if let Some(checked) = &report.snapshot_result
            && matches!(checked.action, Action::Pending(_))
        {
            positions.push(i);
            items.push(snapshot::ReviewItem {
                scenario: report.name.clone(),
                file: report.file.clone(),
                checked: checked.clone(),
            });
        }
    }
    if items.is_empty() {
        return Ok(());
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout();
    snapshot::review(&items, style, &mut input, &mut output, &mut |n, decision| {
        let Some(checked) = reports[positions[n]].snapshot_result.as_mut() else {
            return Ok(());
        };
        let said = match decision {
            Decision::Accept => checked.accept().map(|()| style.good("accepted")),
            Decision::Reject => checked.reject().map(|()| style.warn("rejected")),
            Decision::Skip => Ok(style.warn("skipped: it stays as .snap.new")),
        }?;
        say(&format!("{said} {}\n", snapshot::shown(&checked.path)));
        Ok(())
    })
    .context("reviewing snapshots")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ferry migrate gigya` with these extra arguments, against nothing that listens.
    fn migrate_gigya(extra: &[&str]) -> Result<Cli, clap::Error> {
        let mut args = vec![
            "ferry",
            "migrate",
            "gigya",
            "--connection",
            "users",
            "--api-key",
            "3_key",
            "--secret",
            "c2VjcmV0",
            "--auth0-url",
            "http://127.0.0.1:9",
            "--client-id",
            "id",
            "--client-secret",
            "secret",
        ];
        args.extend_from_slice(extra);
        Cli::try_parse_from(args)
    }

    #[test]
    fn a_query_that_cannot_be_read_is_refused_before_anything_runs() {
        for garbage in [
            "isRegistered = true garbage",
            "SELECT FROM accounts",
            "",
            "drop table accounts",
        ] {
            let error = migrate_gigya(&["--query", garbage]).expect_err("refused").to_string();
            assert!(error.contains("cannot be used"), "{garbage:?}: {error}");
        }
        for fine in [
            "isRegistered = true",
            "where isRegistered = true",
            "SELECT * FROM accounts WHERE isRegistered = true LIMIT 1000",
        ] {
            let Ok(Cli {
                command: Command::Migrate(Migrate::Gigya { query, .. }),
            }) = migrate_gigya(&["--query", fine])
            else {
                panic!("{fine:?} is a query");
            };
            assert_eq!(query.condition(), Some("isRegistered = true"), "{fine:?}");
        }
    }

    #[tokio::test]
    async fn identity_sync_says_what_it_needs_before_calling_anyone() {
        let cli = migrate_gigya(&["--via", "identity-sync", "--sftp-host", "sftp.example.com"]).expect("parses");
        let error = dispatch(cli.command).await.expect_err("incomplete").to_string();
        assert!(error.contains("--sftp-username"), "{error}");
        let cli = migrate_gigya(&[
            "--via",
            "identity-sync",
            "--sftp-host",
            "sftp.example.com",
            "--sftp-username",
            "u",
            "--sftp-password",
            "p",
        ])
        .expect("parses");
        let error = dispatch(cli.command).await.expect_err("incomplete").to_string();
        assert!(error.contains("--landing-dir"), "{error}");
    }
}
