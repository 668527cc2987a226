//! Checking a user's credentials against a database connection, with automatic migration —
//! auth0.md §1.6, step by step:
//!
//! 1. The identifier is looked up in the connection's Auth0 store first.
//! 2. Found: the password is checked against the stored hash; the login script is never called
//!    again for that user, whatever the result (import mode). With import mode off (legacy
//!    authentication) the script is called at every login.
//! 3. Not found: the `login` script runs. A profile back means the user is created in the store
//!    with a bcrypt hash of the password just typed and the profile mapped as Auth0 maps it.
//! 4. Wrong credentials, "no user", script errors, crashes and time-outs answer as Auth0
//!    answers, and no user is created.
//!
//! Migration writes twice, as Auth0 does (auth0.md §1.6 step 6): a partial record in the
//! connection's internal store first ([`Auth0::begin_migration`], before the password is
//! hashed), the full profile after. A record already there without a profile — a ghost: the
//! user was deleted through `DELETE /api/v2/users/{id}` only, or an earlier migration was
//! interrupted — refuses the migration with "The user already exists." until
//! `DELETE /api/v2/connections/{id}/users?email=` clears it (FIDELITY `auth0/ghost-users`).
//! MFA factors in the profile are enrolled with the user, or refuse the login (`mfa.rs`).
//!
//! What the application gets and the tenant logs for each way the login script can end is
//! [`verdict::answer`]'s (the one home of those rules, which `ferry try` reports too): script
//! errors other than wrong credentials reach the application as 403 `access_denied` with the
//! error's message as description (how Auth0 surfaces failures in extensibility code);
//! `UnauthorizedError` as 401 `unauthorized`. Auth0 does not document this wire shape
//! (auth0.md §6, item 1); the choice is written down in the README.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::Auth0;
use super::error::OAuthError;
use super::logs::LogEvent;
use super::model::{Connection, ScriptKind, StoredUser, default_nickname, default_picture};
use std::sync::atomic::Ordering::Relaxed;

use super::mfa::{self, Factors};
use super::model::RecordKind;
use super::password::{PasswordHash, StopOnDrop};
use super::scripts::masked;
use super::verdict::{self, ScriptVerdict};

/// Attributes of a script's profile that map to root fields (everything else is kept as an
/// extra profile attribute).
const MAPPED: &[&str] = &[
    "user_id",
    "id",
    "email",
    "email_verified",
    "username",
    "phone_number",
    "phone_verified",
    "name",
    "nickname",
    "picture",
    "given_name",
    "family_name",
    "user_metadata",
    "app_metadata",
    "metadata",
    "mfa_factors",
    "access_token",
    "refresh_token",
    "identities",
    "created_at",
    "updated_at",
    "last_login",
    "logins_count",
    "blocked",
];

/// Where a login ends once the password is right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginEnd {
    /// The login succeeds: counted, logged `s`.
    Complete,
    /// A second factor is still required (the tenant's MFA policy): nothing counted yet, logged
    /// `mfar` ("a user has been prompted for multi-factor authentication").
    SecondFactor,
}

impl Auth0 {
    /// Authenticates `identifier`/`password` on `connection`; on success the stored user, with
    /// its login counted.
    pub(crate) async fn authenticate(
        &self,
        connection: &Connection,
        identifier: &str,
        password: &str,
        ip: &str,
        client_id: Option<&str>,
    ) -> Result<StoredUser, OAuthError> {
        self.authenticate_until(connection, identifier, password, ip, client_id, LoginEnd::Complete)
            .await
    }

