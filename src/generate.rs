//! Deterministic generators of large populations with the variety of real data: `ferry
//! generate`, the benchmarks, and tests that need more users than a hand-written seed.
//!
//! The same seed and count always give the same accounts, byte for byte. Each account has a
//! known password (`password_of(n)`), hashed for real with one of the algorithms the source
//! system stores, so any account of a generated population can log in after a migration. The
//! variety, in fixed proportions drawn from the seed: non-ASCII and unusual names (accents,
//! Cyrillic, CJK, apostrophes, an emoji now and then), missing first or last names, accounts
//! without an email (which Auth0 cannot import), unverified emails, accounts whose email repeats
//! an earlier account's (Gigya allows it when they log in with a username), accounts without a
//! password (social logins), and every hash algorithm — weighted as real sites are: mostly one
//! or two cheap schemes, a few slow ones.

use std::io::Write;

use serde_json::{Map, Value, json};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Population {
    pub count: u64,
    pub seed: u64,
}

/// A small, fast, deterministic generator (SplitMix64): the same seed, the same sequence, on
/// every platform.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True `percent` times in a hundred (tenths allowed: `0.5`).
    pub fn chance(&mut self, percent: f64) -> bool {
        (self.below(10_000) as f64) < percent * 100.0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Björn",
    "Chloé",
    "Dmitri",
    "Élodie",
    "Fatima",
    "Grzegorz",
    "Hana",
    "Ignacio",
    "Jürgen",
    "Kwame",
    "Léa",
    "Mateo",
    "Nguyễn",
    "Oluwaseun",
    "Priya",
    "Quentin",
    "Renée",
    "Søren",
    "Takeshi",
    "Úrsula",
    "Václav",
    "Wen",
    "Xiomara",
    "Yusuf",
    "Zoë",
    "Дмитрий",
    "Анна",
    "美咲",
    "太郎",
    "O'Neil",
    "Mary-Jane",
    "José María",
    "Åsa",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "García",
    "Müller",
    "Nowak",
    "Dupont",
    "O'Brien",
    "Łukasiewicz",
    "Ødegård",
    "Çelik",
    "Nakamura",
    "Иванова",
    "山田",
    "Nguyễn",
    "van der Berg",
    "da Silva",
    "Kowalczyk",
    "Papadopoulos",
    "Núñez",
    "Hernández-López",
    "Björklund",
    "Şahin",
    "Ó Súilleabháin",
    "Smith 🙂",
    "Øster",
];

const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "mail.example.net",
    "exämple.de",
    "example.co.jp",
];

/// The password of account `n` of a generated population (also usable as a login password).
pub fn password_of(n: u64) -> String {
    format!("Pw-{n:07}-ü!")
}

/// The email of account `n` (the one repeated by later duplicates).
pub fn email_of(n: u64) -> String {
    format!("user{n:07}@{}", DOMAINS[(n % DOMAINS.len() as u64) as usize]).replace("exämple", "example")
}

/// Gigya hash algorithms, weighted as a site's history leaves them: (algorithm, weight, rounds).
const GIGYA_HASHES: &[(&str, u64, u32)] = &[
    ("pbkdf2", 30, 10),
    ("pbkdf2_sha256", 15, 10),
    ("pbkdf2_sha512", 5, 10),
    ("md5", 10, 1),
    ("sha1", 10, 1),
    ("sha256", 8, 1),
    ("sha512", 5, 1),
    ("sha1_hashbytes", 3, 1),
    ("symphony2", 3, 5),
    ("md5_crypt", 2, 0),
    ("drupal", 2, 128),
    ("bcrypt", 2, 16),
];

