//! Reading export and import files one record at a time, as they are, with memory bounded by
//! the largest record whatever the size or the layout of the file. The shape is read from the
//! data, not from the file's name:
//!
//! - a JSON array of records (Auth0's import files, what IdentitySync's `file.format.json`
//!   writes);
//! - an object wrapping the array under `results` (a Gigya `accounts.search` or `idx.search`
//!   response saved as it is), `accounts` or `users`, its other members (`totalCount`,
//!   `nextCursorId`, …) read past and kept when they are small scalars ([`Records::wrapper`]);
//! - NDJSON: one record (an object) per line (Auth0's own user exports, `ferry migrate gigya`'s
//!   `export.ndjson`).
//!
//! A whole document on one line is streamed like any other: the reader is a byte scanner that
//! cuts the file into records (strings, escapes and nesting followed; brackets checked) and
//! hands each record's bytes to serde_json, so a 600 MB single-line `{"results": [...]}` costs
//! one record's memory, not the file's. Anything else is refused with the byte offset and line
//! of the first byte that does not fit: an empty file, text that is not JSON, a UTF-16 file,
//! two arrays back to back, data after the end of the document, a trailing comma, a record cut
//! short, a record larger than [`MAX_RECORD_BYTES`]. A UTF-8 byte order mark is skipped.
//!
//! [`scan`] reads a whole file without keeping anything (what an import does before its first
//! job, so that a file that cannot be read whole imports nobody); [`RecordKind`] says what a
//! record is (a Gigya account, an Auth0 import user, a Ferry seed entry, …) so that a file
//! given as the wrong kind is refused before anything is done with it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::EngineError;

/// The largest record read (16 MiB): no user is that large (Auth0 takes at most 500 KB per
/// import file); a larger "record" is a file that is not an export.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// Names of the member that holds the records in a wrapping object.
pub const WRAPPER_KEYS: [&str; 3] = ["results", "accounts", "users"];

/// How the records are laid out in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `[record, record, …]`.
    Array,
    /// `{…, "results": [record, …], …}`: the member's name.
    Wrapped(String),
    /// One record per line.
    Lines,
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Array => f.write_str("a JSON array"),
            Shape::Wrapped(key) => write!(f, "an object with a {key:?} array"),
            Shape::Lines => f.write_str("NDJSON, one record per line"),
        }
    }
}

/// A place in a file: byte offset (from 0) and line (from 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub offset: u64,
    pub line: u64,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "byte {} (line {})", self.offset, self.line)
    }
}

/// Why a file cannot be read, and where.
#[derive(Debug)]
struct Refusal {
    place: Place,
    reason: String,
}

type Scanned<T> = Result<T, Refusal>;

fn describe(byte: u8) -> String {
    match byte {
        b'\n' => "a line break".into(),
        b if b.is_ascii_graphic() || b == b' ' => format!("'{}'", char::from(b)),
        b => format!("byte 0x{b:02x}"),
    }
}

/// The byte scanner: a buffered reader that knows its offset and line.
struct Scanner {
    reader: Box<dyn Read + Send>,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    place: Place,
    io_error: Option<std::io::Error>,
}

impl Scanner {
    fn new(reader: Box<dyn Read + Send>) -> Self {
        Self {
            reader,
            buf: vec![0; 256 * 1024].into_boxed_slice(),
            pos: 0,
            end: 0,
            place: Place { offset: 0, line: 1 },
            io_error: None,
        }
    }

    fn refusal(&self, reason: impl Into<String>) -> Refusal {
        Refusal {
            place: self.place,
            reason: reason.into(),
        }
    }

