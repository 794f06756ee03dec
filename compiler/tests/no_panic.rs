//! Robustness: the whole pipeline never panics and always terminates, on any text.
//!
//! Every input goes through what `plantc check --emit ast|ir|ir-json` does: parse (directly
//! and through the database), resolve, check, lower, print the AST and the IR, and render
//! every diagnostic as text and as JSON. Inputs are:
//!
//! - arbitrary bytes, converted lossily to UTF-8;
//! - arbitrary sequences of `.plant`-like tokens (keywords, names, units, numbers, operators,
//!   braces, comments, newlines, `µ`, emoji);
//! - mutations of the real sample files (`examples/tank.plant`, `stdlib/*.plant`): deleted,
//!   duplicated and truncated ranges, inserted tokens, swapped lines, and a mutated stdlib
//!   module imported by an intact example.
//!
//! Besides "no panic", every diagnostic must satisfy: its code is in `codes::ALL`; its
//! labels lie inside the text of the file they name, on char boundaries, start <= end;
//! its JSON form is valid JSON.
//!
//! Each input runs on a worker thread with a deadline, so a hang fails the test (with the
//! input) instead of stalling the suite. `PROPTEST_CASES=5000 cargo test --release --test
//! no_panic` runs longer searches; failures are persisted under `proptest-regressions/`.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use plantc::diagnostics::{Diagnostic, codes};
use plantc::driver::Session;
use proptest::prelude::*;
use proptest::sample::Index;

/// The path the checked text is registered under.
const PATH: &str = "fuzz.plant";

/// A generous deadline for one input in a debug build on a slow machine: a hang, not a
/// slow case, is what it should catch.
const DEADLINE: Duration = Duration::from_secs(60);

const TANK: &str = include_str!("../../examples/tank.plant");

/// (path as the driver registers the stdlib, text) of every sample file: the tank example
/// and every embedded stdlib module.
fn samples() -> Vec<(&'static str, &'static str)> {
    std::iter::once(("examples/tank.plant", TANK))
        .chain(plantc::stdlib::FILES.iter().copied())
        .collect()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// The pipeline and the invariants
// ---------------------------------------------------------------------------------------

/// Run `f` on a worker thread; fail if it panics (re-raising the panic) or if it does not
/// finish before the deadline.
fn with_deadline<F: FnOnce() + Send + 'static>(what: &str, f: F) {
    let (tx, rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(format!("no_panic: {what}"))
        .spawn(move || {
            f();
            let _ = tx.send(());
        })
        .expect("spawn worker thread");
    match rx.recv_timeout(DEADLINE) {
        Ok(()) => {
            let _ = worker.join();
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("worker exited without reporting"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // The worker is left running (threads cannot be killed); the test fails.
            panic!("hang: {what} did not finish within {DEADLINE:?}");
        }
    }
}

/// Every label of `d` lies inside the file it names (when the file is known), on char
/// boundaries, and the code is registered.
fn check_diagnostic(d: &Diagnostic, text_of: &dyn Fn(&str) -> Option<String>) {
    assert!(
        codes::ALL.iter().any(|c| c.code == d.code),
        "unregistered code {} in {d:?}",
        d.code
    );
    assert!(
        codes::lookup(d.code).is_some(),
        "codes::lookup({}) fails",
        d.code
    );
    let labels = std::iter::once((&d.primary, "primary"))
        .chain(d.secondary.iter().map(|l| (l, "secondary")));
    for (l, kind) in labels {
        let Some(text) = text_of(&l.file) else {
            // A primary label in the checked file must always be checkable.
            assert!(
                kind != "primary" || l.file != PATH,
                "no text for {PATH} while checking {d:?}"
            );
            continue;
        };
        let (start, end) = (l.span.start as usize, l.span.end as usize);
        assert!(
            start <= end && end <= text.len(),
            "{kind} span {start}..{end} outside `{}` (len {}) in {d:?}",
            l.file,
            text.len()
        );
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end),
            "{kind} span {start}..{end} not on char boundaries of `{}` in {d:?}",
            l.file
        );
    }
}