    /// [`Auth0::authenticate`], ending as `end` says when the password is right.
    pub(crate) async fn authenticate_until(
        &self,
        connection: &Connection,
        identifier: &str,
        password: &str,
        ip: &str,
        client_id: Option<&str>,
        end: LoginEnd,
    ) -> Result<StoredUser, OAuthError> {
        let stored = self.with_tenant(|t| t.find_user(&connection.name, identifier).cloned());
        if let Some(user) = &stored {
            if self.brute_force_blocked(connection, user, ip) {
                self.log_event(
                    "limit_wc",
                    "Blocked Account",
                    connection,
                    client_id,
                    Some(user),
                    identifier,
                    ip,
                );
                return Err(too_many_attempts());
            }
            if user.blocked == Some(true) {
                self.log_event(
                    "f",
                    "user is blocked",
                    connection,
                    client_id,
                    Some(user),
                    identifier,
                    ip,
                );
                return Err(OAuthError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "user is blocked",
                ));
            }
        }
        let legacy_auth = connection.custom_db() && !connection.import_mode();
        match stored {
            Some(user) if !legacy_auth => {
                self.check_stored_password(connection, user, password, ip, client_id, end)
                    .await
            }
            _ if connection.custom_db() => {
                self.login_with_script(connection, identifier, password, ip, client_id, end)
                    .await
            }
            _ => {
                self.log_event(
                    "fu",
                    "Wrong email or password.",
                    connection,
                    client_id,
                    None,
                    identifier,
                    ip,
                );
                Err(OAuthError::wrong_credentials())
            }
        }
    }

    async fn check_stored_password(
        &self,
        connection: &Connection,
        user: StoredUser,
        password: &str,
        ip: &str,
        client_id: Option<&str>,
        end: LoginEnd,
    ) -> Result<StoredUser, OAuthError> {
        let Some(hash) = user.password.clone() else {
            self.count_failure(connection, &user, ip);
            self.log_event(
                "fp",
                "Wrong email or password.",
                connection,
                client_id,
                Some(&user),
                &user.id,
                ip,
            );
            return Err(OAuthError::wrong_credentials());
        };
        let password_owned = password.to_owned();
        let custom = hash.is_custom();
        // bcrypt (and the imported algorithms) are deliberately slow: keep them off the async
        // workers, and stop them if the client goes away meanwhile (this future is dropped).
        let stop = StopOnDrop::default();
        let flag = stop.flag();
        let matches = tokio::task::spawn_blocking(move || hash.verify_until(&password_owned, &|| flag.load(Relaxed)))
            .await
            .ok()
            .flatten()
            .unwrap_or(false);
        drop(stop);
        if !matches {
            self.count_failure(connection, &user, ip);
            // An imported hash that does not verify is logged as Auth0 logs it.
            let description = if custom {
                "Password change required: verification failed for the provided custom_password_hash"
            } else {
                "Wrong email or password."
            };
            self.log_event("fp", description, connection, client_id, Some(&user), &user.id, ip);
            return Err(OAuthError::wrong_credentials());
        }
        if custom {
            // First good login with an imported hash: Auth0 re-hashes the password with bcrypt
            // and deletes the imported hash.
            let bcrypt = self.hash_password(password).await?;
            self.with_tenant(|t| {
                t.users
                    .update(&connection.name, &user.id, |u| u.password = Some(bcrypt));
            });
        }
        Ok(self.finish_login(connection, &user.id, ip, client_id, end))
    }

    async fn login_with_script(
        &self,
        connection: &Connection,
        identifier: &str,
        password: &str,
        ip: &str,
        client_id: Option<&str>,
        end: LoginEnd,
    ) -> Result<StoredUser, OAuthError> {
        let args = vec![json!(identifier), json!(password)];
        let shown = masked(&[(&args[0], false), (&args[1], true)]);
        let Some(verdict) = self.run_script(connection, ScriptKind::Login, args, shown).await else {
            self.log_event(
                "f",
                "The connection is not yet configured",
                connection,
                client_id,
                None,
                identifier,
                ip,
            );
            return Err(OAuthError::invalid_request(
                "The connection is not yet configured. Please set the login script of the custom database connection.",
            ));
        };
        let answer = verdict::answer(ScriptKind::Login, &verdict, identifier);
        if let (ScriptVerdict::Profile(profile), true) = (verdict, answer.accepted) {
            let factors = match mfa::from_profile(&profile) {
                Factors::Absent => vec![],
                Factors::Valid(factors) => factors,
                Factors::Failed => {
                    self.log_event(
                        "fu",
                        mfa::LOGIN_FACTORS_FAILED,
                        connection,
                        client_id,
                        None,
                        identifier,
                        ip,
                    );
                    return Err(OAuthError::new(
                        StatusCode::FORBIDDEN,
                        "access_denied",
                        mfa::LOGIN_FACTORS_FAILED,
                    ));
                }
            };
            let ticket = self.begin_migration(connection, &profile).inspect_err(|e| {
                self.log_event("f", &e.description, connection, client_id, None, identifier, ip);
            })?;
            // From here to the full profile the migration can be interrupted (the client goes
            // away while the password is hashed): the partial record then stays, a ghost.
            let mut user = self
                .user_from_profile(connection, profile, password)
                .await
                .inspect_err(|e| {
                    self.log_event("f", &e.description, connection, client_id, None, identifier, ip);
                })?;
            user.mfa_factors = factors;
            let id = user.id.clone();
            self.store_migrated_with(connection, user, ticket).inspect_err(|e| {
                self.log_event("f", &e.description, connection, client_id, None, identifier, ip);
            })?;
            return Ok(self.finish_login(connection, &id, ip, client_id, end));
        }
        if let Some(log) = &answer.log {
            let user_name = log.user_name.as_deref().unwrap_or(identifier);
            self.log_event(log.kind, &log.description, connection, client_id, None, user_name, ip);
        }
        let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::FORBIDDEN);
        Err(OAuthError::new(
            status,
            answer.error.as_deref().unwrap_or_default(),
            answer.message(),
        ))
    }

    /// Maps a profile returned by `login` or `get_user` to a stored user, hashing `password`
    /// (import mode) — or keeping no hash (legacy authentication).
    pub(crate) async fn user_from_profile(
        &self,
        connection: &Connection,
        profile: Map<String, Value>,
        password: &str,
    ) -> Result<StoredUser, OAuthError> {
        let Some(id) = verdict::profile_user_id(&profile) else {
            return Err(OAuthError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                verdict::USER_ID_MANDATORY,
            ));
        };
        let text = |key: &str| match profile.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let import = connection.import_mode();
        // The Auth0 store lower-cases emails (and usernames); legacy authentication keeps them.
        let email = text("email").map(|e| if import { e.to_lowercase() } else { e });
        let username = text("username").map(|u| if import { u.to_lowercase() } else { u });
        let name = text("name").unwrap_or_else(|| email.clone().or_else(|| username.clone()).unwrap_or_default());
        let nickname = text("nickname").unwrap_or_else(|| default_nickname(email.as_deref(), username.as_deref()));
        let picture = text("picture").unwrap_or_else(|| default_picture(email.as_deref(), &name));
        let object = |key: &str| profile.get(key).and_then(Value::as_object).cloned();
        let app_metadata = object("app_metadata")
            .or_else(|| object("metadata"))
            .unwrap_or_default();
        let extra = profile
            .iter()
            .filter(|(k, _)| !MAPPED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let hash = if import {
            Some(self.hash_password(password).await?)
        } else {
            None
        };
        let now = self.kit().clock.now();
        Ok(StoredUser {
            id,
            connection: connection.name.clone(),
            email,
            email_verified: profile.get("email_verified").and_then(Value::as_bool).unwrap_or(false),
            username,
            phone_number: text("phone_number"),
            phone_verified: profile.get("phone_verified").and_then(Value::as_bool).unwrap_or(false),
            name,
            nickname,
            picture,
            given_name: text("given_name"),
            family_name: text("family_name"),
            user_metadata: object("user_metadata").unwrap_or_default(),
            app_metadata,
            extra,
            created_at: now,
            updated_at: now,
            last_login: None,
            last_ip: None,
            logins_count: 0,
            last_password_reset: None,
            blocked: None,
            password: hash,
            mfa_factors: Vec::new(),
        })
    }

    /// bcrypt at the tenant's cost, off the async workers.
    pub(crate) async fn hash_password(&self, password: &str) -> Result<PasswordHash, OAuthError> {
        let cost = self.with_tenant(|t| t.settings.bcrypt_cost);
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&self.kit().ids.bytes(16));
        let password = password.to_owned();
        // stopped if the client goes away meanwhile (this future is dropped)
        let stop = StopOnDrop::default();
        let flag = stop.flag();
        tokio::task::spawn_blocking(move || PasswordHash::bcrypt_until(&password, cost, salt, &|| flag.load(Relaxed)))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r)
            .map_err(|e| OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e))
    }

    /// The first write of an automatic migration: the partial record in the connection's
    /// internal store, for a profile a script just vouched for (import mode; nothing to write
    /// for legacy authentication or a profile without an email). Refused with "The user already
    /// exists." when the store already holds the email without a profile (a ghost) or another
    /// user of the connection has it. The ticket ties the full profile to this record.
    pub(crate) fn begin_migration(
        &self,
        connection: &Connection,
        profile: &Map<String, Value>,
    ) -> Result<Option<u64>, OAuthError> {
        if !connection.import_mode() {
            return Ok(None);
        }
        let (Some(id), Some(email)) = (
            verdict::profile_user_id(profile),
            profile.get("email").and_then(Value::as_str).map(str::to_lowercase),
        ) else {
            return Ok(None);
        };
        self.with_tenant(|t| {
            let taken = t
                .users
                .by_email(&connection.name, &email)
                .is_some_and(|other| other.id != id);
            if taken || t.is_ghost(&connection.name, &email) {
                return Err(user_exists());
            }
            Ok(Some(t.connection_store.write(
                &connection.name,
                &email,
                &id,
                RecordKind::Migrated,
            )))
        })
    }

    /// Stores a user a script just vouched for. Legacy authentication updates the existing
    /// record; import mode refuses a second user with the same id or email, and a ghost.
    pub(crate) fn store_migrated(&self, connection: &Connection, user: StoredUser) -> Result<(), OAuthError> {
        self.store_migrated_with(connection, user, None)
    }

    /// [`Auth0::store_migrated`] for a migration that wrote its partial record already
    /// ([`Auth0::begin_migration`]'s ticket).
    pub(crate) fn store_migrated_with(
        &self,
        connection: &Connection,
        user: StoredUser,
        ticket: Option<u64>,
    ) -> Result<(), OAuthError> {
        let exists = user_exists;
        self.with_tenant(|t| {
            let same_email = user
                .email
                .as_deref()
                .and_then(|email| t.users.by_email(&user.connection, email))
                .is_some_and(|other| other.id != user.id);
            if same_email {
                return Err(exists());
            }
            let email = user.email.clone();
            let ours = ticket.is_some()
                && email
                    .as_deref()
                    .and_then(|e| t.connection_store.get(&user.connection, e))
                    .map(|r| r.ticket)
                    == ticket;
            if connection.import_mode() && !ours && email.as_deref().is_some_and(|e| t.is_ghost(&user.connection, e)) {
                return Err(exists());
            }
            let (name, id) = (user.connection.clone(), user.id.clone());
            match t.users.by_id(&user.connection, &user.id) {
                Some(existing) if !connection.import_mode() => {
                    if let (Some(old), Some(new)) = (existing.email.as_deref(), email.as_deref())
                        && old != new
                    {
                        t.connection_store.rename(&name, old, new);
                    }
                    let mut updated = user;
                    updated.created_at = existing.created_at;
                    updated.logins_count = existing.logins_count;
                    updated.last_login = existing.last_login;
                    updated.last_ip = existing.last_ip.clone();
                    updated.blocked = existing.blocked;
                    if updated.mfa_factors.is_empty() {
                        updated.mfa_factors = existing.mfa_factors.clone();
                    }
                    t.users.replace(updated);
                }
                Some(_) => return Err(exists()),
                None => t.users.insert(user),
            }
            // The record of this user in the connection's internal store (the partial profile a
            // migration wrote first, or the record a legacy-authentication login leaves).
            if let Some(email) = email.as_deref()
                && !ours
            {
                let kind = if connection.import_mode() {
                    RecordKind::Migrated
                } else {
                    RecordKind::LegacyLogin
                };
                t.connection_store.write(&name, email, &id, kind);
            }
            Ok(())
        })
    }

    /// The password was right: the login succeeds, or waits for a second factor.
    fn finish_login(
        &self,
        connection: &Connection,
        id: &str,
        ip: &str,
        client_id: Option<&str>,
        end: LoginEnd,
    ) -> StoredUser {
        if end == LoginEnd::Complete {
            return self.record_login(connection, id, ip, client_id, "s", None);
        }
        let user = self.with_tenant(|t| {
            t.failures.retain(|(c, u, _), _| !(c == &connection.name && u == id));
            t.users.by_id(&connection.name, id).cloned()
        });
        match user {
            Some(user) => {
                self.log_event(
                    "mfar",
                    "Multifactor authentication required",
                    connection,
                    client_id,
                    Some(&user),
                    &user.id,
                    ip,
                );
                user
            }
            // Deleted meanwhile: what record_login answers then.
            None => self.record_login(connection, id, ip, client_id, "s", None),
        }
    }

    /// Counts a successful login and returns the user as stored afterwards.
    pub(crate) fn record_login(
        &self,
        connection: &Connection,
        id: &str,
        ip: &str,
        client_id: Option<&str>,
        kind: &str,
        description: Option<&str>,
    ) -> StoredUser {
        let now = self.kit().clock.now();
        let user = self.with_tenant(|t| {
            t.failures.retain(|(c, u, _), _| !(c == &connection.name && u == id));
            t.users.update(&connection.name, id, |user| {
                user.logins_count += 1;
                user.last_login = Some(now);
                user.last_ip = Some(ip.to_owned());
                user.updated_at = now;
                user.clone()
            })
        });
        match user {
            Some(user) => {
                self.log_event(
                    kind,
                    description.unwrap_or("Successful login"),
                    connection,
                    client_id,
                    Some(&user),
                    &user.id,
                    ip,
                );
                user
            }
            // Deleted between the check and now: report it as absent.
            None => StoredUser {
                id: id.to_owned(),
                connection: connection.name.clone(),
                email: None,
                email_verified: false,
                username: None,
                phone_number: None,
                phone_verified: false,
                name: String::new(),
                nickname: String::new(),
                picture: String::new(),
                given_name: None,
                family_name: None,
                user_metadata: Map::new(),
                app_metadata: Map::new(),
                extra: Map::new(),
                created_at: now,
                updated_at: now,
                last_login: Some(now),
                last_ip: Some(ip.to_owned()),
                logins_count: 1,
                last_password_reset: None,
                blocked: None,
                password: None,
                mfa_factors: Vec::new(),
            },
        }
    }

    fn brute_force_blocked(&self, connection: &Connection, user: &StoredUser, ip: &str) -> bool {
        if !connection.brute_force_protection() {
            return false;
        }
        self.with_tenant(|t| {
            let max = t.settings.brute_force_max_attempts;
            t.failures
                .get(&(connection.name.clone(), user.id.clone(), ip.to_owned()))
                .is_some_and(|n| *n >= max)
        })
    }

    fn count_failure(&self, connection: &Connection, user: &StoredUser, ip: &str) {
        self.with_tenant(|t| {
            *t.failures
                .entry((connection.name.clone(), user.id.clone(), ip.to_owned()))
                .or_insert(0) += 1;
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn log_event(
        &self,
        kind: &str,
        description: &str,
        connection: &Connection,
        client_id: Option<&str>,
        user: Option<&StoredUser>,
        user_name: &str,
        ip: &str,
    ) {
        let event = LogEvent {
            connection: Some(connection.name.clone()),
            client_id: client_id.map(str::to_owned),
            user_id: user.map(StoredUser::user_id),
            user_name: Some(
                user.and_then(|u| u.email.clone())
                    .unwrap_or_else(|| user_name.to_owned()),
            ),
            ip: Some(ip.to_owned()),
            connection_id: Some(connection.id.clone()),
            ..self.new_log_event(kind, description)
        };
        self.with_tenant(|t| t.log(event));
    }
}

fn user_exists() -> OAuthError {
    OAuthError::new(StatusCode::FORBIDDEN, "access_denied", "The user already exists.")
}

fn too_many_attempts() -> OAuthError {
    OAuthError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        "Your account has been blocked after multiple consecutive login attempts. We've sent you a notification via your preferred contact method with instructions on how to unblock it.",
    )
}