    /// Makes sure a byte is buffered; false at the end of the file.
    fn fill(&mut self) -> Scanned<bool> {
        if self.pos < self.end {
            return Ok(true);
        }
        loop {
            match self.reader.read(&mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let refusal = self.refusal(format!("cannot be read: {e}"));
                    self.io_error = Some(e);
                    return Err(refusal);
                }
            }
        }
    }

    fn peek(&mut self) -> Scanned<Option<u8>> {
        Ok(if self.fill()? { Some(self.buf[self.pos]) } else { None })
    }

    /// Takes the byte just peeked, copying it to `out`.
    fn bump(&mut self, out: Option<&mut Vec<u8>>) {
        let byte = self.buf[self.pos];
        self.pos += 1;
        self.place.offset += 1;
        if byte == b'\n' {
            self.place.line += 1;
        }
        if let Some(out) = out {
            out.push(byte);
        }
    }

    /// Skips whitespace (copying it to `out`); the next byte.
    fn skip_ws(&mut self, mut out: Option<&mut Vec<u8>>) -> Scanned<Option<u8>> {
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let start = self.pos;
            while self.pos < self.end && matches!(self.buf[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
                if self.buf[self.pos] == b'\n' {
                    self.place.line += 1;
                }
                self.pos += 1;
            }
            self.place.offset += (self.pos - start) as u64;
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&self.buf[start..self.pos]);
            }
            if self.pos < self.end {
                return Ok(Some(self.buf[self.pos]));
            }
        }
    }

    /// Expects `byte` next (after whitespace).
    fn expect(&mut self, byte: u8, what: &str, out: Option<&mut Vec<u8>>) -> Scanned<()> {
        match self.peek()? {
            Some(b) if b == byte => {
                self.bump(out);
                Ok(())
            }
            Some(b) => Err(self.refusal(format!("expected {what}, found {}", describe(b)))),
            None => Err(self.refusal(format!("expected {what}, found the end of the file (cut short?)"))),
        }
    }

    /// Copies one JSON value (whatever it is) to `out`, checking that brackets pair up and
    /// strings end; the rest of the syntax is serde_json's to check. At most `limit` bytes.
    fn capture(&mut self, out: &mut Vec<u8>, limit: usize) -> Scanned<()> {
        let start_len = out.len();
        let too_large = |scanner: &Self| {
            scanner.refusal(format!(
                "a record larger than {} MiB: no user record is that large (is this an export?)",
                MAX_RECORD_BYTES / (1024 * 1024)
            ))
        };
        let Some(first) = self.peek()? else {
            return Err(self.refusal("expected a value, found the end of the file (cut short?)"));
        };
        match first {
            b'{' | b'[' | b'"' => {
                // Closers expected, innermost last; a string is tracked by `in_string`.
                let mut stack: Vec<u8> = Vec::new();
                let mut in_string = false;
                let mut escaped = false;
                loop {
                    if !self.fill()? {
                        let what = if in_string { "a string" } else { "a record" };
                        return Err(self.refusal(format!("the file ends inside {what} (cut short?)")));
                    }
                    let chunk_start = self.pos;
                    let mut done = false;
                    let mut bad: Option<Refusal> = None;
                    while self.pos < self.end {
                        let byte = self.buf[self.pos];
                        self.pos += 1;
                        if in_string {
                            if escaped {
                                escaped = false;
                            } else if byte == b'\\' {
                                escaped = true;
                            } else if byte == b'"' {
                                in_string = false;
                                if stack.is_empty() {
                                    done = true;
                                    break;
                                }
                            }
                            continue;
                        }
                        match byte {
                            b'"' => in_string = true,
                            b'{' => stack.push(b'}'),
                            b'[' => stack.push(b']'),
                            b'}' | b']' => {
                                if stack.pop() != Some(byte) {
                                    // Point at the byte itself.
                                    self.pos -= 1;
                                    let consumed = &self.buf[chunk_start..self.pos];
                                    let mut place = self.place;
                                    place.offset += consumed.len() as u64;
                                    place.line += consumed.iter().filter(|b| **b == b'\n').count() as u64;
                                    bad = Some(Refusal {
                                        place,
                                        reason: format!("{} does not close what is open here", describe(byte)),
                                    });
                                    break;
                                }
                                if stack.is_empty() {
                                    done = true;
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let consumed = &self.buf[chunk_start..self.pos];
                    self.place.offset += consumed.len() as u64;
                    self.place.line += consumed.iter().filter(|b| **b == b'\n').count() as u64;
                    out.extend_from_slice(consumed);
                    if let Some(bad) = bad {
                        return Err(bad);
                    }
                    if out.len() - start_len > limit {
                        return Err(too_large(self));
                    }
                    if done {
                        return Ok(());
                    }
                }
            }
            b'}' | b']' | b',' | b':' => Err(self.refusal(format!("expected a value, found {}", describe(first)))),
            _ => {
                // A number, true, false, null (or garbage, which serde_json names): up to the
                // next delimiter.
                while let Some(byte) = self.peek()? {
                    if matches!(
                        byte,
                        b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b'[' | b'{' | b'"' | b':'
                    ) {
                        break;
                    }
                    self.bump(Some(out));
                    if out.len() - start_len > limit {
                        return Err(too_large(self));
                    }
                }
                Ok(())
            }
        }
    }
}

/// Where the reader is in the file's structure.
enum Stage {
    /// Just inside the array (top-level or wrapped): a record or `]`.
    ArrayFirst,
    /// After a comma: a record must follow.
    ArrayNext,
    /// The array is closed: the rest of a wrapping object, then nothing but whitespace.
    AfterArray,
    /// NDJSON: the first record, read while the shape was worked out.
    LinesFirst(Vec<u8>, Place),
    /// NDJSON: the next line's record, or the end.
    LinesNext,
    Done,
}

/// The records of a file, in order. An error ends the iteration.
pub struct Records {
    path: PathBuf,
    scanner: Scanner,
    shape: Shape,
    stage: Stage,
    /// The bytes of the current record.
    record: Vec<u8>,
    number: u64,
    /// Small scalar members of a wrapping object.
    wrapper: Vec<(String, Value)>,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("path", &self.path)
            .field("shape", &self.shape)
            .field("number", &self.number)
            .finish()
    }
}

/// Opens a file of records and works out its shape.
pub fn records(path: &Path) -> Result<Records, EngineError> {
    let file = File::open(path).map_err(EngineError::io(path))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(EngineError::Export {
            path: path.to_path_buf(),
            reason: "is a directory, not a file of records".into(),
        });
    }
    Records::from_reader(path, Box::new(file))
}

impl Records {
    /// Records read from `reader`; `path` names it in errors.
    pub fn from_reader(path: &Path, reader: Box<dyn Read + Send>) -> Result<Self, EngineError> {
        let mut records = Self {
            path: path.to_path_buf(),
            scanner: Scanner::new(reader),
            shape: Shape::Lines,
            stage: Stage::Done,
            record: Vec::new(),
            number: 0,
            wrapper: Vec::new(),
        };
        match Self::open(&mut records.scanner) {
            Ok((shape, stage)) => {
                records.shape = shape;
                records.stage = stage;
                Ok(records)
            }
            Err(refusal) => Err(records.refused(refusal)),
        }
    }

    fn open(scanner: &mut Scanner) -> Scanned<(Shape, Stage)> {
        // Byte order marks: UTF-8's is skipped, UTF-16's refused (serde_json reads UTF-8 only).
        if scanner.fill()? {
            let head = &scanner.buf[scanner.pos..scanner.end];
            if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
                return Err(scanner.refusal("the file is UTF-16 (it starts with a byte order mark): save it as UTF-8"));
            }
            if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
                for _ in 0..3 {
                    scanner.bump(None);
                }
            }
        }
        match scanner.skip_ws(None)? {
            None => Err(scanner.refusal(
                "the file is empty: expected a JSON array of records, NDJSON (one record per line), or an object with a \"results\" array",
            )),
            Some(b'[') => {
                scanner.bump(None);
                Ok((Shape::Array, Stage::ArrayFirst))
            }
            Some(b'{') => Self::probe(scanner),
            Some(other) => Err(scanner.refusal(format!(
                "expected a JSON array of records, NDJSON (one record per line), or an object with a \"results\" array; found {}{}",
                describe(other),
                if other == b'<' {
                    " (HTML or XML?)"
                } else if other.is_ascii_alphabetic() {
                    " (CSV or plain text?)"
                } else {
                    ""
                }
            ))),
        }
    }

    /// A file that starts with `{`: an object wrapping the records (a member in
    /// [`WRAPPER_KEYS`] whose value is an array) or the first NDJSON record. The object's bytes
    /// are kept while its members are read, up to [`MAX_RECORD_BYTES`].
    fn probe(scanner: &mut Scanner) -> Scanned<(Shape, Stage)> {
        let start = scanner.place;
        let mut out = Vec::new();
        scanner.bump(Some(&mut out));
        if scanner.skip_ws(Some(&mut out))? == Some(b'}') {
            scanner.bump(Some(&mut out));
            return Ok((Shape::Lines, Stage::LinesFirst(out, start)));
        }
        loop {
            let key_place = scanner.place;
            match scanner.peek()? {
                Some(b'"') => {}
                Some(b) => return Err(scanner.refusal(format!("expected a member name, found {}", describe(b)))),
                None => return Err(scanner.refusal("the file ends inside an object (cut short?)")),
            }
            let key_start = out.len();
            scanner.capture(&mut out, MAX_RECORD_BYTES)?;
            let key: String = serde_json::from_slice(&out[key_start..]).map_err(|e| Refusal {
                place: key_place,
                reason: format!("a member name that is not a JSON string: {e}"),
            })?;
            scanner.skip_ws(Some(&mut out))?;
            scanner.expect(b':', "':' after a member name", Some(&mut out))?;
            let next = scanner.skip_ws(Some(&mut out))?;
            if WRAPPER_KEYS.contains(&key.as_str()) && next == Some(b'[') {
                scanner.bump(None);
                return Ok((Shape::Wrapped(key), Stage::ArrayFirst));
            }
            let room = MAX_RECORD_BYTES.saturating_sub(out.len());
            scanner.capture(&mut out, room)?;
            match scanner.skip_ws(Some(&mut out))? {
                Some(b',') => {
                    scanner.bump(Some(&mut out));
                    scanner.skip_ws(Some(&mut out))?;
                }
                Some(b'}') => {
                    scanner.bump(Some(&mut out));
                    return Ok((Shape::Lines, Stage::LinesFirst(out, start)));
                }
                Some(b) => return Err(scanner.refusal(format!("expected ',' or '}}', found {}", describe(b)))),
                None => return Err(scanner.refusal("the file ends inside an object (cut short?)")),
            }
        }
    }

    /// How the records are laid out.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Records handed out so far.
    pub fn count(&self) -> u64 {
        self.number
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The small scalar members of a wrapping object read so far (all of them once the last
    /// record was read): `totalCount`, `objectsCount`, `nextCursorId`, …
    pub fn wrapper(&self) -> &[(String, Value)] {
        &self.wrapper
    }

    fn refused(&self, refusal: Refusal) -> EngineError {
        let Refusal { place, reason } = refusal;
        if let Some(e) = &self.scanner.io_error {
            return EngineError::Io {
                path: self.path.clone(),
                source: std::io::Error::new(e.kind(), e.to_string()),
            };
        }
        EngineError::Export {
            path: self.path.clone(),
            reason: format!("{place}: {reason}"),
        }
    }

    /// Reads the next record's bytes into `self.record`; where it starts, or `None` at the end.
    fn next_bytes(&mut self) -> Scanned<Option<Place>> {
        self.record.clear();
        loop {
            let scanner = &mut self.scanner;
            match std::mem::replace(&mut self.stage, Stage::Done) {
                Stage::Done => return Ok(None),
                Stage::LinesFirst(bytes, place) => {
                    self.record = bytes;
                    self.stage = Stage::LinesNext;
                    return Ok(Some(place));
                }
                Stage::LinesNext => {
                    let line = scanner.place.line;
                    match scanner.skip_ws(None)? {
                        None => return Ok(None),
                        Some(_) if scanner.place.line == line => {
                            return Err(scanner.refusal(
                                "a second JSON value on the same line: NDJSON holds one record per line (two documents joined?)",
                            ));
                        }
                        Some(b'{') => {
                            let place = scanner.place;
                            scanner.capture(&mut self.record, MAX_RECORD_BYTES)?;
                            self.stage = Stage::LinesNext;
                            return Ok(Some(place));
                        }
                        Some(b'[') => {
                            return Err(scanner.refusal(
                                "an array after NDJSON records: a file holds one JSON array or one record per line, not both",
                            ));
                        }
                        Some(b) => {
                            return Err(scanner.refusal(format!(
                                "expected a record ('{{' at the start of a line), found {}",
                                describe(b)
                            )));
                        }
                    }
                }
                stage @ (Stage::ArrayFirst | Stage::ArrayNext) => {
                    match scanner.skip_ws(None)? {
                        None => {
                            return Err(scanner.refusal("the file ends inside the array: ']' is missing (cut short?)"));
                        }
                        Some(b']') if matches!(stage, Stage::ArrayFirst) => {
                            scanner.bump(None);
                            self.stage = Stage::AfterArray;
                            continue;
                        }
                        Some(b']') => return Err(scanner.refusal("a comma just before ']' (a trailing comma)")),
                        Some(b',') => return Err(scanner.refusal("a comma where a record should be (an empty record)")),
                        Some(_) => {}
                    }
                    let place = scanner.place;
                    scanner.capture(&mut self.record, MAX_RECORD_BYTES)?;
                    match scanner.skip_ws(None)? {
                        Some(b',') => {
                            scanner.bump(None);
                            self.stage = Stage::ArrayNext;
                        }
                        Some(b']') => {
                            scanner.bump(None);
                            self.stage = Stage::AfterArray;
                        }
                        Some(b) => {
                            return Err(
                                scanner.refusal(format!("expected ',' or ']' after a record, found {}", describe(b)))
                            );
                        }
                        None => {
                            return Err(scanner.refusal("the file ends inside the array: ']' is missing (cut short?)"));
                        }
                    }
                    return Ok(Some(place));
                }
                Stage::AfterArray => {
                    if let Shape::Wrapped(_) = self.shape {
                        self.finish_wrapper()?;
                    }
                    let scanner = &mut self.scanner;
                    return match scanner.skip_ws(None)? {
                        None => Ok(None),
                        Some(b) => Err(scanner.refusal(format!(
                            "more data after the end of the JSON document, starting with {}{}: a file holds one document (two joined, or trailing garbage?)",
                            describe(b),
                            if b == b'[' || b == b'{' { " (a second array or object)" } else { "" }
                        ))),
                    };
                }
            }
        }
    }

    /// The members of a wrapping object after its array, up to its `}`; small scalars kept.
    fn finish_wrapper(&mut self) -> Scanned<()> {
        let scanner = &mut self.scanner;
        let mut value = Vec::new();
        loop {
            match scanner.skip_ws(None)? {
                Some(b'}') => {
                    scanner.bump(None);
                    return Ok(());
                }
                Some(b',') => scanner.bump(None),
                Some(b) => return Err(scanner.refusal(format!("expected ',' or '}}', found {}", describe(b)))),
                None => {
                    return Err(
                        scanner.refusal("the file ends inside the wrapping object: '}' is missing (cut short?)")
                    );
                }
            }
            scanner.skip_ws(None)?;
            let key_place = scanner.place;
            if scanner.peek()? != Some(b'"') {
                return Err(scanner.refusal("expected a member name"));
            }
            value.clear();
            scanner.capture(&mut value, MAX_RECORD_BYTES)?;
            let key: String = serde_json::from_slice(&value).map_err(|e| Refusal {
                place: key_place,
                reason: format!("a member name that is not a JSON string: {e}"),
            })?;
            scanner.skip_ws(None)?;
            scanner.expect(b':', "':' after a member name", None)?;
            scanner.skip_ws(None)?;
            let value_place = scanner.place;
            value.clear();
            scanner.capture(&mut value, MAX_RECORD_BYTES)?;
            let parsed: Value = serde_json::from_slice(&value).map_err(|e| Refusal {
                place: locate(&value, value_place, &e),
                reason: format!("not JSON: {e}"),
            })?;
            let small = match &parsed {
                Value::String(s) => s.len() <= 256,
                Value::Number(_) | Value::Bool(_) | Value::Null => true,
                _ => false,
            };
            if small && self.wrapper.len() < 32 {
                self.wrapper.push((key, parsed));
            }
        }
    }

    /// The next record, parsed as `T`.
    fn next_as<T: serde::de::DeserializeOwned>(&mut self) -> Option<Result<T, EngineError>> {
        let place = match self.next_bytes() {
            Ok(None) => return None,
            Ok(Some(place)) => place,
            Err(refusal) => {
                self.stage = Stage::Done;
                return Some(Err(self.refused(refusal)));
            }
        };
        self.number += 1;
        match serde_json::from_slice::<T>(&self.record) {
            Ok(value) => Some(Ok(value)),
            Err(e) => {
                self.stage = Stage::Done;
                let refusal = Refusal {
                    place: locate(&self.record, place, &e),
                    reason: format!("record {} is not valid JSON: {}", self.number, strip_position(&e)),
                };
                Some(Err(self.refused(refusal)))
            }
        }
    }
}

/// The place in the file of serde_json's error inside a record that starts at `start`.
fn locate(bytes: &[u8], start: Place, error: &serde_json::Error) -> Place {
    let (line, column) = (error.line().max(1), error.column());
    let mut index = 0usize;
    let mut current = 1usize;
    while current < line && index < bytes.len() {
        if bytes[index] == b'\n' {
            current += 1;
        }
        index += 1;
    }
    // serde_json's column counts the bytes of the line up to and including the one it stopped at.
    let index = (index + column.saturating_sub(1)).min(bytes.len());
    Place {
        offset: start.offset + index as u64,
        line: start.line + (line - 1) as u64,
    }
}

/// serde_json's message without its " at line L column C" (the place is given in the file's
/// terms instead).
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

impl Iterator for Records {
    type Item = Result<Value, EngineError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_as::<Value>()
    }
}

