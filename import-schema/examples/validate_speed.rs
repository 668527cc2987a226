//! What validating one user costs: `cargo run --release -p import-schema --example
//! validate_speed`. Validates a million users shaped like the engine's Gigya output (a
//! `custom_password_hash`, metadata, an MFA factor) and a million invalid ones, and prints the
//! time per user. A measurement to read, not a test: it asserts nothing about speed.

use std::hint::black_box;
use std::time::Instant;

use import_schema::{Rules, validate_user};
use serde_json::{Value, json};

fn users(n: usize, valid: bool) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let email = if valid { format!("user{i}@example.com") } else { format!("user{i}@") };
            json!({
                "email": email,
                "email_verified": true,
                "user_id": format!("{i:024x}"),
                "given_name": "Jane",
                "family_name": "Doe",
                "name": "Jane Doe",
                "nickname": "jane",
                "picture": "https://example.com/a.png",
                "custom_password_hash": {
                    "algorithm": "pbkdf2",
                    "hash": {"value": "$pbkdf2-sha1$i=1000,l=20$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhh", "encoding": "utf8"}
                },
                "app_metadata": {"gigya_uid": format!("uid-{i}"), "plan": "gold"},
                "user_metadata": {"locale": "en"},
                "mfa_factors": [{"totp": {"secret": "JBSWY3DPEHPK3PXP"}}]
            })
        })
        .collect()
}

fn main() {
    let rules = Rules::default();
    import_schema::schema::compile();
    const DISTINCT: usize = 1_000;
    const N: usize = 1_000_000;
    for valid in [true, false] {
        let batch = users(DISTINCT, valid);
        let start = Instant::now();
        let mut failing = 0usize;
        for user in batch.iter().cycle().take(N) {
            failing += usize::from(!black_box(validate_user(user, &rules)).is_empty());
        }
        let elapsed = start.elapsed();
        println!(
            "{} users ({}): {:.2?} in all, {:.2} µs per user, {failing} failing",
            N,
            if valid { "valid" } else { "each with a bad email" },
            elapsed,
            elapsed.as_secs_f64() * 1e6 / N as f64
        );
    }
}
