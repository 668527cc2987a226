//! Snapshots in insta's file format, kept by `ferry run` itself as `cargo insta` keeps them, so
//! that a person with only the binary has the whole loop: a new or changed result is written
//! as `<name>.snap.new` beside `<name>.snap`, shown as a diff that names the scenario file and
//! step, and accepted (`--accept`, or one by one with `--review`) or gated on in CI (`--check`).
//!
//! The files are insta's, byte for byte: a YAML header between two `---` lines (`source`, the
//! scenario's `description`; an existing snapshot's `expression`, `info` and `input_file` are
//! kept, and `assertion_line` is dropped as `cargo insta accept` drops it), then the value as
//! insta's pretty JSON with sorted keys. So `cargo insta review` and `cargo insta accept` work
//! on what `ferry run` writes, and `cargo test`'s insta assertions read what it accepts. A
//! stored snapshot matches when its body, with trailing white space trimmed and CRLF as LF,
//! equals the new one, as insta compares them.
//!
//! Where the snapshots of a scenario live ([`snapshot_dir`]): the folder given with
//! `--snapshots`, else the `snapshots/` folder beside the scenario's root. The root is the
//! nearest folder named `scenarios` above the file (this repository's layout:
//! `scenarios/okta/first_login.yaml` → `snapshots/okta__first_login.snap`), else the folder
//! named on the command line (a file named directly: its folder). A snapshot is named after
//! the scenario, `/` written as `__`.

use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::term::Style;

/// How a run treats snapshots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `ferry run`: compare; write a new or changed result as `.snap.new` and fail.
    #[default]
    Compare,
    /// `--accept`: write new and changed results as `.snap` (removing the `.snap.new`).
    Accept,
    /// `--review`: write `.snap.new` as in [`Mode::Compare`], then ask about each one.
    Review,
    /// `--check`: compare only; a missing or changed snapshot fails and nothing is written.
    Check,
}