/// What a whole read of a file found.
#[derive(Clone, Debug)]
pub struct Scan {
    pub shape: Shape,
    pub records: u64,
    /// The first record, parsed.
    pub first: Option<Value>,
    /// A wrapping object's small members.
    pub wrapper: Vec<(String, Value)>,
}

/// Reads a whole file, checking every record's syntax without keeping any: what an import does
/// before its first job. Costs one record's memory.
pub fn scan(path: &Path) -> Result<Scan, EngineError> {
    scan_each::<serde::de::IgnoredAny>(path, |_| {})
}

/// As [`scan`], handing each record to `each` read as `T` (a struct of the few fields a caller
/// wants: the others are read past without being kept).
pub fn scan_each<T: serde::de::DeserializeOwned>(path: &Path, mut each: impl FnMut(T)) -> Result<Scan, EngineError> {
    let mut records = records(path)?;
    let first: Option<Value> = records.next().transpose()?;
    if let Some(first) = &first {
        match T::deserialize(first) {
            Ok(value) => each(value),
            Err(e) => {
                return Err(EngineError::Export {
                    path: path.to_path_buf(),
                    reason: format!("record 1: {e}"),
                });
            }
        }
    }
    while let Some(record) = records.next_as::<T>() {
        each(record?);
    }
    Ok(Scan {
        shape: records.shape.clone(),
        records: records.number,
        first,
        wrapper: records.wrapper.clone(),
    })
}

