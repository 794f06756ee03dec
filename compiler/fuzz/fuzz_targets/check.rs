//! Fuzz the whole `plantc` pipeline: the input bytes, read lossily as UTF-8 (as the driver
//! reads a non-UTF-8 file), are parsed, resolved, checked and lowered as `fuzz.plant`; the
//! AST and the IR are printed and every diagnostic is rendered as text and as JSON.
//!
//! Beyond "no panic", the same invariants as `compiler/tests/no_panic.rs`: every code is
//! registered, every label lies inside its file's text on char boundaries, and the JSON
//! form of a diagnostic is valid JSON. See `../README.md` for how to run it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use plantc::diagnostics::{Diagnostic, codes};
use plantc::driver::Session;

const PATH: &str = "fuzz.plant";

fn check_labels(d: &Diagnostic, text_of: impl Fn(&str) -> Option<String>) {
    assert!(
        codes::ALL.iter().any(|c| c.code == d.code),
        "unregistered code {} in {d:?}",
        d.code
    );
    for l in std::iter::once(&d.primary).chain(&d.secondary) {
        let Some(text) = text_of(&l.file) else {
            assert!(l.file != PATH, "no text for {PATH} in {d:?}");
            continue;
        };
        let (start, end) = (l.span.start as usize, l.span.end as usize);
        assert!(
            start <= end && end <= text.len(),
            "span {start}..{end} outside `{}` (len {}) in {d:?}",
            l.file,
            text.len()
        );
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end),
            "span {start}..{end} not on char boundaries of `{}` in {d:?}",
            l.file
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();

    // The parser alone, as the language server calls it.
    let parsed = plantc::syntax::parse(PATH, &text);
    let _ = format!("{:#?}", parsed.file);
    for d in &parsed.diagnostics {
        check_labels(d, |p| (p == PATH).then(|| text.clone()));
    }

    // The session: database, resolve, check, lower; then what `plantc check` prints.
    let mut s = Session::new();
    let f = s.set_source(PATH, text.clone());
    let diags = s.diagnostics(f);
    let map = s.source_map();
    for d in &diags {
        check_labels(d, |p| map.text(p).map(str::to_string));
        let _ = map.render(d);
        let json = map.to_json(d);
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
            panic!("to_json is not JSON ({e}): {json}");
        }
    }
    for m in s.models(f) {
        let _ = format!("{m}");
        let _ = m.to_json();
    }
});