/// Everything `plantc check --emit ...` does with the files in `files` (path, text), all
/// registered in one session and all checked; the last one is also parsed on its own.
/// With `one_shot`, the last one also goes through `lower_str` (a second session, so the
/// properties leave it out to stay fast). Panics (naming the invariant) on failure.
fn pipeline(files: &[(String, String)], one_shot: bool) {
    let (path, text) = files.last().expect("at least one file");

    // The parser alone, as the language server calls it.
    let parsed = plantc::syntax::parse(path, text);
    let _ = format!("{:#?}", parsed.file);
    for d in &parsed.diagnostics {
        check_diagnostic(d, &|p| (p == path).then(|| text.clone()));
    }

    // The session: database, resolve, check, lower.
    let mut s = Session::new();
    let mut handles = Vec::new();
    for (p, t) in files {
        handles.push(s.set_source(p, t.clone()));
    }
    let map = s.source_map();
    let text_of = |p: &str| map.text(p).map(str::to_string);
    for f in &handles {
        let diags = s.diagnostics(*f);
        for d in &diags {
            check_diagnostic(d, &text_of);
            let rendered = map.render(d);
            assert!(
                rendered.contains(d.code),
                "rendered diagnostic lacks its code: {rendered}"
            );
            let json = map.to_json(d);
            let value: serde_json::Value = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("to_json is not JSON ({e}): {json}"));
            assert_eq!(value["code"], d.code, "JSON code differs: {json}");
            let _ = map.line_col(&d.primary.file, d.primary.span.start);
            let _ = map.line_col(&d.primary.file, d.primary.span.end);
        }
        let _ = format!("{:#?}", plantc::db::parse(&s.db, *f).file);
        for m in s.models(*f) {
            let _ = format!("{m}");
            let _ = m.to_json();
        }
    }

    // The one-shot entry point, which renders its own errors.
    if !one_shot {
        return;
    }
    match plantc::lower_str(path, text) {
        Ok(models) => {
            for m in models {
                let _ = format!("{m}");
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Check `text` on its own, as `fuzz.plant`, under the deadline (the properties).
fn check_text(text: String) {
    check_files(vec![(PATH.to_string(), text)], false);
}

/// Check `text` as `fuzz.plant`, also through `lower_str` (the hand-written cases).
fn check_text_fully(text: String) {
    check_files(vec![(PATH.to_string(), text)], true);
}

fn check_files(files: Vec<(String, String)>, one_shot: bool) {
    let what = format!(
        "checking {} bytes",
        files.iter().map(|f| f.1.len()).sum::<usize>()
    );
    with_deadline(&what, move || pipeline(&files, one_shot));
}

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

/// Tokens of a `.plant`-like alphabet besides the keywords (`parser::KEYWORDS`): built-ins and stdlib names, units,
/// operators, punctuation, comments, whitespace and non-ASCII characters.
const TOKENS: &[&str] = &[
    "on",
    // built-ins, integrators, stdlib and sample names
    "min",
    "max",
    "sqrt",
    "abs",
    "exp",
    "ln",
    "clamp",
    "uniform",
    "normal",
    "euler",
    "rk4",
    "rk45",
    "std",
    "units",
    "process",
    "control",
    "bulk",
    "Tank",
    "Valve",
    "Reservoir",
    "Belt",
    "Line",
    "tank",
    "belt",
    "drain",
    "x",
    "y",
    "u",
    "k",
    "i",
    "h",
    "flow",
    "inflow",
    "outflow",
    "level",
    "speed",
    "opening",
    // units
    "m",
    "s",
    "kg",
    "K",
    "mol",
    "A",
    "cd",
    "L",
    "mL",
    "min",
    "h",
    "rpm",
    "%",
    "µs",
    "μm",
    "°C",
    "Ω",
    "km",
    "m^2",
    "m^3",
    "L/s",
    "m/s^2",
    "1",
    // numbers
    "0",
    "1",
    "2.5",
    "17.42",
    "1e-6",
    "2.5E3",
    "1e999",
    "0..32",
    "99999999999999999999",
    "0.000001",
    "5.",
    ".5",
    // operators and punctuation
    "+",
    "-",
    "*",
    "/",
    "^",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "::",
    ";",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "->",
    "..",
    ".",
    "|",
    "&",
    "!",
    "?",
    "\"",
    "'",
    "#",
    "@",
    // comments
    "//",
    "///",
    "/*",
    "*/",
    "/// doc\n",
    "// c\n",
    "/* c */",
    // whitespace
    " ",
    " ",
    " ",
    "\n",
    "\n",
    "\t",
    "\r\n",
    "\r",
    // non-ASCII
    "µ",
    "μ",
    "°",
    "é",
    "🦀",
    "😀",
    "\u{200b}",
    "\u{feff}",
    "ﬁ",
    "\u{0}",
];

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(TOKENS).prop_map(str::to_string),
        2 => prop::sample::select(plantc::syntax::parser::KEYWORDS).prop_map(str::to_string),
        1 => "[A-Za-z_][A-Za-z0-9_]{0,8}",
        1 => "[0-9]{1,6}(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?",
    ]
}

/// Token soup: tokens joined by nothing, a space or a newline.
fn plant_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (token(), prop::sample::select(&["", " ", " ", "\n"][..])),
        0..160,
    )
    .prop_map(|parts| {
        let mut s = String::new();
        for (t, sep) in parts {
            s.push_str(&t);
            s.push_str(sep);
        }
        s
    })
}

