//! The `ferry` binary as a person uses it: the snapshot loop of `ferry run` over a scenario
//! folder outside this repository (a first run writes `.snap.new` and fails, `--accept` takes
//! it, a change shows a diff naming file and step, `--check` fails without writing, `--review`
//! asks on a terminal), colour only where it belongs, the hint where there is nothing to run,
//! and the README's synopses against every `--help`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

// Its scratch folders are in the system's temporary directory: outside the repository, so no
// `scenarios/` or `snapshots/` of ours is found from them.
use common::Scratch;

fn ferry() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
    // The tests decide colour themselves.
    for var in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        command.env_remove(var);
    }
    command.stdin(Stdio::null());
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A scenario needing no script: a signup and a login on a plain database connection.
const SIGNUP: &str = r#"description: >
  A "plain" database connection: a signup, then a login.
auth0:
  connection: { name: users }
steps:
  - signup: { email: new.person@example.com, password: "Str0ng!Passw0rd", connection: users, expect: { status: 200 } }
  - login: { username: new.person@example.com, password: "Str0ng!Passw0rd", realm: users, expect: { status: 200 } }
"#;

/// The same with a third step, a wrong password (line 8 of the file).
fn signup_changed() -> String {
    format!(
        "{SIGNUP}  - login: {{ username: new.person@example.com, password: wrong, realm: users, expect: {{ status: 403 }} }}\n"
    )
}

/// `<dir>/cases/signup.yaml`: a folder not named `scenarios`, so its snapshots go to
/// `<dir>/snapshots/` (beside `cases/`).
fn write_cases(dir: &Path, scenario: &str) -> PathBuf {
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).expect("cases folder");
    std::fs::write(cases.join("signup.yaml"), scenario).expect("the scenario");
    cases
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    ferry()
        .current_dir(dir)
        .arg("run")
        .args(args)
        .output()
        .expect("ferry runs")
}

