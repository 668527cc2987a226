//! The step that runs the user's own program: `exec: { run: [node, importer.mjs], cwd?, env?,
//! timeout?, expect?: { exit, stdout, stderr } }`.
//!
//! The program runs without a shell, in its own process group, with standard input closed and
//! the mocks' coordinates in its environment ([`World::environment`]: `FERRY_AUTH0_URL`,
//! `FERRY_AUTH0_CLIENT_SECRET`, ...), then the step's own `env:`. Variables named `FERRY_*`
//! that Ferry itself was started with are not passed on, so a program never reaches a real
//! tenant a shell had configured; loopback is added to `NO_PROXY`/`no_proxy` so that a proxy
//! configured for the machine does not stand between the program and the mocks.
//!
//! **The clock.** While the program runs, the scenario's manual clock follows real time (it is
//! moved forward every few milliseconds by the real time elapsed), so import jobs, rate-limit
//! windows and token lifetimes progress as they would for a real client. When the program
//! ends, the clock is moved to the end of the step's time-out window (start + `timeout`), a
//! fixed point, so later steps see the same times on every run; times that fell inside the
//! window differ between runs and the snapshot shows them as `[time during exec #N (PROGRAM)]`
//! ([`World::name_real_times`]).
//!
//! **Output.** Standard output and standard error are kept (the last 4 MiB of each), with every
//! known credential value (those of the environment whose names are secret-like, every Auth0
//! application's secret) and anything shaped like a JWT masked before they are matched,
//! printed or kept. A failed step shows the exit code and the tail of both.
//!
//! A program that cannot be started (not installed, not executable, a `cwd` that does not
//! exist) makes the scenario one that could not run (`ferry run` exits with 2), never a pass.
//! A time-out kills the program's whole process group; so does the program's end, which stops
//! whatever it left running in its group.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mocks::kit::secrets::{Masker, is_secret_name};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{Play, Played, Playing};
use crate::scenario::file::ExecStep;
use crate::scenario::world::{RealTime, Variables, World};

/// How much of each output stream is kept: its last 4 MiB.
const KEPT_OUTPUT: usize = 4 << 20;
/// Lines of each stream a failure shows.
const TAIL_LINES: usize = 20;
/// Characters of one line a failure shows.
const TAIL_LINE_CHARS: usize = 400;
/// How often the clock catches up with real time while a program runs.
const CLOCK_STEP: Duration = Duration::from_millis(5);

impl Play for ExecStep {
    fn describe(&self) -> String {
        let words: Vec<String> = self.run.iter().map(|w| shell_word(w)).collect();
        format!("exec {}", words.join(" "))
    }

    fn play<'a>(&'a self, world: &'a mut World) -> Playing<'a> {
        Box::pin(exec(self, world))
    }
}

/// A word as a shell would need it written (for reports only: nothing runs through a shell).
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+{}".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// How the program ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    Exited(i32),
    Signal(i32),
    TimedOut,
}