/// What a record is, judged from its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// A Gigya account (`UID`, `profile`, …), as accounts.search or IdentitySync export it.
    GigyaAccount,
    /// An account of a Ferry seed for the mock Gigya (`ferry generate gigya`, `ferry serve
    /// --seed`): `password_hash` or a clear-text `password`, which no Gigya export has.
    GigyaSeed,
    /// A whole seed file for `ferry serve --seed` (as `ferry generate` writes it): an object
    /// keyed by mock (`gigya`, `okta`, `stormpath`, `auth0`).
    ServeSeed,
    /// An Auth0 bulk-import user (`email` at the top, no `UID`).
    Auth0User,
    /// An Okta user (`login` or `profile.login`, `status`), as Okta's API or a Ferry seed has it.
    OktaUser,
    /// A Stormpath account (`href` of an account, `givenName`, `surname`).
    StormpathAccount,
    /// None of these (or not an object).
    Unknown,
}

impl RecordKind {
    /// Judges one record.
    pub fn of(record: &Value) -> Self {
        let Some(map) = record.as_object() else {
            return RecordKind::Unknown;
        };
        let has = |key: &str| map.contains_key(key);
        const MOCKS: [&str; 4] = ["gigya", "okta", "stormpath", "auth0"];
        if !map.is_empty() && map.keys().all(|key| MOCKS.contains(&key.as_str())) && map.values().all(Value::is_object)
        {
            return RecordKind::ServeSeed;
        }
        if has("UID") {
            let clear_password = map.get("password").is_some_and(Value::is_string);
            return if has("password_hash") || clear_password {
                RecordKind::GigyaSeed
            } else {
                RecordKind::GigyaAccount
            };
        }
        if map
            .get("href")
            .and_then(Value::as_str)
            .is_some_and(|h| h.contains("/accounts/"))
        {
            return RecordKind::StormpathAccount;
        }
        let profile_login = map.get("profile").and_then(|p| p.get("login")).is_some();
        if (has("login") || profile_login) && !has("email") {
            return RecordKind::OktaUser;
        }
        if has("email") || has("custom_password_hash") || has("password_hash") || has("user_id") {
            return RecordKind::Auth0User;
        }
        RecordKind::Unknown
    }