/// The root of a scenario's folder: the nearest ancestor of `file` named `scenarios`, else
/// `given` (the folder named on the command line, or the file's folder). Both as absolute paths.
pub fn scenario_root(file: &Path, given: &Path) -> PathBuf {
    let file = absolute(file);
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d.file_name().is_some_and(|n| n == "scenarios") {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    let given = absolute(given);
    if given.is_file() || given == file {
        given.parent().map_or(given.clone(), Path::to_path_buf)
    } else {
        given
    }
}

/// The `snapshots/` folder beside a scenario root.
pub fn snapshot_dir(root: &Path) -> Result<PathBuf, String> {
    root.parent().map(|parent| parent.join("snapshots")).ok_or_else(|| {
        format!(
            "{} has no parent folder to keep snapshots/ in: give one with --snapshots DIR",
            root.display()
        )
    })
}

/// The file of a scenario's snapshot: `okta/first_login` → `okta__first_login.snap`.
pub fn snapshot_file(dir: &Path, scenario_name: &str) -> PathBuf {
    dir.join(format!("{}.snap", scenario_name.replace(['/', '\\'], "__")))
}

/// Where insta keeps a snapshot's pending version: `<name>.snap.new`.
pub fn pending_file(snap: &Path) -> PathBuf {
    snap.with_extension("snap.new")
}

/// A path as shown to a person: relative to the current folder when it is below it.
pub fn shown(path: &Path) -> String {
    let here = std::env::current_dir().ok().map(|d| absolute(&d));
    match here.as_deref().and_then(|h| path.strip_prefix(h).ok()) {
        Some(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
        _ => path.display().to_string(),
    }
}

/// An absolute, and where possible canonical, path.
pub fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

// ---------------------------------------------------------------------------------------------
// insta's JSON

/// One step of the path to a value inside the snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A value serialized as insta serializes it (`assert_json_snapshot!` with sorted maps), with
/// for each line of the text the path of the value that line belongs to.
#[derive(Debug)]
pub struct Annotated {
    pub text: String,
    pub paths: Vec<Vec<Seg>>,
}

/// `value` as insta's pretty JSON with its maps sorted.
pub fn to_json(value: &Value) -> String {
    annotate(value).text
}

/// `value` as insta's pretty JSON, with the path of each line.
pub fn annotate(value: &Value) -> Annotated {
    let mut writer = JsonWriter::default();
    writer.value(value);
    writer.finish()
}

#[derive(Default)]
struct JsonWriter {
    out: String,
    indentation: usize,
    path: Vec<Seg>,
    line_path: Option<Vec<Seg>>,
    paths: Vec<Vec<Seg>>,
}

impl JsonWriter {
    fn finish(mut self) -> Annotated {
        let last = self.line_path.take().unwrap_or_default();
        self.paths.push(last);
        Annotated {
            text: self.out,
            paths: self.paths,
        }
    }

    fn newline(&mut self) {
        let path = self.line_path.take().unwrap_or_else(|| self.path.clone());
        self.paths.push(path);
        self.out.push('\n');
    }

    fn enter(&mut self, seg: Seg) {
        self.path.push(seg);
        if self.line_path.is_none() {
            self.line_path = Some(self.path.clone());
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.indentation * 2 {
            self.out.push(' ');
        }
    }

    /// insta's `write_comma` in its pretty format.
    fn comma(&mut self, first: bool) {
        if !first {
            self.out.push(',');
        }
        self.newline();
        self.indent();
    }

    fn end(&mut self, c: char, empty: bool) {
        self.indentation -= 1;
        if !empty {
            self.newline();
            self.indent();
            self.line_path = Some(self.path.clone());
        }
        self.out.push(c);
    }

    fn value(&mut self, value: &Value) {
        if self.line_path.is_none() {
            self.line_path = Some(self.path.clone());
        }
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    let _ = write!(self.out, "{u}");
                } else if let Some(i) = n.as_i64() {
                    let _ = write!(self.out, "{i}");
                } else {
                    match n.as_f64() {
                        // insta writes floats with `Display` and makes whole ones end in `.0`.
                        Some(f) if f.is_finite() => {
                            let start = self.out.len();
                            let _ = write!(self.out, "{f}");
                            if !self.out[start..].contains('.') {
                                self.out.push_str(".0");
                            }
                        }
                        _ => self.out.push_str("null"),
                    }
                }
            }
            Value::String(s) => self.string(s),
            Value::Array(items) => {
                self.out.push('[');
                self.indentation += 1;
                for (i, item) in items.iter().enumerate() {
                    self.comma(i == 0);
                    self.enter(Seg::Index(i));
                    self.value(item);
                    self.path.pop();
                }
                self.end(']', items.is_empty());
            }
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                self.out.push('{');
                self.indentation += 1;
                for (i, (key, item)) in entries.iter().enumerate() {
                    self.comma(i == 0);
                    self.enter(Seg::Key((*key).clone()));
                    self.string(key);
                    self.out.push_str(": ");
                    self.value(item);
                    self.path.pop();
                }
                self.end('}', entries.is_empty());
            }
        }
    }

    /// insta's `write_escaped_str`: `"` and `\` escaped, control characters as `\b \t \n \f
    /// \r` or `\u00XX`, everything else (DEL and non-ASCII included) as it is.
    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\u{8}' => self.out.push_str("\\b"),
                '\t' => self.out.push_str("\\t"),
                '\n' => self.out.push_str("\\n"),
                '\u{c}' => self.out.push_str("\\f"),
                '\r' => self.out.push_str("\\r"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

// ---------------------------------------------------------------------------------------------
// insta's file format

/// A `.snap` file as read: its header entries (each as written, keyed by name) and its body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapFile {
    /// Top-level header entries in file order: the key and the entry's whole text (`key:
    /// value`, continuation lines included, without the final newline).
    pub header: Vec<(String, String)>,
    /// The snapshot's contents as insta reads them (lines joined by `\n`).
    pub body: String,
}

impl SnapFile {
    /// Reads a file as insta's `Snapshot::from_file` does: a header between `---` lines, or the
    /// legacy header of `key: value` lines up to an empty line.
    pub fn parse(text: &str) -> Self {
        let mut lines = text.split_inclusive('\n').map(|l| l.strip_suffix('\n').unwrap_or(l));
        let mut header_lines = vec![];
        match lines.next() {
            Some(first) if first.trim_end() == "---" => {
                for line in lines.by_ref() {
                    if line.trim_end() == "---" {
                        break;
                    }
                    header_lines.push(line);
                }
            }
            // insta's legacy format: a first line of its own, `key: value` lines, an empty line.
            Some(_) => {
                for line in lines.by_ref() {
                    if line.trim_end().is_empty() {
                        break;
                    }
                    header_lines.push(line);
                }
            }
            None => {}
        }
        let body: Vec<&str> = lines.map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        let mut header: Vec<(String, String)> = vec![];
        for line in header_lines {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let continues = line.starts_with([' ', '\t']) || line.is_empty();
            match header.last_mut() {
                Some((_, text)) if continues => {
                    text.push('\n');
                    text.push_str(line);
                }
                _ => {
                    let key = line.split(':').next().unwrap_or("").trim().to_owned();
                    header.push((key, line.to_owned()));
                }
            }
        }
        Self {
            header,
            body: body.join("\n"),
        }
    }