async fn exec(step: &ExecStep, world: &mut World) -> Result<Played, String> {
    let (program_word, args) = step.run.split_first().ok_or("`run` names no program")?;
    let program = program_path(program_word, &world.base_dir);
    let cwd = match &step.cwd {
        Some(dir) => world.base_dir.join(dir),
        None => world.base_dir.clone(),
    };
    let cwd = if cwd.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cwd
    };
    if !cwd.is_dir() {
        return Err(could_not_run(
            world,
            format!(
                "could not run `{program_word}`: its cwd {} is not a directory",
                cwd.display()
            ),
        ));
    }

    let mut environment = world.environment();
    let masker = output_masker(world, &environment, step, &world.vars);
    for (name, value) in &step.env {
        environment.push((name.clone(), world.vars.substitute(value)));
    }

    let mut command = tokio::process::Command::new(&program);
    command
        .args(args.iter().map(|a| world.vars.substitute(a)))
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FERRY_") {
            command.env_remove(&name);
        }
    }
    for name in ["NO_PROXY", "no_proxy"] {
        let existing = std::env::var(name).unwrap_or_default();
        let loopback = "127.0.0.1,localhost,::1";
        let value = if existing.trim().is_empty() {
            loopback.to_owned()
        } else {
            format!("{existing},{loopback}")
        };
        command.env(name, value);
    }
    for (name, value) in &environment {
        command.env(name, value);
    }

    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound if program_word.contains('/') => {
                    format!("{} does not exist", program.display())
                }
                std::io::ErrorKind::NotFound => "not found on PATH (is it installed?)".to_owned(),
                std::io::ErrorKind::PermissionDenied => format!("{} is not executable", program.display()),
                _ => e.to_string(),
            };
            return Err(could_not_run(world, format!("could not run `{program_word}`: {why}")));
        }
    };
    let pid = child.id();
    let stdout = Arc::new(Mutex::new(Tail::default()));
    let stderr = Arc::new(Mutex::new(Tail::default()));
    let readers = [
        child.stdout.take().map(|s| tokio::spawn(collect(s, stdout.clone()))),
        child.stderr.take().map(|s| tokio::spawn(collect(s, stderr.clone()))),
    ];

    // The clock follows real time while the program runs (see the module's documentation).
    let clock = world.clock.clone();
    let from = clock.now();
    let to = from + chrono::Duration::from_std(step.timeout).unwrap_or(chrono::Duration::MAX);
    let started = Instant::now();
    let follower = {
        let clock = clock.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(CLOCK_STEP);
            loop {
                ticks.tick().await;
                follow(
                    &clock,
                    from + chrono::Duration::from_std(started.elapsed()).unwrap_or_default(),
                    to,
                );
            }
        })
    };

    let ending = match tokio::time::timeout(step.timeout, child.wait()).await {
        Ok(Ok(status)) => exit_of(status),
        Ok(Err(e)) => {
            follower.abort();
            kill_group(pid);
            return Err(format!("waiting for `{program_word}`: {e}"));
        }
        Err(_) => {
            kill_group(pid);
            let _ = child.wait().await;
            Ending::TimedOut
        }
    };
    // What the program left running in its group goes with it; then its pipes close.
    kill_group(pid);
    for reader in readers.into_iter().flatten() {
        if tokio::time::timeout(Duration::from_secs(5), reader).await.is_err() {
            // A descendant that left the group still holds the pipe: keep what was read.
        }
    }
    let elapsed = started.elapsed();
    follower.abort();
    follow(&clock, to, to);
    let label = format!(
        "exec #{} ({})",
        world.real_time.len() + 1,
        Path::new(program_word)
            .file_name()
            .map_or_else(|| program_word.clone(), |n| n.to_string_lossy().into_owned())
    );
    world.real_time.push(RealTime { from, to, label });

    let out = take(&stdout, &masker);
    let err = take(&stderr, &masker);
    let mut failures = vec![];
    let want = step.expect.exit.unwrap_or(0);
    let outcome = match ending {
        Ending::Exited(code) => {
            if code != i32::from(want) {
                failures.push(format!("exit code: expected {want}, got {code}"));
            }
            format!("exit {code}")
        }
        Ending::Signal(signal) => {
            failures.push(format!(
                "exit code: expected {want}, but the program was killed by signal {signal}"
            ));
            format!("killed by signal {signal}")
        }
        Ending::TimedOut => {
            failures.push(format!(
                "the program did not finish within its time-out ({}); its process group was killed",
                humanize(step.timeout)
            ));
            format!("timed out after {}", humanize(step.timeout))
        }
    };
    for (name, want, got) in [
        ("stdout", &step.expect.stdout, &out),
        ("stderr", &step.expect.stderr, &err),
    ] {
        if let Some(want) = want {
            let want = world.vars.substitute(want);
            if !got.text.contains(&want) {
                failures.push(format!("{name}: expected it to contain {want:?}"));
            }
        }
    }
    if !failures.is_empty() {
        failures.push(format!(
            "what it printed (it ran {:.1} s in {}):\n{}\n{}",
            elapsed.as_secs_f64(),
            cwd.display(),
            out.tail("stdout"),
            err.tail("stderr")
        ));
    }
    Ok(Played::new(outcome, failures))
}

/// Records why the scenario cannot run here and returns it as the step's error.
fn could_not_run(world: &mut World, reason: String) -> String {
    world.could_not_run = Some(reason.clone());
    reason
}

/// The program to start: a name with a `/` is a path, relative to the scenario's directory; a
/// bare name is looked up on `PATH` by the operating system.
fn program_path(word: &str, base_dir: &Path) -> PathBuf {
    let path = Path::new(word);
    if word.contains('/') && path.is_relative() {
        let below: PathBuf = path
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        let joined = base_dir.join(below);
        // `./x` relative to an empty base stays `./x`, which the OS takes as a path too.
        if joined.components().count() == 1 {
            Path::new(".").join(joined)
        } else {
            joined
        }
    } else {
        path.to_path_buf()
    }
}

/// Moves the clock forward to `want`, never past `limit`, never back.
fn follow(clock: &mocks::Clock, want: chrono::DateTime<chrono::Utc>, limit: chrono::DateTime<chrono::Utc>) {
    let want = want.min(limit);
    let now = clock.now();
    if want > now
        && let Ok(by) = (want - now).to_std()
    {
        clock.advance(by);
    }
}

fn exit_of(status: std::process::ExitStatus) -> Ending {
    if let Some(code) = status.code() {
        return Ending::Exited(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return Ending::Signal(signal);
        }
    }
    Ending::Exited(-1)
}

/// Kills the program's process group (the program and whatever it started and left in it).
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        // ESRCH (nothing left in the group) is the usual answer after a clean exit.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// `5m`, `90s`, `1h30m`: a time-out as a scenario writes it.
fn humanize(duration: Duration) -> String {
    let mut secs = duration.as_secs();
    let millis = duration.subsec_millis();
    let mut out = String::new();
    for (unit, size) in [("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if millis > 0 || out.is_empty() {
        out.push_str(&format!("{millis}ms"));
    }
    out
}

/// The last [`KEPT_OUTPUT`] bytes of a stream.
#[derive(Debug, Default)]
struct Tail {
    bytes: Vec<u8>,
    total: u64,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > 2 * KEPT_OUTPUT {
            let cut = self.bytes.len() - KEPT_OUTPUT;
            self.bytes.drain(..cut);
        }
    }
}

