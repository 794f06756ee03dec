//! The server never crashes: random insertions of arbitrary text (keywords, braces,
//! units, non-ASCII characters, newlines, stray bytes of syntax) into real example files,
//! sent as incremental edits, keep it answering hover, completion, outline, formatting
//! and references, with no internal errors. At the end, the document the server holds
//! must be the one the edits describe: its diagnostics equal those of the same text
//! opened fresh.

use std::path::PathBuf;

use plant_lsp::harness::{Harness, file_uri, pos};
use serde_json::{Value, json};

/// xorshift64*: small, deterministic, good enough to pick edits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "->",
    "..",
    ":",
    "=",
    "==",
    ",",
    ".",
    "::",
    "///",
    "//",
    "/*",
    "*/",
    "\n",
    "\n    ",
    " ",
    "µ",
    "°C",
    "Ω",
    "€",
    "日本",
    "🦀",
    "\u{1}",
    "\t",
    "\"",
    "'",
    "plant",
    "node",
    "unit",
    "use std::",
    "param x: m = 1 m",
    "state",
    "der",
    "next",
    "let",
    "bond",
    "in",
    "out",
    "action a: choice 3 mask [",
    "observe",
    "reward =",
    "when",
    "if",
    "then",
    "else",
    "for i in 0..3 {",
    "decide every",
    "on decide {",
    "integrator rk45(",
    "truncate after",
    "terminate when",
    "agent A {",
    "m/s^2",
    "kg*m",
    "1e308",
    "-0",
    "999999999999999999999",
    "tank.",
    "Tank(",
    "min(",
    "uniform(",
    "sum",
    "noise",
    "x[",
];

/// Convert a UTF-16 (line, character) position to a byte offset in `text`.
fn offset(text: &str, line: usize, ch: usize) -> usize {
    let mut start = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i == line {
            let mut units = 0;
            for (b, c) in l.char_indices() {
                if units >= ch {
                    return start + b;
                }
                units += c.len_utf16();
            }
            return start + l.len();
        }
        start += l.len() + 1;
    }
    text.len()
}

/// A random valid (line, UTF-16 character) position of `text`.
fn random_pos(r: &mut Rng, text: &str) -> (u32, u32) {
    let lines: Vec<&str> = text.split('\n').collect();
    let line = r.below(lines.len());
    let width: usize = lines[line].chars().map(char::len_utf16).sum();
    let mut ch = r.below(width + 1);
    // Never split a surrogate pair: move to the start of the character.
    let b = offset(text, line, ch);
    let before: usize = lines[line][..b - offset(text, line, 0)]
        .chars()
        .map(char::len_utf16)
        .sum();
    ch = before;
    (line as u32, ch as u32)
}

fn no_internal_error(r: Result<Value, plant_lsp::harness::RpcError>, what: &str) {
    if let Err(e) = r {
        assert_ne!(e.code, -32603, "{what}: internal error {}", e.message);
    }
}

fn examples() -> Vec<PathBuf> {
    let dir = std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples")).unwrap();
    [
        "tank.plant",
        "cartpole.plant",
        "factory.plant",
        "bglp.plant",
    ]
    .iter()
    .map(|f| dir.join(f))
    .collect()
}

#[test]
fn random_edits_keep_the_server_answering() {
    let mut r = Rng(0x9E3779B97F4A7C15);
    let mut h = Harness::initialized(None);
    for (k, path) in examples().into_iter().enumerate() {
        let mut text = std::fs::read_to_string(&path).unwrap();
        let uri = file_uri(&path);
        h.open(&uri, &text);
        for version in 2..152 {
            // An insertion (sometimes replacing a short range) of 1..4 pieces.
            let start = random_pos(&mut r, &text);
            let mut end = start;
            if r.below(4) == 0 {
                let (l, c) = start;
                let line_len: usize = text
                    .split('\n')
                    .nth(l as usize)
                    .unwrap()
                    .chars()
                    .map(char::len_utf16)
                    .sum();
                end = (l, (c as usize + r.below(6)).min(line_len) as u32);
                end = random_pos_at_or_after(&text, start, end);
            }
            let insert: String = (0..1 + r.below(4))
                .map(|_| PIECES[r.below(PIECES.len())])
                .collect();
            h.change_range(&uri, version, start, end, &insert);
            let (a, b) = (
                offset(&text, start.0 as usize, start.1 as usize),
                offset(&text, end.0 as usize, end.1 as usize),
            );
            text.replace_range(a..b, &insert);

            let p = random_pos(&mut r, &text);
            let at = json!({ "textDocument": { "uri": uri }, "position": pos(p.0, p.1) });
            no_internal_error(h.request("textDocument/hover", at.clone()), "hover");
            no_internal_error(
                h.request("textDocument/completion", at.clone()),
                "completion",
            );
            no_internal_error(
                h.request("textDocument/definition", at.clone()),
                "definition",
            );
            if version % 5 == 0 {
                let doc = json!({ "textDocument": { "uri": uri } });
                no_internal_error(
                    h.request("textDocument/documentSymbol", doc.clone()),
                    "symbols",
                );
                no_internal_error(
                    h.request(
                        "textDocument/formatting",
                        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
                    ),
                    "formatting",
                );
                no_internal_error(h.request("textDocument/semanticTokens/full", doc), "tokens");
                let mut refs = at.clone();
                refs["context"] = json!({ "includeDeclaration": true });
                no_internal_error(h.request("textDocument/references", refs), "references");
            }
        }
        // The server's copy is the text the edits describe (a request after the last
        // edit makes sure its diagnostics were published).
        no_internal_error(
            h.request(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": uri } }),
            ),
            "symbols",
        );
        let edited = h.latest_diagnostics(&uri);
        let fresh_uri = format!("untitled:fresh-{k}.plant");
        h.open(&fresh_uri, &text);
        let fresh = h.diagnostics(&fresh_uri);
        let key = |d: &Vec<Value>| -> Vec<(Value, Value)> {
            d.iter()
                .map(|d| (d["code"].clone(), d["range"].clone()))
                .collect()
        };
        assert_eq!(key(&edited), key(&fresh), "{}:\n{text}", path.display());
    }
    h.shutdown();
}

/// `end` clamped so it is not before `start` and lies on a character boundary.
fn random_pos_at_or_after(text: &str, start: (u32, u32), end: (u32, u32)) -> (u32, u32) {
    let line = text.split('\n').nth(start.0 as usize).unwrap_or("");
    let mut units = 0u32;
    for c in line.chars() {
        if units >= end.1 {
            return (start.0, units.max(start.1));
        }
        units += c.len_utf16() as u32;
    }
    (start.0, units.max(start.1))
}