#[test]
fn the_snapshot_loop_from_the_binary_alone() {
    let scratch = Scratch::new("loop");
    let dir = scratch.path();
    write_cases(dir, SIGNUP);
    let snap = dir.join("snapshots/signup.snap");
    let pending = dir.join("snapshots/signup.snap.new");

    // A first run writes the result as .snap.new and fails.
    let output = run_in(dir, &["cases"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(pending.exists() && !snap.exists(), "{stdout}");
    assert!(stdout.contains("snapshots/signup.snap: none stored yet"), "{stdout}");
    assert!(stdout.contains("ferry run --accept"), "the way on is named: {stdout}");
    let pending_text = std::fs::read_to_string(&pending).expect("the .snap.new");
    assert!(
        pending_text.starts_with(
            "---\nsource: cases/signup.yaml\ndescription: \"A \\\"plain\\\" database connection: a signup, then a login.\"\n---\n{\n"
        ),
        "{pending_text}"
    );
    assert!(
        pending_text.contains("\"1 signup new.person@example.com → 200\""),
        "{pending_text}"
    );

    // --check fails on the missing snapshot and writes nothing (the pending one stays as it was).
    std::fs::remove_file(&pending).expect("remove the .snap.new");
    let output = run_in(dir, &["--check", "cases"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(!pending.exists() && !snap.exists(), "--check wrote something: {stdout}");
    assert!(stdout.contains("1 missing"), "{stdout}");

    // --accept takes it: .snap written, nothing pending, exit 0; a plain run then passes.
    let output = run_in(dir, &["--accept", "cases"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(snap.exists() && !pending.exists(), "{stdout}");
    assert!(
        stdout.contains("accepted snapshot snapshots/signup.snap (new)"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&snap).expect("the .snap"),
        pending_text,
        "accepting writes the file the pending one was"
    );
    let output = run_in(dir, &["cases"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).0);
    let output = run_in(dir, &["--check", "cases"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).0);

    // A change: the diff names the scenario file, line and step, and the result is pending.
    write_cases(dir, &signup_changed());
    let accepted = std::fs::read_to_string(&snap).expect("the .snap");
    let output = run_in(dir, &["--check", "cases"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(!pending.exists(), "--check wrote a .snap.new: {stdout}");
    assert_eq!(std::fs::read_to_string(&snap).expect("the .snap"), accepted);
    assert!(stdout.contains("1 changed"), "{stdout}");
    let output = run_in(dir, &["cases"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("step 3 (cases/signup.yaml:8): login new.person@example.com"),
        "the diff names the file, line and step: {stdout}"
    );
    assert!(!stdout.contains(":0)"), "no step at line 0: {stdout}");
    assert!(
        stdout.contains("+    \"3 login new.person@example.com → 403 invalid_grant: Wrong email or password.\""),
        "{stdout}"
    );
    assert!(pending.exists(), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&snap).expect("the .snap"),
        accepted,
        "a plain run keeps the .snap"
    );
    assert!(!stdout.contains('\x1b'), "piped output has no escape codes: {stdout:?}");

    // Another plain run over a matching result removes a stale .snap.new, as insta does.
    write_cases(dir, SIGNUP);
    let output = run_in(dir, &["cases"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).0);
    assert!(!pending.exists());
}

#[test]
fn a_failed_scenario_writes_no_snapshot() {
    let scratch = Scratch::new("failed");
    let dir = scratch.path();
    write_cases(
        dir,
        &SIGNUP.replace(
            "realm: users, expect: { status: 200 }",
            "realm: users, expect: { status: 201 }",
        ),
    );
    for args in [&["cases"][..], &["--accept", "cases"]] {
        let output = run_in(dir, args);
        let (stdout, _) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains("not written: the scenario's steps failed"), "{stdout}");
        assert!(!dir.join("snapshots").exists(), "{args:?}: {stdout}");
    }
}

#[test]
fn snapshots_go_where_they_are_told() {
    let scratch = Scratch::new("elsewhere");
    let dir = scratch.path();
    // A folder named scenarios: the snapshots go beside it, named by the path below it,
    // whichever file or subfolder is run.
    let flow = dir.join("project/scenarios/flow");
    std::fs::create_dir_all(&flow).expect("folders");
    std::fs::write(flow.join("signup.yaml"), SIGNUP).expect("scenario");
    let output = run_in(dir, &["--accept", "project/scenarios/flow/signup.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).0);
    assert!(dir.join("project/snapshots/flow__signup.snap").exists());
    let output = run_in(&dir.join("project"), &["--check"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).0);

    // --snapshots DIR.
    let output = run_in(dir, &["--accept", "--snapshots", "kept", "project/scenarios"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).0);
    let kept = std::fs::read_to_string(dir.join("kept/flow__signup.snap")).expect("in --snapshots");
    assert!(kept.starts_with("---\nsource: "), "{kept}");
}

#[test]
fn an_unusable_snapshot_folder_is_an_error_not_a_pass() {
    let scratch = Scratch::new("unusable");
    write_cases(scratch.path(), SIGNUP);
    std::fs::write(scratch.join("snapshots"), "a file where the folder should be").expect("write");
    let output = run_in(scratch.path(), &["cases"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ERROR cases/signup.yaml: cannot read the snapshot"),
        "{stdout}"
    );
    assert!(stdout.contains("0 passed, 0 failed, 1 could not run"), "{stdout}");
}

#[test]
fn review_refuses_without_a_terminal() {
    let scratch = Scratch::new("review-pipe");
    write_cases(scratch.path(), SIGNUP);
    let output = run_in(scratch.path(), &["--review", "cases"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("standard input is not one"), "{stderr}");
    assert!(stderr.contains("ferry run --accept"), "{stderr}");
    assert!(!scratch.join("snapshots").exists(), "nothing ran: {stdout}");
}

/// `script` (util-linux) runs a command on a pseudo-terminal and passes its own standard input
/// to it.
fn script_available() -> bool {
    Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn review_on_a_terminal_accepts_rejects_and_skips() {
    if !script_available() {
        assert!(
            std::env::var_os("FERRY_REQUIRE_PTY").is_none(),
            "FERRY_REQUIRE_PTY is set and `script` (util-linux) is missing"
        );
        eprintln!(
            "SKIPPED review_on_a_terminal_accepts_rejects_and_skips: no `script` (util-linux) for a pseudo-terminal"
        );
        return;
    }
    let scratch = Scratch::new("review-pty");
    let dir = scratch.path();
    let cases = write_cases(dir, SIGNUP);
    std::fs::write(cases.join("again.yaml"), SIGNUP).expect("a second scenario");
    std::fs::write(cases.join("third.yaml"), SIGNUP).expect("a third scenario");
    let review = |answers: &str| {
        let command = format!("{} run --review cases", env!("CARGO_BIN_EXE_ferry"));
        let mut child = ferry_script(dir, &command);
        use std::io::Write as _;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(answers.as_bytes())
            .expect("answers");
        let output = child.wait_with_output().expect("script runs");
        text(&output).0
    };
    // again: accept, signup: reject (after an answer it does not know), third: skip.
    let shown = review("a\nwhat\nr\ns\n");
    let snapshots = dir.join("snapshots");
    assert!(shown.contains("Snapshot 1 of 3:"), "{shown}");
    assert!(shown.contains("\"what\": answer a, r or s"), "{shown}");
    assert!(shown.contains('\x1b'), "a terminal gets colour: {shown:?}");
    assert!(snapshots.join("again.snap").exists(), "{shown}");
    assert!(!snapshots.join("again.snap.new").exists(), "{shown}");
    assert!(
        !snapshots.join("signup.snap").exists() && !snapshots.join("signup.snap.new").exists(),
        "{shown}"
    );
    assert!(
        snapshots.join("third.snap.new").exists() && !snapshots.join("third.snap").exists(),
        "{shown}"
    );
    // A changed snapshot shows its diff with the step; A accepts the rest.
    std::fs::write(cases.join("again.yaml"), signup_changed()).expect("change");
    let shown = review("A\n");
    assert!(shown.contains("step 3 (cases/again.yaml:8)"), "{shown}");
    for name in ["again", "signup", "third"] {
        assert!(snapshots.join(format!("{name}.snap")).exists(), "{name}: {shown}");
        assert!(!snapshots.join(format!("{name}.snap.new")).exists(), "{name}: {shown}");
    }
}

fn ferry_script(dir: &Path, command: &str) -> std::process::Child {
    let mut script = Command::new("script");
    script
        .args(["-qec", command, "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        script.env_remove(var);
    }
    script.spawn().expect("script starts")
}

#[test]
fn colour_only_where_it_belongs() {
    let scratch = Scratch::new("colour");
    write_cases(scratch.path(), SIGNUP);
    let colours = |envs: &[(&str, &str)], args: &[&str]| {
        let output = ferry()
            .current_dir(scratch.path())
            .envs(envs.iter().copied())
            .args(["run", "--no-snapshots"])
            .args(args)
            .arg("cases")
            .output()
            .expect("ferry runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(
            !stderr.contains('\x1b') && !stderr.contains('\r'),
            "no progress in a pipe: {stderr:?}"
        );
        stdout.contains('\x1b')
    };
    assert!(!colours(&[], &[]), "piped: no colour");
    assert!(colours(&[("CLICOLOR_FORCE", "1")], &[]), "CLICOLOR_FORCE");
    assert!(
        !colours(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]),
        "NO_COLOR wins"
    );
    assert!(colours(&[("NO_COLOR", "1")], &["--color", "always"]), "--color always");
    assert!(
        !colours(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]),
        "--color never"
    );
    if script_available() {
        let child = ferry_script(
            scratch.path(),
            &format!("{} run --no-snapshots cases", env!("CARGO_BIN_EXE_ferry")),
        );
        let shown = text(&child.wait_with_output().expect("script")).0;
        assert!(shown.contains("\x1b[1;32mPASS"), "a terminal gets colour: {shown:?}");
        let child = ferry_script(
            scratch.path(),
            &format!("NO_COLOR=1 {} run --no-snapshots cases", env!("CARGO_BIN_EXE_ferry")),
        );
        let shown = text(&child.wait_with_output().expect("script")).0;
        assert!(!shown.contains("\x1b[1;32mPASS"), "NO_COLOR on a terminal: {shown:?}");
    }
}

#[test]
fn nothing_to_run_says_what_to_do() {
    let scratch = Scratch::new("empty");
    let output = run_in(scratch.path(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("no scenarios/ folder here"), "{stderr}");
    assert!(
        stderr.contains("ferry run path/to/scenarios"),
        "the hint names the command: {stderr}"
    );
    assert!(stderr.contains("ferry run --accept"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `cargo insta` reads what `ferry run` writes and accepts it into the very file
/// `ferry run --accept` writes. Needs cargo-insta (`cargo install cargo-insta`).
#[test]
fn cargo_insta_reads_and_accepts_what_ferry_writes() {
    let has_cargo_insta = Command::new("cargo")
        .args(["insta", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cargo_insta {
        assert!(
            std::env::var_os("FERRY_REQUIRE_CARGO_INSTA").is_none(),
            "FERRY_REQUIRE_CARGO_INSTA is set and cargo-insta is missing"
        );
        eprintln!("SKIPPED cargo_insta_reads_and_accepts_what_ferry_writes: cargo-insta is not installed");
        return;
    }
    let scratch = Scratch::new("cargo-insta");
    let project = |name: &str, scenario: &str| {
        let dir = scratch.join(name);
        std::fs::create_dir_all(dir.join("src")).expect("project");
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n",
        )
        .expect("Cargo.toml");
        std::fs::write(dir.join("src/lib.rs"), "").expect("lib.rs");
        write_cases(&dir, scenario);
        dir
    };
    let by_insta = project("by-insta", SIGNUP);
    let by_ferry = project("by-ferry", SIGNUP);
    for (new, changed) in [(SIGNUP.to_owned(), false), (signup_changed(), true)] {
        write_cases(&by_insta, &new);
        write_cases(&by_ferry, &new);
        assert_eq!(run_in(&by_insta, &["cases"]).status.code(), Some(1));
        let listed = Command::new("cargo")
            .args(["insta", "pending-snapshots"])
            .current_dir(&by_insta)
            .output()
            .expect("cargo insta");
        let (listed, errors) = text(&listed);
        assert!(
            listed.contains("signup.snap"),
            "cargo insta lists it: {listed}\n{errors}"
        );
        let accepted = Command::new("cargo")
            .args(["insta", "accept"])
            .current_dir(&by_insta)
            .output()
            .expect("cargo insta");
        assert!(accepted.status.success(), "{:?}", text(&accepted));
        assert_eq!(run_in(&by_ferry, &["--accept", "cases"]).status.code(), Some(0));
        let insta_file = std::fs::read(by_insta.join("snapshots/signup.snap")).expect("insta's");
        let ferry_file = std::fs::read(by_ferry.join("snapshots/signup.snap")).expect("ferry's");
        assert_eq!(
            String::from_utf8_lossy(&insta_file),
            String::from_utf8_lossy(&ferry_file),
            "changed: {changed}"
        );
        assert_eq!(run_in(&by_insta, &["--check", "cases"]).status.code(), Some(0));
    }
}

// ---------------------------------------------------------------------------------------------
// README and --help

/// An option as `--help` lists it.
#[derive(Debug)]
struct HelpOption {
    long: Option<String>,
    short: Option<String>,
    help: String,
}

fn help_of(command: &[&str]) -> String {
    let output = ferry().args(command).arg("--help").output().expect("ferry --help");
    assert!(output.status.success(), "{command:?}: {:?}", text(&output));
    text(&output).0
}

/// The lines of a `--help` section (`Options:`, `Commands:`).
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| l.trim_end() != title)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect()
}

fn subcommands(help: &str) -> Vec<String> {
    section(help, "Commands:")
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Options with their help text, in clap's compact layout (`--x <X>  help`) or its long one
/// (help on the lines below); `[default: …]`, `[env: …]` and `[possible values: …]` are not help.
fn options(help: &str) -> Vec<HelpOption> {
    let lines = section(help, "Options:");
    let mut found: Vec<HelpOption> = vec![];
    for line in lines {
        let trimmed = line.trim_start();
        if trimmed.starts_with('-') && line.len() - trimmed.len() <= 6 {
            let (spec, rest) = trimmed.split_once("  ").unwrap_or((trimmed, ""));
            let names: Vec<&str> = spec.split([',', ' ']).filter(|t| t.starts_with('-')).collect();
            found.push(HelpOption {
                long: names.iter().find(|n| n.starts_with("--")).map(|n| (*n).to_owned()),
                short: names.iter().find(|n| !n.starts_with("--")).map(|n| (*n).to_owned()),
                help: rest.trim().to_owned(),
            });
        } else if let Some(last) = found.last_mut() {
            last.help.push(' ');
            last.help.push_str(trimmed);
        }
    }
    for option in &mut found {
        let mut help = option.help.clone();
        for tag in ["[default:", "[env:", "[possible values:", "Possible values:"] {
            if let Some(at) = help.find(tag) {
                help.truncate(at);
            }
        }
        option.help = help.trim().to_owned();
    }
    found
}

/// Every `ferry …` synopsis in the README's `text` blocks: its first line and the indented lines
/// that continue it.
fn readme_synopses() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README.md");
    let mut synopses: Vec<String> = vec![];
    let mut in_text = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_text = line.trim() == "```text";
            continue;
        }
        if !in_text {
            continue;
        }
        if line.starts_with("ferry ") {
            synopses.push(line.to_owned());
        } else if line.starts_with(' ')
            && let Some(last) = synopses.last_mut()
        {
            last.push(' ');
            last.push_str(line.trim());
        }
    }
    synopses
}

/// Whether `name` (`--jobs`, `-j`) occurs in `text` as a whole option name.
fn mentions(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '-')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
    })
}

#[test]
fn readme_synopses_name_every_option_and_every_option_has_help() {
    let synopses = readme_synopses();
    let mut problems = vec![];
    let mut queue: Vec<Vec<String>> = subcommands(&help_of(&[])).into_iter().map(|c| vec![c]).collect();
    let mut checked = 0;
    while let Some(path) = queue.pop() {
        let words: Vec<&str> = path.iter().map(String::as_str).collect();
        let help = help_of(&words);
        let nested = subcommands(&help);
        if !nested.is_empty() {
            queue.extend(nested.into_iter().map(|c| {
                let mut p = path.clone();
                p.push(c);
                p
            }));
            continue;
        }
        checked += 1;
        let command = format!("ferry {}", words.join(" "));
        let synopsis = synopses
            .iter()
            .find(|s| s.starts_with(&format!("{command} ")) || **s == command);
        for option in options(&help) {
            let shown = option.long.clone().or(option.short.clone()).unwrap_or_default();
            if matches!(shown.as_str(), "--help" | "--version") {
                continue;
            }
            if option.help.is_empty() {
                problems.push(format!("{command} {shown}: no help text"));
            }
            match synopsis {
                None => {}
                Some(synopsis) => {
                    let named = option.long.as_deref().is_some_and(|l| mentions(synopsis, l))
                        || option.short.as_deref().is_some_and(|s| mentions(synopsis, s));
                    if !named {
                        problems.push(format!("{command} {shown}: not in the README's synopsis"));
                    }
                }
            }
        }
        if synopsis.is_none() {
            problems.push(format!("{command}: no synopsis in the README"));
        }
    }
    assert!(checked >= 10, "only {checked} commands found");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_help_parser_sees_options_and_their_help() {
    let found = options(&help_of(&["run"]));
    let jobs = found
        .iter()
        .find(|o| o.long.as_deref() == Some("--jobs"))
        .expect("--jobs");
    assert_eq!(jobs.short.as_deref(), Some("-j"));
    assert!(jobs.help.starts_with("Scenarios run at the same time"), "{jobs:?}");
    let color = found
        .iter()
        .find(|o| o.long.as_deref() == Some("--color"))
        .expect("--color");
    assert!(!color.help.contains("Possible values"), "{color:?}");
    assert!(mentions("ferry run [-j N] [--junit FILE]", "-j"));
    assert!(!mentions("ferry run [--jobs-x N]", "--jobs"));
}