async fn collect(mut stream: impl AsyncRead + Unpin, into: Arc<Mutex<Tail>>) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => into.lock().unwrap_or_else(PoisonError::into_inner).push(&buffer[..n]),
        }
    }
}

/// A stream's kept output as text, secrets masked.
struct Output {
    text: String,
    total: u64,
    cut: bool,
}

fn take(tail: &Mutex<Tail>, masker: &Masker) -> Output {
    let tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
    let start = tail.bytes.len().saturating_sub(KEPT_OUTPUT);
    let mut text = String::from_utf8_lossy(&tail.bytes[start..]).into_owned();
    masker.mask(&mut text);
    mask_jwts(&mut text);
    Output {
        cut: tail.total > (tail.bytes.len() - start) as u64,
        text,
        total: tail.total,
    }
}

impl Output {
    /// The last lines, for a failure.
    fn tail(&self, name: &str) -> String {
        let lines: Vec<&str> = self.text.lines().collect();
        if lines.is_empty() {
            return format!("{name}: (nothing)");
        }
        let shown = &lines[lines.len().saturating_sub(TAIL_LINES)..];
        let mut out = if shown.len() < lines.len() || self.cut {
            format!("{name} (last {} lines of {} bytes):", shown.len(), self.total)
        } else {
            format!("{name}:")
        };
        for line in shown {
            out.push_str("\n  ");
            if line.chars().count() > TAIL_LINE_CHARS {
                out.extend(line.chars().take(TAIL_LINE_CHARS));
                out.push('…');
            } else {
                out.push_str(line);
            }
        }
        out
    }
}

/// Masks the credential values the program was given or could print: the mocks' secrets and
/// tokens (`FERRY_*_SECRET`, `FERRY_*_TOKEN`), the values of the step's own `env:` whose names
/// are secret-like (`…SECRET…`, `…TOKEN…`, `…KEY…`, `…PASS…`), and every Auth0 application's
/// secret. Ids, URLs and audiences stay readable.
fn output_masker(world: &World, mocks: &[(String, String)], step: &ExecStep, vars: &Variables) -> Masker {
    let own = mocks
        .iter()
        .filter(|(name, _)| name.ends_with("_SECRET") || name.ends_with("_TOKEN"))
        .map(|(_, value)| value.clone());
    let given = step
        .env
        .iter()
        .filter(|(name, _)| is_secret_name(name))
        .map(|(_, value)| vars.substitute(value));
    let clients = world.auth0.clients().into_iter().map(|(_, _, secret)| secret);
    Masker::new(own.chain(given).chain(clients))
}

/// Replaces anything shaped like a JWT or JWE (`eyJ…` in base64url segments joined by dots,
/// at least three) with the mask: the tokens a program obtained are credentials Ferry did not
/// hand out, so no list knows them.
fn mask_jwts(text: &mut String) {
    if !text.contains("eyJ") {
        return;
    }
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("eyJ") {
        let boundary = rest[..at].chars().next_back().is_none_or(|c| !is_token_char(c));
        let end = rest[at..]
            .find(|c: char| !is_token_char(c))
            .map_or(rest.len(), |n| at + n);
        let candidate = &rest[at..end];
        let segments: Vec<&str> = candidate.split('.').collect();
        if boundary && segments.len() >= 3 && segments.iter().take(2).all(|s| s.len() >= 4) {
            out.push_str(&rest[..at]);
            out.push_str(mocks::kit::journal::MASK);
            rest = &rest[end..];
        } else {
            out.push_str(&rest[..at + 3]);
            rest = &rest[at + 3..];
        }
    }
    out.push_str(rest);
    *text = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_are_masked_and_other_text_kept() {
        let mut text = "token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl done; eyJust a word".to_owned();
        mask_jwts(&mut text);
        assert_eq!(text, format!("token={} done; eyJust a word", mocks::kit::journal::MASK));
    }

    #[test]
    fn words_are_quoted_for_reports_only_when_needed() {
        assert_eq!(shell_word("importer.mjs"), "importer.mjs");
        assert_eq!(shell_word("--file=data/x.json"), "--file=data/x.json");
        assert_eq!(shell_word("two words"), "'two words'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn time_outs_read_as_written() {
        assert_eq!(humanize(Duration::from_secs(300)), "5m");
        assert_eq!(humanize(Duration::from_secs(5400)), "1h30m");
        assert_eq!(humanize(Duration::from_millis(1500)), "1s500ms");
    }

    #[test]
    fn a_long_output_keeps_its_tail() {
        let mut tail = Tail::default();
        for _ in 0..3 {
            tail.push(&vec![b'a'; KEPT_OUTPUT]);
        }
        tail.push(b"end");
        let output = take(&Mutex::new(tail), &Masker::default());
        assert!(output.text.ends_with("aend") && output.text.len() == KEPT_OUTPUT);
        assert!(output.cut && output.total == 3 * KEPT_OUTPUT as u64 + 3);
    }
}