/// Token soup shaped like items: a few `node`/`plant` bodies with member-like lines.
fn plant_shaped() -> impl Strategy<Value = String> {
    let line = prop::collection::vec(token(), 0..10).prop_map(|ts| ts.join(" "));
    let body = (
        prop::sample::select(&["node", "plant", "unit", "use", ""][..]),
        "[A-Z][a-z]{0,5}",
        prop::collection::vec(line, 0..8),
        any::<bool>(),
    )
        .prop_map(|(kw, name, lines, close)| {
            let mut s = format!("{kw} {name} {{\n");
            for l in lines {
                s.push_str("    ");
                s.push_str(&l);
                s.push('\n');
            }
            if close {
                s.push_str("}\n");
            }
            s
        });
    prop::collection::vec(body, 0..4).prop_map(|bs| bs.concat())
}

/// Bytes biased towards ASCII, then lossy UTF-8.
fn lossy_bytes() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => 0x20u8..0x7f,
            1 => prop::sample::select(&b"\n\t\r{}()/*"[..]),
            1 => any::<u8>(),
        ],
        0..600,
    )
    .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// One edit of a text. Positions are `Index`es into the text's char boundaries (or lines),
/// so every mutation applies to any text.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(Index, Index),
    Duplicate(Index, Index, Index),
    Insert(Index, String),
    SwapLines(Index, Index),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Delete(a, b)),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Mutation::Duplicate(a, b, c)),
        (any::<Index>(), prop::collection::vec(token(), 1..6))
            .prop_map(|(a, ts)| Mutation::Insert(a, ts.concat())),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect()
}

fn range(text: &str, a: &Index, b: &Index) -> (usize, usize) {
    let bs = boundaries(text);
    let (x, y) = (*a.get(&bs), *b.get(&bs));
    (x.min(y), x.max(y))
}

fn apply(text: &mut String, m: &Mutation) {
    match m {
        Mutation::Delete(a, b) => {
            let (x, y) = range(text, a, b);
            text.replace_range(x..y, "");
        }
        Mutation::Duplicate(a, b, c) => {
            let (x, y) = range(text, a, b);
            let piece = text[x..y].to_string();
            let at = *c.get(&boundaries(text));
            text.insert_str(at, &piece);
        }
        Mutation::Insert(a, s) => {
            let at = *a.get(&boundaries(text));
            text.insert_str(at, s);
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            if lines.len() >= 2 {
                let (i, j) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(i, j);
                *text = lines.concat();
            }
        }
        Mutation::Truncate(a) => {
            let at = *a.get(&boundaries(text));
            text.truncate(at);
        }
    }
}

