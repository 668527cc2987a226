//! `ferry bench user-search`: the dashboard's Users view against a mock Auth0 holding many
//! users — each search as the page asks it (`GET /api/mocks/auth0/users` on the dashboard
//! server, which gets a Management API token and calls `GET /api/v2/users` with `q`,
//! `search_engine=v3`, `sort=created_at:-1`, `page`, `per_page=50`, `include_totals`). Target:
//! any search answers in under a second.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use mocks::auth0::Auth0;
use mocks::auth0::seed::{Auth0Seed, ConnectionSeed, UserSeed};
use mocks::kit::clock::Clock;
use mocks::{Kit, LOOPBACK_EPHEMERAL, Provider};
use serde_json::{Value, json};

use super::{BenchResult, Measure};
use crate::dashboard::{self, ManagementClient, MockLink};

/// A search the Users view makes: its name, and the page's parameters.
struct Search {
    name: &'static str,
    params: String,
    /// How many users it must find (the benchmark checks its answers).
    total: usize,
}

/// Users seeded a millisecond apart (so "newest first" is one order): `user000000@example.com`
/// …, one in a thousand on a second connection, Jane Doe in the middle.
fn seed(auth0: &Auth0, clock: &Clock, users: usize) -> anyhow::Result<()> {
    let connections: Vec<ConnectionSeed> =
        serde_json::from_value(json!([{ "name": "db-users" }, { "name": "legacy-db" }]))?;
    // The clock is manual: the free tier's rate limit would never refill (the search, not the
    // limit, is measured).
    let settings = serde_json::from_value(json!({ "rate_limits": "off" }))?;
    auth0.seed(Auth0Seed {
        settings: Some(settings),
        connections,
        ..Auth0Seed::default()
    })?;
    for i in 0..users {
        clock.advance(Duration::from_millis(1));
        let jane = i == users / 3;
        let user = UserSeed {
            connection: if i % 1_000 == 0 { "legacy-db" } else { "db-users" }.to_owned(),
            email: Some(if jane {
                "jane.doe@example.com".to_owned()
            } else {
                format!("user{i:07}@example.com")
            }),
            password: None,
            user_id: Some(format!("{i:024x}")),
            username: None,
            email_verified: true,
            phone_number: None,
            name: Some(if jane {
                "Jane Doe".to_owned()
            } else {
                format!("User {i:07}")
            }),
            nickname: None,
            given_name: None,
            family_name: None,
            picture: None,
            user_metadata: Default::default(),
            app_metadata: Default::default(),
            blocked: None,
            mfa_factors: None,
        };
        auth0.seed(Auth0Seed {
            users: vec![user],
            ..Auth0Seed::default()
        })?;
    }
    Ok(())
}

pub async fn run(users: usize, samples: usize) -> anyhow::Result<BenchResult> {
    anyhow::ensure!(
        users >= 2_000,
        "--users: at least 2,000 (the searches below expect them)"
    );
    let samples = samples.max(1);
    let clock = Clock::manual(Clock::scenario_epoch());
    let auth0 = Auth0::new(Kit::deterministic(clock.clone(), 7));
    let started = Instant::now();
    seed(&auth0, &clock, users)?;
    let seeded = started.elapsed();
    let resident = resident_bytes();
    // What each search cost before it ran on the stored users: every user's API form.
    let started = Instant::now();
    let every = auth0.users().len();
    let api_forms = started.elapsed();
    anyhow::ensure!(every == users, "seeded {every} users of {users}");

    let server = mocks::start(auth0.clone(), LOOPBACK_EPHEMERAL).await?;
    let (id, secret) = auth0
        .client_credentials(mocks::auth0::MANAGEMENT_APP)
        .context("the Management application")?;
    let link = MockLink::new("auth0", server.base_url()).with_management(ManagementClient::new(id, secret));
    let board = dashboard::start(vec![link], LOOPBACK_EPHEMERAL).await?;
    let http = sandbox::net::client_builder().no_proxy().build()?;

    let jane_id = format!("auth0|{:024x}", users / 3);
    let searches = [
        Search {
            name: "every user, newest first: page 1",
            params: String::new(),
            total: users,
        },
        Search {
            name: "every user: page 20, the last served",
            params: "page=19".into(),
            total: users,
        },
        Search {
            name: "User: free text `jane`",
            params: "text=jane".into(),
            total: 1,
        },
        Search {
            name: "User: a user id",
            params: format!("text={}", urlencode(&jane_id)),
            total: 1,
        },
        Search {
            name: "Email: the start of an address",
            params: "by=email&text=user000042".into(),
            total: 10,
        },
        Search {
            name: "Connection: one in a thousand users",
            params: "by=connection&text=legacy-db".into(),
            total: users.div_ceil(1_000),
        },
        Search {
            name: "User: no match",
            params: "text=zzz-nobody".into(),
            total: 0,
        },
        Search {
            name: "Lucene: email:user00* AND NOT connection",
            params: format!(
                "by=lucene&text={}",
                urlencode("email:user00* AND NOT identities.connection:\"legacy-db\"")
            ),
            total: (0..users)
                .filter(|i| *i < 100_000 && i % 1_000 != 0 && *i != users / 3)
                .count(),
        },
    ];
    let mut measures = vec![];
    let mut worst = Duration::ZERO;
    // One search first, so the token request is not counted in the first measure.
    let _ = get(&http, &format!("{}/api/mocks/auth0/users", board.base_url())).await?;
    for search in &searches {
        let url = format!("{}/api/mocks/auth0/users?{}", board.base_url(), search.params);
        let mut times = vec![];
        for _ in 0..samples {
            let started = Instant::now();
            let answer = get(&http, &url).await?;
            times.push(started.elapsed());
            anyhow::ensure!(
                answer["total"].as_u64() == Some(search.total as u64),
                "{}: {} found, {} expected ({})",
                search.name,
                answer["total"],
                search.total,
                answer["q"]
            );
        }
        times.sort();
        let median = times[times.len() / 2];
        let max = times[times.len() - 1];
        worst = worst.max(max);
        measures.push(Measure::new(search.name, ms(median), "ms").at_most(1_000.0));
    }
    measures.push(Measure::new("slowest search of all samples", ms(worst), "ms").at_most(1_000.0));
    board.shutdown().await;
    server.shutdown().await;
    Ok(BenchResult {
        bench: "user-search".into(),
        method: format!(
            "{users} users seeded in-process into a mock Auth0 (a millisecond apart), served on loopback with the dashboard; each search asked {samples} times as the Users view asks it (GET /api/mocks/auth0/users on the dashboard server: a Management API call with q, search_engine=v3, sort=created_at:-1, 50 a page, include_totals), the answer's total checked; the median of each search and the slowest answer of all, wall time"
        ),
        measures,
        notes: vec![
            format!(
                "seeding {users} users took {:.1} s; the process then held {:.0} MB",
                seeded.as_secs_f64(),
                resident.unwrap_or(0) as f64 / 1e6
            ),
            format!(
                "building every user's API form once takes {:.0} ms: what each search cost before it ran on the stored users, before filtering and sorting",
                ms(api_forms)
            ),
        ],
    })
}

async fn get(http: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let answer = http.get(url).send().await?;
    let status = answer.status();
    let body: Value = answer.json().await?;
    anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
    Ok(body)
}

/// Resident memory of this process (VmRSS), from /proc (Linux).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
