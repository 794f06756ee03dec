//! The formatter (`plantc::fmt`) on real files:
//!
//! - `examples/` and `stdlib/` are formatted (CI fails when someone commits an unformatted
//!   file: run `plantc fmt examples stdlib`);
//! - on every file of the UI corpus that parses cleanly, formatting is idempotent, keeps the
//!   token stream (whitespace aside; comments keep their text) and parses to the same tree
//!   (spans aside);
//! - property: scrambling the horizontal whitespace and indentation of a corpus file does
//!   not change its formatted form (one canonical layout).

use std::fs;

use plantc::fmt::{format, lex};
use proptest::prelude::*;

fn plant_files(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "plant") {
                out.push(p.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The UI corpus files without syntax errors, with their text.
fn corpus() -> Vec<(String, String)> {
    plant_files("tests/ui")
        .into_iter()
        .filter_map(|p| {
            let text = fs::read_to_string(&p).ok()?;
            let parsed = plantc::syntax::parse(&p, &text);
            parsed
                .diagnostics
                .iter()
                .all(|d| !d.is_error())
                .then_some((p, text))
        })
        .collect()
}

/// Token texts, comments with trailing whitespace removed.
fn token_texts(text: &str) -> Vec<String> {
    lex::tokens(text)
        .into_iter()
        .map(|t| {
            let s = t.text(text);
            match t.kind {
                lex::TokenKind::LineComment | lex::TokenKind::DocComment => {
                    s.trim_end().to_string()
                }
                _ => s.to_string(),
            }
        })
        .collect()
}

/// The tree's debug form without spans (`12..34`) and with doc lines' trailing spaces
/// removed, so that two layouts of one program compare equal.
fn tree_shape(path: &str, text: &str) -> String {
    let file = plantc::syntax::parse(path, text).file;
    let dbg = format!("{file:#?}");
    let mut out = String::with_capacity(dbg.len());
    let b = dbg.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // A span prints as `<digits>..<digits>`.
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if b[j..].starts_with(b"..") && b.get(j + 2).is_some_and(u8::is_ascii_digit) {
                let mut k = j + 2;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                out.push_str("SPAN");
                i = k;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out.lines()
        .map(|l| l.replace(" \\n", "\\n").trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn examples_and_stdlib_are_formatted() {
    let mut bad = Vec::new();
    for path in plant_files("../examples")
        .into_iter()
        .chain(plant_files("../stdlib"))
    {
        let text = fs::read_to_string(&path).unwrap();
        match format(&path, &text) {
            Ok(f) if f == text => {}
            Ok(_) => bad.push(path),
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        bad.is_empty(),
        "not formatted (run `cargo run --bin plantc -- fmt examples stdlib`): {bad:?}"
    );
}

#[test]
fn corpus_formatting_is_idempotent_and_keeps_tokens_and_tree() {
    let files = corpus();
    assert!(
        files.len() > 50,
        "the corpus has {} clean files",
        files.len()
    );
    for (path, text) in files {
        let once = format(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        let twice = format(&path, &once).unwrap_or_else(|e| panic!("{path} after fmt: {e}"));
        assert_eq!(once, twice, "{path}: not idempotent");
        assert_eq!(
            token_texts(&text),
            token_texts(&once),
            "{path}: tokens changed"
        );
        assert_eq!(
            tree_shape(&path, &text),
            tree_shape(&path, &once),
            "{path}: the tree changed"
        );
        // The formatted file checks exactly like the original (same codes, same order).
        let codes = |t: &str| -> Vec<&'static str> {
            let mut s = plantc::driver::Session::new();
            let f = s.set_source(&path, t.to_string());
            s.diagnostics(f).iter().map(|d| d.code).collect()
        };
        assert_eq!(codes(&text), codes(&once), "{path}: diagnostics changed");
    }
}

/// Replace every run of spaces/tabs between tokens by 1..=4 spaces or tabs and give each
/// line 0..=4 of them as indentation. Adjacent tokens stay adjacent (`m^-1` and `m ^ -1`
/// differ in a literal); comment text is untouched.
fn scramble(text: &str, seed: &[u8]) -> String {
    let toks = lex::tokens(text);
    let mut out = String::new();
    let mut pos = 0;
    let mut k = 0;
    let mut pick = || {
        let v = seed.get(k % seed.len().max(1)).copied().unwrap_or(1);
        k += 1;
        v
    };
    for t in &toks {
        let gap = &text[pos..t.span.start as usize];
        // Keep newlines; rewrite the horizontal whitespace around them.
        let parts: Vec<&str> = gap.split('\n').collect();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if part.is_empty() {
                // Adjacent tokens stay adjacent (`m^-1`); line starts get indentation.
                if i + 1 == parts.len() && i > 0 {
                    for _ in 0..pick() % 5 {
                        out.push(if pick() % 2 == 0 { ' ' } else { '\t' });
                    }
                }
                continue;
            }
            let n = 1 + pick() % 4;
            for _ in 0..n {
                out.push(if pick() % 3 == 0 { '\t' } else { ' ' });
            }
        }
        out.push_str(t.text(text));
        pos = t.span.end as usize;
    }
    out.push_str(&text[pos..]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn one_canonical_layout(index in any::<proptest::sample::Index>(), seed in proptest::collection::vec(any::<u8>(), 1..64)) {
        let files = corpus();
        let (path, text) = &files[index.index(files.len())];
        let scrambled = scramble(text, &seed);
        let a = format(path, text).unwrap();
        let b = format(path, &scrambled).unwrap_or_else(|e| panic!("{e}\n{scrambled}"));
        prop_assert_eq!(a, b);
    }
}
