//! Reading export and import files one record at a time, so that memory does not grow with the
//! size of the file: a JSON array (what IdentitySync's `file.format.json` and Auth0's import
//! files are), NDJSON (what Auth0's own exports are), or an object wrapping an array under
//! `results`, `accounts` or `users` (read whole: that layout cannot be streamed without a
//! parser of our own, and exports do not use it for large files).
//!
//! A malformed record is an error naming the file and the record number; records before it
//! have already been handed out.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::EngineError;

/// The records of a file, in order.
pub struct Records {
    path: PathBuf,
    source: Source,
    number: usize,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("path", &self.path)
            .field("number", &self.number)
            .finish()
    }
}

type Reader = Box<dyn BufRead + Send>;

enum Source {
    Array { reader: Reader, done: bool },
    Lines { reader: Reader },
    Loaded { items: std::vec::IntoIter<Value> },
}

/// Opens a file of records.
pub fn records(path: &Path) -> Result<Records, EngineError> {
    let file = File::open(path).map_err(EngineError::io(path))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let first = loop {
        let buf = reader.fill_buf().map_err(EngineError::io(path))?;
        let Some(&byte) = buf.first() else { break None };
        if byte.is_ascii_whitespace() || buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            let skip = if byte.is_ascii_whitespace() { 1 } else { 3 };
            reader.consume(skip);
            continue;
        }
        break Some(byte);
    };
    let source = match first {
        None => Source::Loaded {
            items: Vec::new().into_iter(),
        },
        Some(b'[') => {
            reader.consume(1);
            Source::Array {
                reader: Box::new(reader),
                done: false,
            }
        }
        Some(b'{') => {
            // Either NDJSON or one wrapping object: read the first line to tell.
            let mut first_line = String::new();
            reader.read_line(&mut first_line).map_err(EngineError::io(path))?;
            match serde_json::from_str::<Value>(first_line.trim()) {
                Ok(Value::Object(_)) => {
                    // NDJSON: the first line goes back in front of the rest.
                    let chained = BufReader::new(std::io::Cursor::new(first_line.into_bytes()).chain(reader));
                    Source::Lines {
                        reader: Box::new(chained),
                    }
                }
                _ => {
                    let mut text = first_line;
                    reader.read_to_string(&mut text).map_err(EngineError::io(path))?;
                    let value: Value = serde_json::from_str(&text).map_err(|e| EngineError::Export {
                        path: path.to_path_buf(),
                        reason: format!("not JSON: {e}"),
                    })?;
                    let items = ["results", "accounts", "users"]
                        .iter()
                        .find_map(|k| value.get(k).and_then(Value::as_array).cloned())
                        .ok_or_else(|| EngineError::Export {
                            path: path.to_path_buf(),
                            reason: "expected a JSON array, NDJSON, or an object with a results/accounts/users array"
                                .into(),
                        })?;
                    Source::Loaded {
                        items: items.into_iter(),
                    }
                }
            }
        }
        Some(other) => {
            return Err(EngineError::Export {
                path: path.to_path_buf(),
                reason: format!(
                    "expected a JSON array or NDJSON, found {:?} at the start",
                    char::from(other)
                ),
            });
        }
    };
    Ok(Records {
        path: path.to_path_buf(),
        source,
        number: 0,
    })
}

impl Records {
    /// Records handed out so far.
    pub fn count(&self) -> usize {
        self.number
    }

    fn error(&self, reason: &str) -> EngineError {
        EngineError::Export {
            path: self.path.clone(),
            reason: format!("record {}: {reason}", self.number),
        }
    }
}

