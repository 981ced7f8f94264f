//! Stamps `dist/sw.js` with the release it serves: the list of files to
//! cache and a version derived from their contents. A new build with any
//! changed file gets a new `sw.js`, which is how browsers learn that a new
//! release is ready (they compare the worker's bytes).

use std::{fs, path::Path};

use anyhow::Context;

const VERSION_LINE: &str = "const VERSION = \"dev\";";
const ASSETS_LINE: &str = "const ASSETS = [];";

/// Rewrites `dir/sw.js` in place; run after `trunk build` and before the
/// files are precompressed.
pub(crate) fn stamp(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join("sw.js");
    let source =
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut files = Vec::new();
    list(dir, dir, &mut files)?;
    files.sort();
    let mut hash = Fnv::default();
    for name in &files {
        hash.write(name.as_bytes());
        hash.write(&fs::read(dir.join(&name[1..]))?);
    }
    let version = format!("{:016x}", hash.0);
    let assets = serde_json::to_string(&files)?;
    anyhow::ensure!(
        source.contains(VERSION_LINE) && source.contains(ASSETS_LINE),
        "{} has no VERSION/ASSETS lines to stamp",
        path.display()
    );
    let stamped = source
        .replace(VERSION_LINE, &format!("const VERSION = \"{version}\";"))
        .replace(ASSETS_LINE, &format!("const ASSETS = {assets};"));
    fs::write(&path, stamped)?;
    Ok(version)
}

/// Every file the app needs, as a URL path (`/index.html`, `/app-….wasm`),
/// without the worker itself and without compressed copies.
fn list(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            list(root, &path, out)?;
            continue;
        }
        let relative = path
            .strip_prefix(root)?
            .to_string_lossy()
            .replace('\\', "/");
        let skip = relative == "sw.js" || relative.ends_with(".br") || relative.ends_with(".gz");
        if !skip {
            out.push(format!("/{relative}"));
        }
    }
    Ok(())
}

/// 16 hex digits naming `contents` (a file's name for caching, as Trunk's).
pub(crate) fn content_hash(contents: &[u8]) -> String {
    let mut hash = Fnv::default();
    hash.write(contents);
    format!("{:016x}", hash.0)
}

/// FNV-1a, 64 bits: names a release, nothing more (not a security hash).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_the_files_and_a_version_that_follows_their_contents() {
        let dir = std::env::temp_dir().join(format!("kh-sw-{}", std::process::id()));
        fs::create_dir_all(dir.join("snippets")).unwrap();
        fs::write(
            dir.join("sw.js"),
            format!("{VERSION_LINE}\n{ASSETS_LINE}\n"),
        )
        .unwrap();
        fs::write(dir.join("index.html"), "<html>").unwrap();
        fs::write(dir.join("index.html.br"), "x").unwrap();
        fs::write(dir.join("snippets/a.js"), "1").unwrap();
        let first = stamp(&dir).unwrap();
        let stamped = fs::read_to_string(dir.join("sw.js")).unwrap();
        assert!(stamped.contains(&format!("const VERSION = \"{first}\";")));
        assert!(stamped.contains(r#"const ASSETS = ["/index.html","/snippets/a.js"];"#));

        fs::write(
            dir.join("sw.js"),
            format!("{VERSION_LINE}\n{ASSETS_LINE}\n"),
        )
        .unwrap();
        fs::write(dir.join("snippets/a.js"), "2").unwrap();
        let second = stamp(&dir).unwrap();
        assert_ne!(first, second);
        assert!(
            stamp(&dir).is_err(),
            "a stamped worker can't be stamped twice"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