    /// The header entry `key`, as written.
    pub fn entry(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, text)| text.as_str())
    }

    /// The header's `description`, decoded.
    pub fn description(&self) -> Option<String> {
        let entry = self.entry("description")?;
        let map: std::collections::BTreeMap<String, String> = serde_saphyr::from_str(entry).ok()?;
        map.get("description").cloned()
    }
}

/// The body as insta compares it: trailing white space trimmed, CRLF as LF.
pub fn normalize(body: &str) -> String {
    body.trim_end().replace("\r\n", "\n")
}

/// A YAML scalar as insta's emitter writes a string: plain when it can be, else double-quoted
/// with insta's escapes.
pub fn yaml_string(s: &str) -> String {
    if !yaml_needs_quotes(s) {
        return s.to_owned();
    }
    let mut out = String::from("\"");
    for byte_char in s.chars() {
        match byte_char {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// insta's `need_quotes` (its vendored yaml-rust emitter).
fn yaml_needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@'])
        || s.contains(|c: char| {
            matches!(c, ':' | '{' | '}' | '[' | ']' | ',' | '#' | '`' | '"' | '\'' | '\\' | '\0'..='\x06' | '\t' | '\n' | '\r' | '\x0e'..='\x1a' | '\x1c'..='\x1f')
        })
        || [
            "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE", "false", "on", "On",
            "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
        ]
        .contains(&s)
        || s.starts_with('.')
        || s.starts_with("0x")
        || s.parse::<i64>().is_ok()
        || s.parse::<f64>().is_ok()
}

/// The text of a snapshot file, as insta writes it: the header (`source`, `description`, and
/// what an existing file had of `expression`, `info` and `input_file`, in insta's order; no
/// `assertion_line`, which `cargo insta accept` drops too), `---`, the body and a newline.
pub fn file_text(existing: Option<&SnapFile>, source: &str, description: Option<&str>, body: &str) -> String {
    let mut entries: Vec<String> = vec![];
    match existing.and_then(|f| f.entry("source")) {
        Some(entry) => entries.push(entry.to_owned()),
        None => entries.push(format!("source: {}", yaml_string(source))),
    }
    if let Some(description) = description {
        entries.push(format!("description: {}", yaml_string(description)));
    }
    for key in ["expression", "info", "input_file"] {
        if let Some(entry) = existing.and_then(|f| f.entry(key)) {
            entries.push(entry.to_owned());
        }
    }
    let mut text = String::from("---\n");
    for entry in entries {
        text.push_str(&entry);
        text.push('\n');
    }
    text.push_str("---\n");
    text.push_str(&normalize(body));
    text.push('\n');
    text
}

/// The `source` a new snapshot names: the scenario file, relative to the folder that holds
/// `snapshots/` when it is below it (`scenarios/okta/first_login.yaml`), with `/` separators.
pub fn source_of(scenario_file: &Path, snapshot_dir: &Path) -> String {
    let file = absolute(scenario_file);
    let base = snapshot_dir.parent().map(absolute);
    let shown = match base.as_deref().and_then(|b| file.strip_prefix(b).ok()) {
        Some(relative) => relative.to_path_buf(),
        None => file,
    };
    shown
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::RootDir => Some(String::new()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

// ---------------------------------------------------------------------------------------------
// Comparing and diffs

/// Where a scenario's steps are, for naming them in a diff.
#[derive(Clone, Debug, Default)]
pub struct Places {
    /// The scenario file, as shown to the person.
    pub file: PathBuf,
    /// Each step's index (from 1), line in the file and summary.
    pub steps: Vec<(usize, u64, String)>,
}

impl Places {
    /// `step 3 (scenarios/okta/first_login.yaml:14): login a@example.com`.
    fn step(&self, index: usize) -> String {
        match self.steps.iter().find(|(i, _, _)| *i == index) {
            Some((_, line, summary)) if *line > 0 => {
                format!("step {index} ({}:{line}): {summary}", self.file.display())
            }
            Some((_, _, summary)) => format!("step {index} ({}): {summary}", self.file.display()),
            None => format!("step {index} ({})", self.file.display()),
        }
    }
}

/// One line of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// A group of changes with a few lines of context, and what in the scenario they concern.
#[derive(Clone, Debug)]
pub struct Hunk {
    /// `@@ -12,7 +12,7 @@`: lines of the stored and of the new snapshot body.
    pub range: String,
    /// What the changed lines belong to: `step 3 (scenarios/x.yaml:14): login a@example.com`,
    /// `the resulting Auth0 users (auth0|abc)`, `requests to the mock okta`.
    pub places: Vec<String>,
    pub lines: Vec<DiffLine>,
}

/// The difference between a stored snapshot and this run's.
#[derive(Clone, Debug, Default)]
pub struct Diff {
    pub hunks: Vec<Hunk>,
}

impl Diff {
    /// The diff of two bodies; `places` names the steps.
    pub fn between(old: &str, new: &Annotated, new_value: &Value, places: &Places) -> Self {
        let old_value: Option<Value> = serde_json::from_str(old).ok();
        let old_annotated = old_value
            .as_ref()
            .map(annotate)
            .filter(|a| normalize(&a.text) == normalize(old));
        let new_text = normalize(&new.text);
        let diff = TextDiff::from_lines(old, new_text.as_str());
        let mut hunks = vec![];
        for group in diff.grouped_ops(3) {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                continue;
            };
            let old_start = first.old_range().start;
            let new_start = first.new_range().start;
            let old_len = last.old_range().end - old_start;
            let new_len = last.new_range().end - new_start;
            let range = format!(
                "@@ -{},{} +{},{} @@",
                old_start + usize::from(old_len > 0),
                old_len,
                new_start + usize::from(new_len > 0),
                new_len
            );
            // A line that only gained or lost its trailing comma (an item added after it) is
            // no change of its own: it names no place.
            let bare = |text: &str| text.trim_end().trim_end_matches(',').to_owned();
            let changed = |tag: ChangeTag| -> Vec<String> {
                group
                    .iter()
                    .flat_map(|op| diff.iter_changes(op))
                    .filter(|c| c.tag() == tag)
                    .map(|c| bare(c.value()))
                    .collect()
            };
            let (removed, added) = (changed(ChangeTag::Delete), changed(ChangeTag::Insert));
            let mut lines = vec![];
            let mut hunk_places: Vec<String> = vec![];
            for op in &group {
                for change in diff.iter_changes(op) {
                    let text = change.value().trim_end_matches(['\n', '\r']).to_owned();
                    // A bracket alone on its line says nothing about what changed either.
                    let punctuation = bare(&text).trim().chars().all(|c| matches!(c, '{' | '}' | '[' | ']'));
                    let moved_comma = punctuation
                        || match change.tag() {
                            ChangeTag::Delete => added.contains(&bare(&text)),
                            ChangeTag::Insert => removed.contains(&bare(&text)),
                            ChangeTag::Equal => true,
                        };
                    let place = match change.tag() {
                        ChangeTag::Equal => None,
                        _ if moved_comma => None,
                        ChangeTag::Delete => change.old_index().and_then(|i| {
                            let annotated = old_annotated.as_ref()?;
                            Some(place(annotated.paths.get(i)?, old_value.as_ref()?, places))
                        }),
                        ChangeTag::Insert => change
                            .new_index()
                            .and_then(|i| new.paths.get(i))
                            .map(|path| place(path, new_value, places)),
                    };
                    if let Some(place) = place
                        && !hunk_places.contains(&place)
                    {
                        hunk_places.push(place);
                    }
                    lines.push(match change.tag() {
                        ChangeTag::Equal => DiffLine::Same(text),
                        ChangeTag::Delete => DiffLine::Removed(text),
                        ChangeTag::Insert => DiffLine::Added(text),
                    });
                }
            }
            hunks.push(Hunk {
                range,
                places: hunk_places,
                lines,
            });
        }
        Self { hunks }
    }

    /// A new snapshot: every line added.
    pub fn new_snapshot(new: &str) -> Self {
        let lines: Vec<DiffLine> = normalize(new).lines().map(|l| DiffLine::Added(l.to_owned())).collect();
        Self {
            hunks: vec![Hunk {
                range: format!("@@ -0,0 +1,{} @@", lines.len()),
                places: vec!["new snapshot".into()],
                lines,
            }],
        }
    }

    /// The diff for a person: each hunk's range and what it concerns, then its lines (`-`
    /// stored, `+` this run), each line prefixed with `indent`.
    pub fn render(&self, style: Style, indent: &str) -> String {
        let mut out = String::new();
        for hunk in &self.hunks {
            // `@@ -2,7 +2,8 @@ step 2 (…)`, further places aligned under the first.
            let mut places = hunk.places.iter();
            let first = places
                .next()
                .map(|p| format!(" {}", style.strong(p)))
                .unwrap_or_default();
            let _ = writeln!(out, "{indent}{}{first}", style.place(&hunk.range));
            for place in places {
                let pad = " ".repeat(hunk.range.chars().count() + 1);
                let _ = writeln!(out, "{indent}{pad}{}", style.strong(place));
            }
            for line in &hunk.lines {
                let _ = match line {
                    DiffLine::Same(text) => writeln!(out, "{indent} {text}"),
                    DiffLine::Removed(text) => writeln!(out, "{indent}{}", style.bad(&format!("-{text}"))),
                    DiffLine::Added(text) => writeln!(out, "{indent}{}", style.good(&format!("+{text}"))),
                };
            }
        }
        out
    }
}

/// What a changed line of the snapshot concerns, from its path in the snapshot value.
fn place(path: &[Seg], value: &Value, places: &Places) -> String {
    let index = |i: usize, list: &str| value.get(list).and_then(|l| l.get(i));
    match path {
        [Seg::Key(k), Seg::Index(i), ..] if k == "steps" => {
            let number = index(*i, "steps")
                .and_then(Value::as_str)
                .and_then(|s| s.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(i + 1);
            places.step(number)
        }
        [Seg::Key(k), ..] if k == "steps" => format!("the steps of {}", places.file.display()),
        [Seg::Key(k), Seg::Index(i), ..] if k == "runs" => {
            match index(*i, "runs").and_then(|r| r.get("step")).and_then(Value::as_u64) {
                Some(step) => format!("the run report of {}", places.step(usize::try_from(step).unwrap_or(0))),
                None => "the run reports".into(),
            }
        }
        [Seg::Key(k), rest @ ..] if k == "users" => {
            let user = match rest {
                // An abridged list: {count, first: [...], last: [...]}.
                [Seg::Key(part), Seg::Index(i), ..] => {
                    value.get("users").and_then(|u| u.get(part)).and_then(|u| u.get(i))
                }
                [Seg::Index(i), ..] => value.get("users").and_then(|u| u.get(i)),
                _ => None,
            };
            match user
                .and_then(|u| u.get("user_id").or_else(|| u.get("email")))
                .and_then(Value::as_str)
            {
                Some(id) => format!("the resulting Auth0 users ({id})"),
                None => "the resulting Auth0 users".into(),
            }
        }
        [Seg::Key(k), Seg::Key(mock), ..] if k == "calls" => format!("requests to the mock {mock}"),
        [Seg::Key(k), ..] => format!("the snapshot's {k}"),
        _ => "the snapshot".into(),
    }
}

/// How a scenario's result compares with its stored snapshot.
#[derive(Clone, Debug)]
pub enum State {
    Matches,
    /// No snapshot stored yet.
    New,
    /// Differs from the stored one.
    Changed(Diff),
}

/// What was done about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing to do, or nothing done (`--check`).
    None,
    /// The result was written as `.snap.new`, for review.
    Pending(PathBuf),
    /// Written as `.snap`.
    Accepted,
    /// Rejected in review: the `.snap.new` was removed.
    Rejected,
    /// Not written because the scenario's steps failed: a failed run is no candidate.
    NotWrittenFailed,
}

/// A scenario's snapshot, compared and dealt with.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The `.snap` file.
    pub path: PathBuf,
    pub state: State,
    pub action: Action,
    /// The file a new or changed result is written as.
    pub contents: String,
}

impl Checked {
    /// Whether the stored snapshot now holds this run's result.
    pub fn settled(&self) -> bool {
        matches!(self.state, State::Matches) || self.action == Action::Accepted
    }
}

/// Compares `value` with the snapshot stored at `path` (nothing is written).
pub fn compare(
    path: &Path,
    value: &Value,
    source: &str,
    description: Option<&str>,
    places: &Places,
) -> Result<Checked, String> {
    let annotated = annotate(value);
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(SnapFile::parse(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read the snapshot {}: {e}", path.display())),
    };
    let contents = file_text(existing.as_ref(), source, description, &annotated.text);
    let state = match &existing {
        None => State::New,
        Some(stored) if normalize(&stored.body) == normalize(&annotated.text) => State::Matches,
        Some(stored) => State::Changed(Diff::between(&normalize(&stored.body), &annotated, value, places)),
    };
    Ok(Checked {
        path: path.to_path_buf(),
        state,
        action: Action::None,
        contents,
    })
}

/// Writes `text` to `path` through a temporary file beside it, creating the folder.
fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn remove_if_there(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Checked {
    /// Writes the result as `.snap.new`.
    pub fn write_pending(&mut self) -> std::io::Result<()> {
        let pending = pending_file(&self.path);
        write_file(&pending, &self.contents)
            .map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", pending.display())))?;
        self.action = Action::Pending(pending);
        Ok(())
    }

    /// Writes the result as `.snap` and removes any `.snap.new`.
    pub fn accept(&mut self) -> std::io::Result<()> {
        write_file(&self.path, &self.contents)
            .map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", self.path.display())))?;
        remove_if_there(&pending_file(&self.path))?;
        self.action = Action::Accepted;
        Ok(())
    }

    /// Removes the `.snap.new`.
    pub fn reject(&mut self) -> std::io::Result<()> {
        remove_if_there(&pending_file(&self.path))?;
        self.action = Action::Rejected;
        Ok(())
    }

    /// A snapshot that matches leaves no `.snap.new` behind (as insta cleans up).
    pub fn clean_up(&self) -> std::io::Result<()> {
        remove_if_there(&pending_file(&self.path))
    }
}

// ---------------------------------------------------------------------------------------------
// Review

/// A person's answer about one pending snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject,
    Skip,
}

/// One snapshot to review.
#[derive(Clone, Debug)]
pub struct ReviewItem {
    /// The scenario's name and file.
    pub scenario: String,
    pub file: PathBuf,
    pub checked: Checked,
}

/// Walks through `items`, showing each one's diff on `output` and reading an answer per item
/// from `input`: `a` accept, `r` reject, `s` or an empty line skip (`A`, `R`, `S`: this one and
/// every one after). An unknown answer is asked again; the end of the input skips the rest.
/// `decided` is called with each item's position and decision as soon as it is known, so that
/// what was answered is kept even if the review is interrupted.
pub fn review(
    items: &[ReviewItem],
    style: Style,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    decided: &mut dyn FnMut(usize, Decision) -> std::io::Result<()>,
) -> std::io::Result<Vec<Decision>> {
    let mut decisions = vec![];
    let mut for_all: Option<Decision> = None;
    for (n, item) in items.iter().enumerate() {
        let decision = match for_all {
            Some(decision) => decision,
            None => {
                let (what, diff) = match &item.checked.state {
                    State::New => ("new", Diff::new_snapshot(&SnapFile::parse(&item.checked.contents).body)),
                    State::Changed(diff) => ("changed", diff.clone()),
                    State::Matches => ("unchanged", Diff::default()),
                };
                writeln!(
                    output,
                    "\n{} {} ({})",
                    style.strong(&format!("Snapshot {} of {}:", n + 1, items.len())),
                    style.strong(&item.scenario),
                    item.file.display()
                )?;
                writeln!(output, "  {} ({what})", style.place(&shown(&item.checked.path)))?;
                write!(output, "{}", diff.render(style, "  "))?;
                ask(style, input, output, &mut for_all)?
            }
        };
        decided(n, decision)?;
        decisions.push(decision);
    }
    Ok(decisions)
}

/// Asks until an answer is understood; sets `for_all` for `A`, `R`, `S` and the end of input.
fn ask(
    style: Style,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    for_all: &mut Option<Decision>,
) -> std::io::Result<Decision> {
    loop {
        write!(
            output,
            "{} accept, {} reject, {} skip (A, R, S: this and every one after)? ",
            style.good("a"),
            style.bad("r"),
            style.warn("s")
        )?;
        output.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(output, "\nno more answers: the rest stay as .snap.new")?;
            *for_all = Some(Decision::Skip);
            return Ok(Decision::Skip);
        }
        let (decision, all) = match line.trim() {
            "a" | "accept" => (Decision::Accept, false),
            "r" | "reject" => (Decision::Reject, false),
            "s" | "skip" | "" => (Decision::Skip, false),
            "A" => (Decision::Accept, true),
            "R" => (Decision::Reject, true),
            "S" => (Decision::Skip, true),
            other => {
                writeln!(output, "{other:?}: answer a, r or s (or A, R, S)")?;
                continue;
            }
        };
        if all {
            *for_all = Some(decision);
        }
        return Ok(decision);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferry-snapshot-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn json_is_insta_pretty_json_with_sorted_keys() {
        let value = json!({"b": [1, -2, 1.5, 2.0, true, null, [], {}], "a": "q\"\\\n\t\u{1}\u{7f}é"});
        assert_eq!(
            to_json(&value),
            "{\n  \"a\": \"q\\\"\\\\\\n\\t\\u0001\u{7f}é\",\n  \"b\": [\n    1,\n    -2,\n    1.5,\n    2.0,\n    true,\n    null,\n    [],\n    {}\n  ]\n}"
        );
    }

    #[test]
    fn each_line_knows_its_path() {
        let annotated = annotate(&json!({"steps": ["1 a → 200", "2 b → 200"], "calls": {"okta": ["x"]}}));
        let lines: Vec<&str> = annotated.text.lines().collect();
        assert_eq!(lines.len(), annotated.paths.len());
        let at = |text: &str| &annotated.paths[lines.iter().position(|l| l.contains(text)).expect(text)];
        assert_eq!(at("2 b"), &vec![Seg::Key("steps".into()), Seg::Index(1)]);
        assert_eq!(
            at("\"x\""),
            &vec![Seg::Key("calls".into()), Seg::Key("okta".into()), Seg::Index(0)]
        );
        assert_eq!(annotated.paths[0], Vec::<Seg>::new());
        assert_eq!(annotated.paths.last(), Some(&vec![]));
    }

    #[test]
    fn yaml_strings_are_quoted_as_insta_quotes_them() {
        assert_eq!(yaml_string("tests/scenarios.rs"), "tests/scenarios.rs");
        assert_eq!(
            yaml_string("A plain sentence — with a dash"),
            "A plain sentence — with a dash"
        );
        assert_eq!(yaml_string("says \"hi\": yes"), "\"says \\\"hi\\\": yes\"");
        assert_eq!(yaml_string("true"), "\"true\"");
        assert_eq!(yaml_string("12"), "\"12\"");
        assert_eq!(yaml_string("-dash"), "\"-dash\"");
        assert_eq!(yaml_string(""), "\"\"");
        assert_eq!(yaml_string("two\nlines"), "\"two\\nlines\"");
    }

    #[test]
    fn files_round_trip_and_keep_what_insta_keeps() {
        let text = "---\nsource: tests/scenarios.rs\nassertion_line: 35\ndescription: old words\nexpression: x\n---\n{\n  \"a\": 1\n}\n";
        let file = SnapFile::parse(text);
        assert_eq!(file.body, "{\n  \"a\": 1\n}");
        assert_eq!(file.description().as_deref(), Some("old words"));
        assert_eq!(
            file_text(Some(&file), "ignored.yaml", Some("new: words"), "{\n  \"a\": 2\n}"),
            "---\nsource: tests/scenarios.rs\ndescription: \"new: words\"\nexpression: x\n---\n{\n  \"a\": 2\n}\n"
        );
        assert_eq!(
            file_text(None, "scenarios/a.yaml", None, "{}"),
            "---\nsource: scenarios/a.yaml\n---\n{}\n"
        );
    }

    #[test]
    fn compare_accept_reject_and_clean_up() {
        let dir = scratch("cycle");
        let path = dir.join("snapshots/x.snap");
        let places = Places {
            file: "scenarios/x.yaml".into(),
            steps: vec![(1, 7, "login a@example.com".into())],
        };
        let first = json!({"steps": ["1 login a@example.com → 200"], "users": []});
        let mut checked = compare(&path, &first, "scenarios/x.yaml", Some("d"), &places).expect("compare");
        assert!(matches!(checked.state, State::New));
        checked.write_pending().expect("pending");
        assert!(pending_file(&path).exists() && !path.exists());
        checked.accept().expect("accept");
        assert!(path.exists() && !pending_file(&path).exists());
        let again = compare(&path, &first, "scenarios/x.yaml", Some("d"), &places).expect("compare");
        assert!(matches!(again.state, State::Matches));

        let second = json!({"steps": ["1 login a@example.com → 403"], "users": []});
        let mut changed = compare(&path, &second, "scenarios/x.yaml", Some("d"), &places).expect("compare");
        let State::Changed(diff) = &changed.state else {
            panic!("expected a change, got {:?}", changed.state)
        };
        let text = diff.render(Style::plain(), "");
        assert!(
            text.contains("step 1 (scenarios/x.yaml:7): login a@example.com"),
            "{text}"
        );
        assert!(text.contains("-    \"1 login a@example.com → 200\""), "{text}");
        assert!(text.contains("+    \"1 login a@example.com → 403\""), "{text}");
        changed.write_pending().expect("pending");
        changed.reject().expect("reject");
        assert!(!pending_file(&path).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn diffs_name_users_calls_and_runs() {
        let places = Places {
            file: "f.yaml".into(),
            steps: vec![(2, 9, "import users.json".into())],
        };
        let old = json!({"calls": {"okta": ["GET /a → 200"]}, "runs": [{"report": {"n": 1}, "step": 2}], "users": [{"user_id": "auth0|1", "name": "a"}]});
        let new = json!({"calls": {"okta": ["GET /a → 500"]}, "runs": [{"report": {"n": 2}, "step": 2}], "users": [{"user_id": "auth0|1", "name": "b"}]});
        let diff = Diff::between(&to_json(&old), &annotate(&new), &new, &places);
        let text = diff.render(Style::plain(), "");
        assert!(text.contains("requests to the mock okta"), "{text}");
        assert!(
            text.contains("the run report of step 2 (f.yaml:9): import users.json"),
            "{text}"
        );
        assert!(text.contains("the resulting Auth0 users (auth0|1)"), "{text}");
    }

    #[test]
    fn review_reads_answers() {
        let checked = Checked {
            path: "s/x.snap".into(),
            state: State::New,
            action: Action::None,
            contents: "---\nsource: x\n---\n{}\n".into(),
        };
        let items: Vec<ReviewItem> = (0..4)
            .map(|_| ReviewItem {
                scenario: "x".into(),
                file: "x.yaml".into(),
                checked: checked.clone(),
            })
            .collect();
        let mut output = vec![];
        let mut seen = vec![];
        let decisions = review(
            &items,
            Style::plain(),
            &mut "what\nr\na\nS\n".as_bytes(),
            &mut output,
            &mut |n, d| {
                seen.push((n, d));
                Ok(())
            },
        )
        .expect("review");
        assert_eq!(
            decisions,
            [Decision::Reject, Decision::Accept, Decision::Skip, Decision::Skip]
        );
        assert_eq!(seen.len(), 4, "each decision is reported as it is made");
        let shown = String::from_utf8(output).expect("utf-8");
        assert!(shown.contains("\"what\": answer a, r or s"), "{shown}");
        assert!(shown.contains("Snapshot 3 of 4"), "{shown}");
        assert!(
            !shown.contains("Snapshot 4 of 4"),
            "S skips the rest without asking: {shown}"
        );
        let mut output = vec![];
        let decisions = review(
            &items[..2],
            Style::plain(),
            &mut "a\n".as_bytes(),
            &mut output,
            &mut |_, _| Ok(()),
        )
        .expect("review");
        assert_eq!(decisions, [Decision::Accept, Decision::Skip], "the end of input skips");
    }

    #[test]
    fn roots_and_folders() {
        let dir = scratch("roots");
        let cases = dir.join("mine/cases");
        std::fs::create_dir_all(cases.join("okta")).expect("dirs");
        let file = cases.join("okta/first.yaml");
        std::fs::write(&file, "x").expect("write");
        let root = scenario_root(&file, &cases);
        assert_eq!(root, absolute(&cases));
        assert_eq!(scenario_root(&file, &file), absolute(&cases.join("okta")));
        assert_eq!(
            snapshot_dir(&root).expect("dir"),
            absolute(&dir.join("mine")).join("snapshots")
        );
        let repo_like = dir.join("proj/scenarios/okta");
        std::fs::create_dir_all(&repo_like).expect("dirs");
        let file = repo_like.join("a.yaml");
        std::fs::write(&file, "x").expect("write");
        assert_eq!(scenario_root(&file, &repo_like), absolute(&dir.join("proj/scenarios")));
        assert_eq!(
            source_of(&file, &absolute(&dir.join("proj/snapshots"))),
            "scenarios/okta/a.yaml"
        );
        assert_eq!(
            snapshot_file(Path::new("/s"), "okta/first"),
            PathBuf::from("/s/okta__first.snap")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