fn gigya_password(rng: &mut Rng, password: &str) -> Value {
    let total: u64 = GIGYA_HASHES.iter().map(|(_, w, _)| w).sum();
    let mut draw = rng.below(total);
    let (algorithm, rounds) = GIGYA_HASHES
        .iter()
        .find_map(|(a, w, r)| {
            if draw < *w {
                Some((*a, *r))
            } else {
                draw -= w;
                None
            }
        })
        .map_or(("md5", 1), |x| x);
    let salt: Vec<u8> = match algorithm {
        "sha1_hashbytes" => vec![],
        "md5_crypt" => (0..8).map(|_| b'a' + rng.below(26) as u8).collect(),
        "drupal" => (0..8).map(|_| b'a' + rng.below(26) as u8).collect(),
        "symphony2" => (0..12).map(|_| b'A' + rng.below(26) as u8).collect(),
        "md5" | "sha1" | "sha256" | "sha512" if rng.chance(30.0) => vec![],
        _ => rng.bytes(16),
    };
    match mocks::hashes::gigya::hash(algorithm, password, &salt, rounds) {
        Ok(hashed) => serde_json::to_value(hashed).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// Account `n` (from 1) of a Gigya population, in the mock Gigya's seed format.
pub fn gigya_account(population: &Population, n: u64) -> Value {
    // Each account draws from its own stream, so any account can be made without the others.
    let mut rng = Rng::new(population.seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let mut profile = Map::new();
    let duplicate = n > 10 && rng.chance(1.0);
    let email = if duplicate {
        email_of(1 + rng.below(n - 1))
    } else {
        email_of(n)
    };
    let has_email = !rng.chance(0.5);
    if has_email {
        profile.insert("email".into(), json!(email));
    }
    if !rng.chance(3.0) {
        profile.insert("firstName".into(), json!(first));
    }
    if !rng.chance(3.0) {
        profile.insert("lastName".into(), json!(last));
    }
    if rng.chance(20.0) {
        profile.insert("birthYear".into(), json!(1940 + rng.below(70)));
    }
    if rng.chance(30.0) {
        profile.insert(
            "country".into(),
            json!(rng.pick(&["FR", "DE", "JP", "US", "BR", "PL", "UA", "NG"])),
        );
    }
    let mut account = Map::new();
    account.insert(
        "UID".into(),
        json!(format!("gen{:07}x{:08x}", n, population.seed as u32)),
    );
    account.insert("profile".into(), Value::Object(profile));
    // A duplicate or an account without an email logs in with a username.
    if duplicate || !has_email {
        account.insert(
            "loginIDs".into(),
            json!({ "emails": [], "username": format!("member{n:07}") }),
        );
    }
    if has_email && rng.chance(4.0) {
        account.insert("isVerified".into(), json!(false));
    }
    if rng.chance(15.0) {
        account.insert(
            "data".into(),
            json!({ "plan": rng.pick(&["free", "plus", "pro"]), "newsletter": rng.chance(50.0), "points": rng.below(10_000) }),
        );
    }
    if rng.chance(10.0) {
        account.insert("preferences".into(), json!({ "terms": { "isConsentGranted": true } }));
    }
    // Social logins have no password.
    if !rng.chance(3.0) {
        let hashed = gigya_password(&mut rng, &password_of(n));
        if !hashed.is_null() {
            account.insert("password_hash".into(), hashed);
        }
    }
    let day = 1 + rng.below(28);
    let month = 1 + rng.below(12);
    let year = 2012 + rng.below(12);
    account.insert(
        "created".into(),
        json!(format!("{year}-{month:02}-{day:02}T10:00:00.000Z")),
    );
    Value::Object(account)
}

/// Which document a generated seed is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeedShape {
    /// A `ferry serve --seed` file: the mock's section under its name
    /// (`{"gigya": {"accounts": [...]}}`).
    #[default]
    Serve,
    /// The mock's own seed (`{"accounts": [...]}`): a scenario's `seed_files`, or the body of
    /// `POST /__ferry/seed` on that mock.
    Bare,
}

/// Writes `{<head>"<section>": [` ... `]}` around one JSON value per line from
/// `item(1..=count)`, without holding the population in memory, wrapped in `{"<mock>": ...}`
/// for [`SeedShape::Serve`]. `head` is more members, each followed by a comma.
fn write_seed(
    mock: &str,
    head: &str,
    section: &str,
    count: u64,
    shape: SeedShape,
    out: &mut dyn Write,
    item: impl Fn(u64) -> Value,
) -> std::io::Result<()> {
    if shape == SeedShape::Serve {
        write!(out, "{{\"{mock}\":")?;
    }
    writeln!(out, "{{{head}\"{section}\":[")?;
    for n in 1..=count {
        if n > 1 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &item(n))?;
    }
    out.write_all(b"\n]}")?;
    if shape == SeedShape::Serve {
        out.write_all(b"}")?;
    }
    out.write_all(b"\n")
}

/// Writes a Gigya seed for the population (see [`SeedShape`]), one account per line.
pub fn write_gigya_seed(population: &Population, shape: SeedShape, out: &mut dyn Write) -> std::io::Result<()> {
    write_seed("gigya", "", "accounts", population.count, shape, out, |n| {
        gigya_account(population, n)
    })
}

/// User `n` (from 1) of an Okta population, in the mock Okta's seed format.
pub fn okta_user(population: &Population, n: u64) -> Value {
    let mut rng = Rng::new(population.seed ^ n.wrapping_mul(0x9FB2_1C65_1E98_DF25));
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let email = email_of(n);
    let mut profile = json!({ "email": email, "firstName": first, "lastName": last });
    if rng.chance(3.0) {
        profile.as_object_mut().map(|p| p.remove("firstName"));
    }
    let status = if rng.chance(2.0) { "SUSPENDED" } else { "ACTIVE" };
    json!({ "login": email, "profile": profile, "status": status, "password": password_of(n) })
}

/// Writes an Okta seed for the population (see [`SeedShape`]).
pub fn write_okta_seed(population: &Population, shape: SeedShape, out: &mut dyn Write) -> std::io::Result<()> {
    // Okta's default profile schema requires firstName; a few generated users have none, as in
    // an org whose admins made it optional: the seed says so (the mock refuses them otherwise).
    write_seed(
        "okta",
        "\"settings\":{\"nullable_names\":true},",
        "users",
        population.count,
        shape,
        out,
        |n| okta_user(population, n),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_load_where_they_are_meant_to() {
        let population = Population { count: 200, seed: 3 };
        let mut out = vec![];
        write_gigya_seed(&population, SeedShape::Serve, &mut out).expect("write");
        write_okta_seed(&population, SeedShape::Serve, &mut vec![]).expect("write");
        let serve: crate::serve::ServeSeed =
            mocks::kit::seed::parse_json(std::str::from_utf8(&out).expect("utf-8"), None).expect("a serve seed");
        assert_eq!(serve.gigya.map(|g| g.accounts.len()), Some(200));
        for write in [write_gigya_seed, write_okta_seed] {
            let mut bare = vec![];
            write(&population, SeedShape::Bare, &mut bare).expect("write");
            let text = std::str::from_utf8(&bare).expect("utf-8");
            assert!(
                text.starts_with("{\"accounts\"") || text.starts_with("{\"settings\""),
                "{}",
                &text[..40]
            );
        }
        let mut okta = vec![];
        write_okta_seed(&population, SeedShape::Bare, &mut okta).expect("write");
        let seed: mocks::okta::OktaSeed =
            mocks::kit::seed::parse_json(std::str::from_utf8(&okta).expect("utf-8"), None).expect("an okta seed");
        assert_eq!(seed.users.len(), 200);
    }

    #[test]
    fn the_same_seed_gives_the_same_population() {
        let population = Population { count: 50, seed: 7 };
        let mut a = vec![];
        let mut b = vec![];
        write_gigya_seed(&population, SeedShape::Bare, &mut a).expect("write");
        write_gigya_seed(&population, SeedShape::Bare, &mut b).expect("write");
        assert_eq!(a, b);
        let other = Population { count: 50, seed: 8 };
        let mut c = vec![];
        write_gigya_seed(&other, SeedShape::Bare, &mut c).expect("write");
        assert_ne!(a, c);
    }

    #[test]
    fn a_population_has_the_variety_of_real_data() {
        let population = Population { count: 3000, seed: 42 };
        let accounts: Vec<Value> = (1..=population.count).map(|n| gigya_account(&population, n)).collect();
        let count = |f: &dyn Fn(&Value) -> bool| accounts.iter().filter(|a| f(a)).count();
        assert!(
            count(&|a| a["profile"].get("email").is_none()) > 0,
            "accounts without an email"
        );
        assert!(count(&|a| a["isVerified"] == false) > 0, "unverified emails");
        assert!(
            count(&|a| a.get("password_hash").is_none()) > 0,
            "accounts without a password"
        );
        assert!(
            count(&|a| a["profile"].get("lastName").is_none()) > 0,
            "missing last names"
        );
        assert!(
            count(&|a| a["profile"]["firstName"].as_str().is_some_and(|n| !n.is_ascii())) > 0,
            "non-ASCII names"
        );
        let mut emails = std::collections::HashMap::<&str, usize>::new();
        for account in &accounts {
            if let Some(email) = account["profile"]["email"].as_str() {
                *emails.entry(email).or_default() += 1;
            }
        }
        assert!(emails.values().any(|n| *n > 1), "repeated emails");
        // Every algorithm appears.
        let mut algorithms = std::collections::BTreeSet::new();
        for account in &accounts {
            let hash = &account["password_hash"];
            if let Some(a) = hash["hashSettings"]["algorithm"].as_str() {
                algorithms.insert(a.to_owned());
            } else if let Some(mcf) = hash["compoundHashedPassword"].as_str() {
                algorithms.insert(mcf.split('$').nth(1).unwrap_or("?").to_owned());
            }
        }
        assert!(algorithms.len() >= 12, "{algorithms:?}");
    }

    #[test]
    fn every_generated_hash_verifies_with_the_known_password() {
        let population = Population { count: 400, seed: 3 };
        for n in 1..=population.count {
            let account = gigya_account(&population, n);
            let Some(hash) = account.get("password_hash") else {
                continue;
            };
            let stored: mocks::hashes::gigya::GigyaPassword =
                serde_json::from_value(hash.clone()).expect("a Gigya password");
            assert!(
                mocks::hashes::gigya::verify(&stored, &password_of(n)).expect("verifiable"),
                "account {n}: {hash}"
            );
        }
    }
}
