//! The UI corpus: every `tests/ui/**/NAME.plant` (or `tests/ui/**/NAME/main.plant` for
//! multi-file cases) is checked through the same path as `plantc check`, and its
//! diagnostics are compared with `NAME.diag` next to it: one line per diagnostic,
//! `CODE severity line:col-line:col message`. Where `NAME.stderr` exists, the rendered
//! text must match it too (reviewed snapshots of what users see).
//!
//! `BLESS=1 cargo test --test ui` rewrites `.diag` files (and existing `.stderr` files;
//! `BLESS=stderr` also creates missing `.stderr`). Without it, a missing `.diag` fails: CI
//! never creates expectations.

use std::fs;
use std::path::{Path, PathBuf};

use plantc::diagnostics::codes;
use plantc::driver::Session;

fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(Path::new("tests/ui"), &mut out);
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            let main = p.join("main.plant");
            if main.exists() {
                out.push(main);
            } else {
                walk(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "plant")
            && p.parent().is_some_and(|d| !d.join("main.plant").exists())
        {
            out.push(p);
        }
    }
}

/// Where a case's expectations live: `x.plant` -> `x.diag`; `x/main.plant` -> `x.diag`.
fn expectation(case: &Path, ext: &str) -> PathBuf {
    if case.file_name().is_some_and(|n| n == "main.plant") {
        let dir = case.parent().unwrap_or(Path::new("."));
        dir.with_extension(ext)
    } else {
        case.with_extension(ext)
    }
}

fn run(case: &Path) -> (String, String) {
    let path = case.to_string_lossy().replace('\\', "/");
    let mut s = Session::new();
    let mut diags = s.load_diagnostics().to_vec();
    if let Some(f) = s.load(&path) {
        diags = s.diagnostics(f);
    }
    for d in s.load_diagnostics() {
        if !diags.contains(d) {
            diags.push(d.clone());
        }
    }
    plantc::db::sort_and_dedup(&mut diags);
    let map = s.source_map();
    let mut lines = String::new();
    let mut rendered = String::new();
    for d in &diags {
        let (l1, c1) = map
            .line_col(&d.primary.file, d.primary.span.start)
            .unwrap_or((0, 0));
        let (l2, c2) = map
            .line_col(&d.primary.file, d.primary.span.end)
            .unwrap_or((0, 0));
        let file_note = if d.primary.file == path {
            String::new()
        } else {
            format!(" [{}]", d.primary.file.rsplit('/').next().unwrap_or(""))
        };
        lines.push_str(&format!(
            "{} {} {l1}:{c1}-{l2}:{c2}{file_note} {}\n",
            d.code,
            d.severity.as_str(),
            d.message
        ));
        rendered.push_str(&map.render(d));
    }
    (lines, rendered)
}

#[test]
fn ui_corpus() {
    let bless = std::env::var("BLESS").ok();
    let mut failures = Vec::new();
    let all = cases();
    assert!(!all.is_empty(), "no UI cases found under tests/ui");
    for case in &all {
        let (got, rendered) = run(case);
        let diag_path = expectation(case, "diag");
        match (fs::read_to_string(&diag_path), &bless) {
            (_, Some(_)) => fs::write(&diag_path, &got).expect("write .diag"),
            (Ok(want), None) if want == got => {}
            (Ok(want), None) => failures.push(format!(
                "{}:\n--- expected\n{want}--- got\n{got}",
                case.display()
            )),
            (Err(_), None) => failures.push(format!(
                "{}: missing {} (run with BLESS=1 and review it)",
                case.display(),
                diag_path.display()
            )),
        }
        let stderr_path = expectation(case, "stderr");
        let exists = stderr_path.exists();
        match (&bless, exists) {
            (Some(b), _) if exists || b == "stderr" => {
                fs::write(&stderr_path, &rendered).expect("write .stderr")
            }
            (None, true) => {
                let want = fs::read_to_string(&stderr_path).unwrap_or_default();
                if want != rendered {
                    failures.push(format!(
                        "{} (rendered):\n--- expected\n{want}--- got\n{rendered}",
                        case.display()
                    ));
                }
            }
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} UI cases differ:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// Every diagnostic code has at least one failing program in the corpus, and every case
/// but those under `tests/ui/clean/` reports at least one diagnostic.
#[test]
fn every_code_is_exercised() {
    let mut seen = std::collections::HashSet::new();
    for case in cases() {
        let text = fs::read_to_string(expectation(&case, "diag")).unwrap_or_default();
        let clean = case.to_string_lossy().contains("/clean/");
        assert!(
            clean || !text.trim().is_empty(),
            "{} reports nothing",
            case.display()
        );
        assert!(
            !clean || text.trim().is_empty(),
            "{} should be clean:\n{text}",
            case.display()
        );
        for line in text.lines() {
            if let Some(code) = line.split_whitespace().next() {
                seen.insert(code.to_string());
            }
        }
    }
    // Codes only commands that run a plant can report (`plantc run`, next issue).
    const RUN_ONLY: &[&str] = &["E0419"];
    let missing: Vec<&str> = codes::ALL
        .iter()
        .map(|c| c.code)
        .filter(|c| !seen.contains(*c) && !RUN_ONLY.contains(c))
        .collect();
    assert!(missing.is_empty(), "codes without a UI case: {missing:?}");
}