    /// A person's name for it.
    pub fn describe(self) -> &'static str {
        match self {
            RecordKind::GigyaAccount => "a Gigya account (UID, profile)",
            RecordKind::GigyaSeed => {
                "an account of a seed for Ferry's mock Gigya (`ferry generate gigya`: a password_hash or clear-text password, which no Gigya export holds)"
            }
            RecordKind::ServeSeed => "a seed for Ferry's mocks (`ferry generate`: an object keyed by mock)",
            RecordKind::Auth0User => "an Auth0 import user (email at the top, no UID)",
            RecordKind::OktaUser => "an Okta user (login, status)",
            RecordKind::StormpathAccount => "a Stormpath account",
            RecordKind::Unknown => "not a user record Ferry knows",
        }
    }
}

/// What a command expects a file to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// A Gigya export (`ferry check --kind gigya`, `ferry migrate gigya --via file`).
    GigyaExport,
    /// An Auth0 import file (`ferry check --kind auth0`, `ferry import`).
    Auth0File,
}

/// Refuses a file whose first record is plainly another kind than the one the command was told
/// it is, with what it looks like and what to run instead. A file of records of unknown shape
/// passes: each record then fails on its own, with its reason.
pub fn expect_kind(path: &Path, first: Option<&Value>, expected: Expected) -> Result<(), EngineError> {
    let Some(first) = first else { return Ok(()) };
    let kind = RecordKind::of(first);
    let hint = match (expected, kind) {
        (Expected::GigyaExport, RecordKind::GigyaAccount | RecordKind::Unknown)
        | (Expected::Auth0File, RecordKind::Auth0User | RecordKind::Unknown) => return Ok(()),
        (_, RecordKind::GigyaSeed | RecordKind::ServeSeed) => {
            "serve it with `ferry serve --seed FILE` and export it with `ferry migrate gigya`, which reads what Gigya really exports"
        }
        (Expected::GigyaExport, RecordKind::Auth0User) => {
            "it is already an Auth0 import file: check it with `ferry check FILE --kind auth0`, import it with `ferry import FILE`"
        }
        (Expected::Auth0File, RecordKind::GigyaAccount) => {
            "it is a Gigya export: check it with `ferry check FILE --kind gigya`, migrate it with `ferry migrate gigya --via file --export-file FILE`"
        }
        (_, RecordKind::OktaUser) => {
            "it holds Okta users: Okta users move to Auth0 by automatic migration (a custom database connection, `ferry deploy`), not by a bulk import of this file"
        }
        (_, RecordKind::StormpathAccount) => {
            "it holds a Stormpath account: migrate a Stormpath console export with `ferry migrate stormpath --export-dir DIR`"
        }
    };
    let wanted = match expected {
        Expected::GigyaExport => "a Gigya export",
        Expected::Auth0File => "an Auth0 import file",
    };
    Err(EngineError::Export {
        path: path.to_path_buf(),
        reason: format!("this is not {wanted}: its first record is {}; {hint}", kind.describe()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_bytes(bytes: &[u8]) -> Result<Vec<Value>, EngineError> {
        let reader: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes.to_vec()));
        Records::from_reader(Path::new("f.json"), reader)?.collect()
    }

    fn read(text: &str) -> Result<Vec<Value>, EngineError> {
        read_bytes(text.as_bytes())
    }

    fn refusal(text: &str) -> String {
        read(text).expect_err("refused").to_string()
    }

    #[test]
    fn reads_arrays_with_tricky_strings() {
        let values = read(" [ {\"a\": \"x],{\\\"y\"}, {\"b\": [1, [2]]}, 3 ]\n").expect("valid");
        assert_eq!(values.len(), 3);
        assert_eq!(values[0]["a"], "x],{\"y");
        assert_eq!(values[1]["b"][1][0], 2);
        assert_eq!(values[2], 3);
        assert_eq!(read("[]").expect("empty").len(), 0);
        assert_eq!(read("[\n]\n").expect("empty").len(), 0);
    }

    #[test]
    fn reads_ndjson_and_wrappers() {
        assert_eq!(read("{\"a\":1}\n\n{\"a\":2}\n").expect("ndjson").len(), 2);
        assert_eq!(read("{\"a\":1}\r\n{\"a\":2}").expect("CRLF, no final newline").len(), 2);
        let values = read("{\n \"results\": [{\"a\":1}]\n}").expect("wrapper");
        assert_eq!(values.len(), 1);
        // A saved accounts.search answer: members before and after the array, on one line.
        let text = r#"{"callId":"c1","errorCode":0,"statusCode":200,"results":[{"UID":"1"},{"UID":"2"}],"objectsCount":2,"totalCount":1032,"nextCursorId":"cur"}"#;
        let mut records = Records::from_reader(
            Path::new("r.json"),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        )
        .expect("opens");
        assert_eq!(records.shape(), &Shape::Wrapped("results".into()));
        let all: Vec<Value> = records.by_ref().collect::<Result<_, _>>().expect("read");
        assert_eq!(all.len(), 2);
        let wrapper: std::collections::BTreeMap<_, _> = records.wrapper().iter().cloned().collect();
        assert_eq!(wrapper.get("totalCount"), Some(&serde_json::json!(1032)));
        assert_eq!(wrapper.get("nextCursorId"), Some(&serde_json::json!("cur")));
        // An object whose array member is not one of the wrapper names is a record.
        let values = read("{\"tags\": [1, 2], \"email\": \"a@b.co\"}\n").expect("a record");
        assert_eq!(values.len(), 1);
        assert_eq!(values[0]["tags"][1], 2);
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_utf16_refused() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(b"[{\"a\":1}]");
        assert_eq!(read_bytes(&bytes).expect("BOM").len(), 1);
        let err = read_bytes(&[0xFF, 0xFE, b'[', 0]).expect_err("UTF-16").to_string();
        assert!(err.contains("UTF-16"), "{err}");
    }

    #[test]
    fn what_is_not_a_file_of_records_is_refused_where_it_goes_wrong() {
        for (text, offset, line, says) in [
            ("", 0, 1, "the file is empty"),
            ("  \n\t", 4, 2, "the file is empty"),
            ("email,name\na@b.co,A", 0, 1, "CSV or plain text"),
            ("<html>", 0, 1, "HTML"),
            ("[{\"a\":1}][{\"a\":2}]", 9, 1, "after the end of the JSON document"),
            ("[{\"a\":1}]\n[{\"a\":2}]\n", 10, 2, "a second array or object"),
            ("[{\"a\":1}] garbage", 10, 1, "starting with 'g'"),
            ("{\"results\":[{\"a\":1}]} {\"results\":[]}", 22, 1, "after the end"),
            ("{\"results\":[{\"a\":1}]}\n]", 22, 2, "after the end"),
            ("[{\"a\":1},]", 9, 1, "trailing comma"),
            ("[{\"a\":1},,{\"a\":2}]", 9, 1, "an empty record"),
            ("[{\"a\":1} {\"a\":2}]", 9, 1, "expected ',' or ']'"),
            ("[{\"a\":1}, {\"a\":", 15, 1, "cut short"),
            ("[{\"a\":1}", 8, 1, "']' is missing"),
            ("[{\"a\":1]}]", 7, 1, "does not close"),
            ("{\"a\":1}{\"a\":2}\n", 7, 1, "a second JSON value on the same line"),
            ("{\"a\":1}\n[1]\n", 8, 2, "an array after NDJSON records"),
            ("{\"a\":1}\n42\n", 8, 2, "expected a record"),
        ] {
            let err = refusal(text);
            assert!(
                err.contains(&format!("byte {offset} (line {line})")) && err.contains(says),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn a_malformed_record_is_named_with_its_place_in_the_file() {
        let text = "[{\"a\":1},\n {\"a\": nope}]";
        let mut it = Records::from_reader(
            Path::new("bad.json"),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        )
        .expect("opens");
        assert!(it.next().expect("first").is_ok());
        let err = it.next().expect("second").expect_err("malformed").to_string();
        assert!(err.contains("record 2 is not valid JSON"), "{err}");
        assert!(
            err.contains("byte 18 (line 2)"),
            "the o of nope, the first byte that cannot be: {err}"
        );
        assert!(it.next().is_none(), "an error ends the records");
        let err = refusal("{\"a\":1}\n{\"a\":\n\n  tru}\n");
        assert!(err.contains("(line 4)") && err.contains("record 2"), "{err}");
    }

    #[test]
    fn a_record_over_the_size_limit_is_refused() {
        let big = format!("[{{\"pad\":\"{}\"}}]", "x".repeat(MAX_RECORD_BYTES + 10));
        let err = refusal(&big);
        assert!(err.contains("larger than 16 MiB"), "{err}");
        let big = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(MAX_RECORD_BYTES + 10));
        let err = refusal(&big);
        assert!(err.contains("larger than 16 MiB"), "{err}");
    }

    #[test]
    fn a_scan_counts_without_keeping() {
        let path = std::env::temp_dir().join(format!("ferry-export-scan-{}.json", std::process::id()));
        std::fs::write(
            &path,
            "{\"results\":[{\"UID\":\"1\"},{\"UID\":\"2\"},{\"UID\":\"3\"}],\"totalCount\":3}",
        )
        .expect("write");
        let scan = scan(&path).expect("scanned");
        assert_eq!((scan.records, &scan.shape), (3, &Shape::Wrapped("results".into())));
        assert_eq!(scan.first.expect("first")["UID"], "1");
        std::fs::write(&path, "[{\"UID\":\"1\"},{\"UID\":2 3}]").expect("write");
        let err = super::scan(&path).expect_err("bad second record").to_string();
        assert!(err.contains("record 2") && err.contains("byte 22"), "the 3: {err}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn kinds_are_told_apart() {
        use serde_json::json;
        assert_eq!(
            RecordKind::of(&json!({"UID": "1", "profile": {}})),
            RecordKind::GigyaAccount
        );
        assert_eq!(
            RecordKind::of(&json!({"UID": "1", "password_hash": {"hash": "x"}})),
            RecordKind::GigyaSeed
        );
        assert_eq!(
            RecordKind::of(&json!({"UID": "1", "password": "Pw-1"})),
            RecordKind::GigyaSeed
        );
        assert_eq!(RecordKind::of(&json!({"email": "a@b.co"})), RecordKind::Auth0User);
        assert_eq!(
            RecordKind::of(&json!({"login": "a@b.co", "status": "ACTIVE", "profile": {}})),
            RecordKind::OktaUser
        );
        assert_eq!(RecordKind::of(&json!(3)), RecordKind::Unknown);
        let path = Path::new("f.json");
        let seed = json!({"UID": "1", "password_hash": {}});
        let err = expect_kind(path, Some(&seed), Expected::GigyaExport).expect_err("a seed");
        assert!(err.to_string().contains("ferry serve --seed"), "{err}");
        let auth0 = json!({"email": "a@b.co"});
        let err = expect_kind(path, Some(&auth0), Expected::GigyaExport).expect_err("auth0 as gigya");
        assert!(err.to_string().contains("--kind auth0"), "{err}");
        let gigya = json!({"UID": "1"});
        let err = expect_kind(path, Some(&gigya), Expected::Auth0File).expect_err("gigya as auth0");
        assert!(err.to_string().contains("--kind gigya"), "{err}");
        assert!(expect_kind(path, Some(&gigya), Expected::GigyaExport).is_ok());
        assert!(expect_kind(path, Some(&json!(1)), Expected::Auth0File).is_ok());
    }
}