impl Iterator for Records {
    type Item = Result<Value, EngineError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = match &mut self.source {
            Source::Loaded { items } => items.next().map(Ok),
            Source::Lines { reader } => loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) => break None,
                    Ok(_) if line.trim().is_empty() => continue,
                    Ok(_) => break Some(serde_json::from_str::<Value>(line.trim()).map_err(|e| e.to_string())),
                    Err(e) => break Some(Err(e.to_string())),
                }
            },
            Source::Array { reader, done } => {
                if *done {
                    None
                } else {
                    match next_element(reader) {
                        Ok(Some((bytes, last))) => {
                            *done = last;
                            Some(serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string()))
                        }
                        Ok(None) => {
                            *done = true;
                            None
                        }
                        Err(e) => {
                            *done = true;
                            Some(Err(e))
                        }
                    }
                }
            }
        }?;
        self.number += 1;
        Some(next.map_err(|reason| self.error(&reason)))
    }
}

/// The bytes of the next element of a JSON array whose `[` has been read, and whether it was
/// the last one; `None` at a `]` with no element before it.
fn next_element(reader: &mut impl BufRead) -> Result<Option<(Vec<u8>, bool)>, String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    loop {
        let buf = reader.fill_buf().map_err(|e| e.to_string())?;
        if buf.is_empty() {
            return if out.iter().all(u8::is_ascii_whitespace) && depth == 0 && !in_string {
                Err("the array is not closed (file cut short?)".into())
            } else {
                Err("unexpected end of file inside a record".into())
            };
        }
        let mut used = 0;
        for &byte in buf {
            used += 1;
            if in_string {
                out.push(byte);
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => {
                    in_string = true;
                    out.push(byte);
                }
                b'{' | b'[' => {
                    depth += 1;
                    out.push(byte);
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    out.push(byte);
                }
                b']' => {
                    reader.consume(used);
                    let empty = out.iter().all(u8::is_ascii_whitespace);
                    return if empty { Ok(None) } else { Ok(Some((out, true))) };
                }
                b',' if depth == 0 => {
                    reader.consume(used);
                    if out.iter().all(u8::is_ascii_whitespace) {
                        return Err("an empty record (two commas in a row?)".into());
                    }
                    return Ok(Some((out, false)));
                }
                _ => out.push(byte),
            }
        }
        reader.consume(used);
    }
}

/// Calls `f` with every record of a file, in order.
pub fn for_each_record(path: &Path, mut f: impl FnMut(Value) -> Result<(), EngineError>) -> Result<usize, EngineError> {
    let mut records = records(path)?;
    for record in records.by_ref() {
        f(record?)?;
    }
    Ok(records.count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferry-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    fn read(path: &Path) -> Result<Vec<Value>, EngineError> {
        records(path)?.collect()
    }

    #[test]
    fn reads_arrays_with_tricky_strings() {
        let path = write("a.json", " [ {\"a\": \"x],{\\\"y\"}, {\"b\": [1, [2]]}, 3 ]\n");
        let values = read(&path).expect("valid");
        assert_eq!(values.len(), 3);
        assert_eq!(values[0]["a"], "x],{\"y");
        assert_eq!(values[1]["b"][1][0], 2);
        assert_eq!(read(&write("e.json", "[]")).expect("empty").len(), 0);
    }

    #[test]
    fn reads_ndjson_and_wrappers() {
        let values = read(&write("n.ndjson", "{\"a\":1}\n\n{\"a\":2}\n")).expect("ndjson");
        assert_eq!(values.len(), 2);
        let values = read(&write("w.json", "{\n \"results\": [{\"a\":1}]\n}")).expect("wrapper");
        assert_eq!(values.len(), 1);
    }

    #[test]
    fn errors_name_the_record() {
        let path = write("bad.json", "[{\"a\":1}, {\"a\": nope}]");
        let mut it = records(&path).expect("opens");
        assert!(it.next().expect("first").is_ok());
        let err = it.next().expect("second").expect_err("malformed");
        assert!(err.to_string().contains("record 2"), "{err}");
        let cut = write("cut.json", "[{\"a\":1}, {\"a\":");
        let err = read(&cut).expect_err("cut short");
        assert!(err.to_string().contains("end of file"), "{err}");
    }
}
