//! No import circles: within each crate of the workspace, no module uses
//! another that (directly or through others) uses it back. A circle is
//! where layering quietly ends (the state needs the error, which needs the
//! systems, which need the state), so `cargo test` refuses one.
//!
//! The graph is read from the source: every `use crate::…`, `use super::…`
//! and inline `crate::…` path, outside `#[cfg(test)]` modules. A module
//! and its own submodules are one family: a parent declares its children
//! and children use their parent's items, which is no circle.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

/// Module path (`sync::engine`) → the modules it uses.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every module under `src`, by path, with its source.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("a source folder").flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(src).expect("under src");
            if path.is_dir() {
                // Binaries are crates of their own; `tests` folders are
                // test modules.
                if !matches!(relative.to_str(), Some("bin")) && !path.ends_with("tests") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_some_and(|e| e == "rs") {
                let mut parts: Vec<String> = relative
                    .with_extension("")
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                if parts.last().is_some_and(|p| p == "tests") {
                    continue;
                }
                let text = fs::read_to_string(&path).expect("readable source");
                found.insert(parts.join("::"), without_tests(&text));
            }
        }
    }
    found
}

/// The source without comments and without `#[cfg(test)]` modules.
fn without_tests(text: &str) -> String {
    let code: String = text
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        if trimmed.starts_with("mod ") {
            // `mod tests;` or `mod tests { … }`: skip to its end.
            let semi = trimmed.find(';');
            let brace = trimmed.find('{');
            match (semi, brace) {
                (Some(s), Some(b)) if s < b => rest = &trimmed[s + 1..],
                (Some(s), None) => rest = &trimmed[s + 1..],
                (_, Some(b)) => rest = skip_block(&trimmed[b..]),
                (None, None) => rest = "",
            }
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// What follows the `{…}` block `text` starts with.
fn skip_block(text: &str) -> &str {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[i + 1..];
                }
            }
            _ => {}
        }
    }
    ""
}

/// `a::{b, c::{d}}` → `a::b`, `a::c::d`.
fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in tree.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&tree[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tree[start..]);
    for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        match part.find('{') {
            Some(open) => {
                let inner = &part[open + 1..part.rfind('}').unwrap_or(part.len())];
                expand(inner, &format!("{prefix}{}", &part[..open]), out);
            }
            None => out.push(format!("{prefix}{part}")),
        }
    }
}

/// The paths a module's source names: its `use` trees and inline
/// `crate::` paths.
fn paths(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut statement: Option<String> = None;
    for line in source.lines() {
        let trimmed = line.trim_start();
        if statement.is_none() {
            // A `use` item starts a line (after any visibility).
            let item = ["pub use ", "pub(crate) use ", "pub(super) use ", "use "]
                .iter()
                .find_map(|start| trimmed.strip_prefix(start));
            match item {
                Some(rest) => statement = Some(rest.to_owned()),
                None => continue,
            }
        } else if let Some(text) = statement.as_mut() {
            text.push_str(trimmed);
        }
        if let Some(text) = statement.take() {
            match text.find(';') {
                Some(end) => {
                    let tree: String = text[..end].split_whitespace().collect();
                    expand(&tree, "", &mut out);
                }
                None => statement = Some(text),
            }
        }
    }
    let mut rest = source;
    while let Some(at) = rest.find("crate::") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    out
}

fn graph(src: &Path) -> Graph {
    let modules = modules(src);
    let mut graph = Graph::new();
    for (name, source) in &modules {
        let mut uses = BTreeSet::new();
        let own: Vec<&str> = if name.is_empty() {
            Vec::new()
        } else {
            name.split("::").collect()
        };
        for path in paths(source) {
            let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let absolute: Vec<&str> = match segments.first() {
                Some(&"crate") => segments[1..].to_vec(),
                Some(&"super") => {
                    let ups = segments.iter().take_while(|s| **s == "super").count();
                    let mut base = own[..own.len().saturating_sub(ups)].to_vec();
                    base.extend(&segments[ups..]);
                    base
                }
                Some(&"self") => {
                    let mut base = own.clone();
                    base.extend(&segments[1..]);
                    base
                }
                _ => continue,
            };
            // The longest prefix that is a module of this crate.
            let target = (1..=absolute.len())
                .rev()
                .map(|n| absolute[..n].join("::"))
                .find(|candidate| modules.contains_key(candidate));
            if let Some(target) = target {
                let family = target == *name
                    || name.starts_with(&format!("{target}::"))
                    || target.starts_with(&format!("{name}::"))
                    || name.is_empty();
                if !family {
                    uses.insert(target);
                }
            }
        }
        graph.insert(name.clone(), uses);
    }
    graph
}

/// Each circle once, as the modules on it.
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    // Modules that reach each other are on one circle (Tarjan's SCCs,
    // small enough here to find by reachability).
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(at) = stack.pop() {
            for next in graph.get(&at).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut found: Vec<Vec<String>> = Vec::new();
    for (module, from_here) in &reachable {
        if !from_here.contains(*module) || found.iter().any(|c| c.contains(module)) {
            continue;
        }
        let circle: Vec<String> = from_here
            .iter()
            .filter(|other| reachable.get(other).is_some_and(|r| r.contains(*module)))
            .cloned()
            .collect();
        found.push(circle);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every crate's source folder.
    const CRATES: [&str; 7] = [
        "core/src",
        "app/src",
        "server/src",
        "truenas-api/src",
        "argon2/src",
        "e2e/truenas-sim/src",
        "xtask/src",
    ];

    #[test]
    fn no_module_uses_one_that_uses_it_back() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        for krate in CRATES {
            let graph = graph(&root.join(krate));
            assert!(graph.len() > 1, "{krate}: no modules found");
            assert_eq!(circles(&graph), Vec::<Vec<String>>::new(), "{krate}");
        }
    }

    #[test]
    fn a_circle_is_found_through_use_trees_super_and_inline_paths() {
        let dir = tempdir();
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write("lib.rs", "mod a; mod b; mod c;");
        write("a.rs", "use crate::{b::{Thing}, x};");
        write("b.rs", "fn f() { crate::c::d::g() }");
        write("c/mod.rs", "mod d;");
        write(
            "c/d.rs",
            "use super::super::a::A;\n#[cfg(test)]\nmod tests { use crate::b; }",
        );
        let graph = graph(&dir);
        assert_eq!(
            circles(&graph),
            vec![vec!["a".to_owned(), "b".into(), "c::d".into()]]
        );
        // A test module's uses are no circle.
        write("c/d.rs", "#[cfg(test)]\nmod tests { use crate::a::A; }");
        assert!(circles(&super::graph(&dir)).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("keyhaven-circles-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
