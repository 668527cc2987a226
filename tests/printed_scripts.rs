//! The scripts Auth0 printed, kept byte for byte under `scenarios/*/scripts/printed/`: each file
//! must still hash to what its folder's README records (an editor that strips the trailing
//! spaces of a comment, or a helpful fix of the `https:/` typo, fails here), and every file in
//! those folders must be listed.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn printed_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    ["okta", "stormpath"]
        .iter()
        .map(|flow| root.join(flow).join("scripts/printed"))
        .collect()
}

/// `(file, sha256)` from the README's table rows: `` | `login.js` | … | `hex` | ``.
fn recorded(readme: &str) -> Vec<(String, String)> {
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let file = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let hash = cells.get(3)?.strip_prefix('`')?.strip_suffix('`')?;
            (file.ends_with(".js") && hash.len() == 64).then(|| (file.to_owned(), hash.to_owned()))
        })
        .collect()
}

fn js_files(dir: &Path, under: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            js_files(&path, under, out);
        } else if path.extension().is_some_and(|e| e == "js") {
            let relative = path.strip_prefix(under).unwrap_or(&path);
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn the_printed_scripts_are_byte_for_byte_what_their_readme_records() {
    for dir in printed_dirs() {
        let readme = std::fs::read_to_string(dir.join("README.md"))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join("README.md").display()));
        let listed = recorded(&readme);
        assert!(!listed.is_empty(), "{}: no file listed", dir.display());
        for (file, hash) in &listed {
            let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let actual: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(&actual, hash, "{} changed", dir.join(file).display());
        }
        let mut found = vec![];
        js_files(&dir, &dir, &mut found);
        found.sort();
        let mut names: Vec<String> = listed.into_iter().map(|(file, _)| file).collect();
        names.sort();
        assert_eq!(found, names, "{}: every printed file is listed", dir.display());
    }
}
