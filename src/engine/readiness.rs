//! Readiness: what a run needs of the tenant, checked at the start of every import run
//! (`ferry import`, `ferry migrate gigya`, `ferry migrate stormpath`) before anything is
//! exported or uploaded. Auth0 refuses an import job into a connection that does not exist, is
//! not a database connection, or is enabled for no application (FIDELITY
//! `auth0/import-connection`); finding that out after exporting a million accounts, or at the
//! first job, wastes the run. Each refusal here names the connection, what is wrong and the fix.
//!
//! The facts come from the Management API (`GET /api/v2/connections?name=` and, when the
//! connection object no longer carries `enabled_clients`, `GET /api/v2/connections/{id}/clients`);
//! the scope is `read:connections`, which a run needs anyway to find the connection's id.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::auth0::ManagementClient;
use super::error::EngineError;
use super::import::ImportTarget;

/// What the tenant says about the connection a run imports into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionLookup {
    /// The target cannot tell (a test tenant); the run's own lookup decides.
    Unknown,
    /// No connection of that name; the names of the tenant's database connections.
    Missing {
        database_connections: Vec<String>,
    },
    Found(ConnectionFacts),
}

/// A connection as far as readiness is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionFacts {
    pub id: String,
    pub name: String,
    pub strategy: String,
    /// Client ids of the applications it is enabled for.
    pub enabled_clients: Vec<String>,
}

/// Looks the connection up through the Management API.
pub(super) fn lookup<'a>(
    client: &'a ManagementClient,
    name: &'a str,
) -> BoxFuture<'a, Result<ConnectionLookup, EngineError>> {
    Box::pin(async move {
        let Some(connection) = client.connection_by_name(name).await? else {
            let database_connections = client.database_connection_names().await?;
            return Ok(ConnectionLookup::Missing { database_connections });
        };
        let text = |key: &str| {
            connection
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let id = text("id");
        let enabled_clients = match connection.get("enabled_clients").and_then(Value::as_array) {
            Some(list) => list.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect(),
            // Auth0 is moving enabled clients off the connection object: ask the sub-resource.
            None => client.connection_clients(&id).await?,
        };
        Ok(ConnectionLookup::Found(ConnectionFacts {
            id,
            name: text("name"),
            strategy: text("strategy"),
            enabled_clients,
        }))
    })
}

/// What is wrong with importing into `connection`, if anything, with the fix.
pub fn problem(connection: &str, lookup: &ConnectionLookup) -> Option<String> {
    match lookup {
        ConnectionLookup::Unknown => None,
        ConnectionLookup::Missing { database_connections } => {
            let known = if database_connections.is_empty() {
                "the tenant has no database connection".to_owned()
            } else {
                format!("its database connections: {}", database_connections.join(", "))
            };
            Some(format!(
                "Auth0 has no connection named {connection:?} ({known}). Fix the connection name, or create it \
                 with `ferry deploy --connection {connection} --login login.js --get-user get_user.js --enable-client APP` \
                 (or in the Auth0 Dashboard: Authentication > Database > Create DB Connection)."
            ))
        }
        ConnectionLookup::Found(facts) if facts.strategy != "auth0" => Some(format!(
            "Auth0 connection {connection:?} is a {} connection: Auth0 imports users into database connections only \
             (it would answer 400 \"Connection must be a database connection\"). Import into a database connection.",
            facts.strategy
        )),
        ConnectionLookup::Found(facts) if facts.enabled_clients.is_empty() => Some(format!(
            "Auth0 connection {connection:?} ({}) is not enabled for any application: Auth0 refuses imports into it \
             (400 connection_is_disabled) and every login through it (\"the connection was disabled\"). Enable it for \
             the application your users sign in to: run your `ferry deploy` again with `--enable-client APP` (or \
             `enabled_clients` in the deploy-cli tree's database.json), or in the Auth0 Dashboard: Authentication > \
             Database > {connection} > Applications.",
            facts.id
        )),
        ConnectionLookup::Found(_) => None,
    }
}

/// Stops the run before it starts when Auth0 would refuse its imports.
pub(super) async fn check(target: &dyn ImportTarget, connection: &str) -> Result<(), EngineError> {
    let lookup = target.connection_lookup(connection).await?;
    match problem(connection, &lookup) {
        Some(problem) => Err(EngineError::Config(problem)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(strategy: &str, clients: &[&str]) -> ConnectionLookup {
        ConnectionLookup::Found(ConnectionFacts {
            id: "con_users00000000001".into(),
            name: "users".into(),
            strategy: strategy.into(),
            enabled_clients: clients.iter().map(|c| (*c).to_owned()).collect(),
        })
    }

    // FIDELITY: auth0/import-connection
    #[test]
    fn each_refusal_names_the_connection_what_is_wrong_and_the_fix() {
        assert_eq!(problem("users", &found("auth0", &["abc"])), None);
        assert_eq!(problem("users", &ConnectionLookup::Unknown), None);

        let disabled = problem("users", &found("auth0", &[])).expect("a problem");
        assert!(
            disabled.contains("\"users\" (con_users00000000001) is not enabled for any application"),
            "{disabled}"
        );
        assert!(disabled.contains("--enable-client APP"), "{disabled}");
        assert!(
            disabled.contains("Authentication > Database > users > Applications"),
            "{disabled}"
        );

        let social = problem("users", &found("google-oauth2", &["abc"])).expect("a problem");
        assert!(social.contains("is a google-oauth2 connection"), "{social}");
        assert!(social.contains("database connections only"), "{social}");

        let missing = problem(
            "usres",
            &ConnectionLookup::Missing {
                database_connections: vec!["users".into(), "legacy".into()],
            },
        )
        .expect("a problem");
        assert!(
            missing.contains("no connection named \"usres\" (its database connections: users, legacy)"),
            "{missing}"
        );
        assert!(missing.contains("ferry deploy --connection usres"), "{missing}");
        let none = problem(
            "users",
            &ConnectionLookup::Missing {
                database_connections: vec![],
            },
        )
        .expect("a problem");
        assert!(none.contains("the tenant has no database connection"), "{none}");
    }
}