fn mutated_sample() -> impl Strategy<Value = (usize, String)> {
    (0..samples().len(), prop::collection::vec(mutation(), 1..5)).prop_map(|(i, ms)| {
        let mut text = samples()[i].1.to_string();
        for m in &ms {
            apply(&mut text, m);
        }
        (i, text)
    })
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_lossy(text in lossy_bytes()) {
        check_text(text);
    }

    #[test]
    fn plant_like_token_soup(text in plant_like()) {
        check_text(text);
    }

    #[test]
    fn plant_shaped_token_soup(text in plant_shaped()) {
        check_text(text);
    }

    /// A mutated sample checked on its own (stdlib files checked as a user file).
    #[test]
    fn mutated_samples((_, text) in mutated_sample()) {
        check_text(text);
    }

    /// A mutated sample in its real place: a mutated stdlib module replaces the real one
    /// and the intact example that imports it is checked; a mutated example is checked
    /// under its own path.
    #[test]
    fn mutated_sample_in_place((i, text) in mutated_sample()) {
        let (path, _) = samples()[i];
        let mut files = vec![(path.to_string(), text)];
        if path != "examples/tank.plant" {
            files.push(("examples/tank.plant".to_string(), TANK.to_string()));
        }
        check_files(files, false);
    }
}

// ---------------------------------------------------------------------------------------
// Hand-written regressions: classically dangerous inputs
// ---------------------------------------------------------------------------------------

#[test]
fn samples_are_clean() {
    // The baseline the mutations start from: the samples check without errors.
    for (path, text) in samples() {
        let (path, text) = (path.to_string(), text.to_string());
        with_deadline("checking a sample", move || {
            pipeline(&[(path.clone(), text.clone())], true);
            let mut s = Session::new();
            let f = s.set_source(&path, text);
            let errors: Vec<_> = s
                .diagnostics(f)
                .into_iter()
                .filter(|d| d.is_error())
                .collect();
            assert!(errors.is_empty(), "{path}: {errors:#?}");
        });
    }
}

#[test]
fn deeply_nested_parens() {
    let n = 10_000;
    let nest = format!("{}1{}", "(".repeat(n), ")".repeat(n));
    check_text_fully(nest.clone());
    check_text_fully("(".repeat(n));
    check_text_fully(")".repeat(n));
    check_text_fully(format!("node N {{\n    out y: 1 = {nest}\n}}\n"));
    check_text_fully(format!(
        "plant P {{\n    dt 1 s\n    reward = {}\n}}\n",
        "(".repeat(n)
    ));
    check_text_fully(format!(
        "node N {{ param p: {}m{} = 1 }}\n",
        "(".repeat(n),
        ")".repeat(n)
    ));
    check_text_fully("{".repeat(n));
    check_text_fully(format!("node N {{\n{}\n", "when true {\n".repeat(n)));
}

#[test]
fn megabyte_line_of_digits() {
    let digits = "1234567890".repeat(100_000);
    check_text_fully(digits.clone());
    // In context, without the second (`lower_str`) pass to keep the test fast.
    check_text(format!("node N {{\n    param p: 1 = {digits}\n}}\n"));
    check_text(format!("node N {{\n    param p: 1 = 0.{digits}\n}}\n"));
}

#[test]
fn only_an_open_block_comment() {
    check_text_fully("/*".to_string());
    check_text_fully("/*".repeat(1000));
    check_text_fully("node N {\n    in u: 1 /*\n".to_string());
    check_text_fully("/*/".to_string());
}

// ---------------------------------------------------------------------------------------
// Panics found by the properties, recorded until fixed
// ---------------------------------------------------------------------------------------

/// Found by `mutated_samples` (a duplicated range of `stdlib/control.plant`; the seed is in
/// `no_panic.proptest-regressions`). At commit 11d1ffa, a second declaration of a name
/// where the second one is an untyped `let` panicked in `check::sig::build`
/// (`sig.members[*slot]`, index out of bounds, src/check/sig.rs:345): the untyped `let` was
/// queued for inference with the slot it would have had, before the duplicate was skipped.
#[test]
fn duplicate_untyped_let() {
    check_text_fully("node N {\n    let a = 0\n    let a = 0\n}\n".to_string());
    check_text_fully("node N {\n    let a: 1 = 0\n    let a = 0\n}\n".to_string());
    check_text_fully("node N {\n    param a: 1 = 0\n    let a = 0\n}\n".to_string());
    check_text_fully("plant P {\n    dt 1 s\n    let a = 0\n    let a = 1\n}\n".to_string());
}
