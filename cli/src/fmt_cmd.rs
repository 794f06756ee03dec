//! `plantc fmt [FILES...] [--check]`: format `.plant` files in place with
//! `plantc::fmt` (directories are searched for `.plant` files; no argument means the
//! current directory; `-` formats standard input to standard output).
//!
//! With `--check` nothing is written: the files that are not formatted are listed on
//! stdout and the exit code is 1. Files with syntax errors are never touched: their
//! errors are printed and the exit code is 1.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use plantc::diagnostics::render::SourceMap;

pub fn run(files: &[String], check: bool) -> ExitCode {
    if files.iter().any(|f| f == "-") {
        if files.len() > 1 {
            eprintln!("error: `-` (standard input) cannot be combined with files");
            return ExitCode::from(2);
        }
        return stdin(check);
    }
    let roots: Vec<String> = if files.is_empty() {
        vec![".".to_string()]
    } else {
        files.to_vec()
    };
    let mut paths = Vec::new();
    let mut failed = false;
    for r in &roots {
        let p = Path::new(r);
        if p.is_dir() {
            collect(p, &mut paths);
        } else if p.exists() {
            paths.push(p.to_path_buf());
        } else {
            eprintln!("error: cannot read `{r}`: no such file or directory");
            failed = true;
        }
    }
    paths.sort();
    paths.dedup();
    let mut unformatted = Vec::new();
    for p in &paths {
        let shown = p.to_string_lossy().replace('\\', "/");
        let text = match std::fs::read(p) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    eprintln!("error: cannot format `{shown}`: it is not valid UTF-8");
                    failed = true;
                    continue;
                }
            },
            Err(e) => {
                eprintln!("error: cannot read `{shown}`: {e}");
                failed = true;
                continue;
            }
        };
        match plantc::fmt::format(&shown, &text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                if check {
                    unformatted.push(shown);
                } else if let Err(e) = std::fs::write(p, formatted) {
                    eprintln!("error: cannot write `{shown}`: {e}");
                    failed = true;
                }
            }
            Err(e) => {
                report(&e, &shown, &text);
                failed = true;
            }
        }
    }
    if check && !unformatted.is_empty() {
        let mut out = std::io::stdout().lock();
        for f in &unformatted {
            let _ = writeln!(out, "{f}");
        }
        eprintln!(
            "error: {} file{} not formatted; run `plantc fmt` on {}",
            unformatted.len(),
            if unformatted.len() == 1 {
                " is"
            } else {
                "s are"
            },
            if unformatted.len() == 1 { "it" } else { "them" }
        );
        failed = true;
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn stdin(check: bool) -> ExitCode {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("error: cannot read standard input: {e}");
        return ExitCode::from(1);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        eprintln!("error: cannot format standard input: it is not valid UTF-8");
        return ExitCode::from(1);
    };
    match plantc::fmt::format("<stdin>", &text) {
        Ok(formatted) => {
            if check {
                if formatted == text {
                    return ExitCode::SUCCESS;
                }
                println!("<stdin>");
                return ExitCode::from(1);
            }
            let _ = std::io::stdout().lock().write_all(formatted.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            report(&e, "<stdin>", &text);
            ExitCode::from(1)
        }
    }
}

fn report(e: &plantc::fmt::FormatError, path: &str, text: &str) {
    let mut map = SourceMap::new();
    map.add(path, text);
    map.emit_stderr(&e.diagnostics, std::io::stderr().is_terminal());
    eprintln!("error: {e}");
}

/// `.plant` files under a directory, skipping hidden directories and build output.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if p.is_dir() {
                if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "plant") {
                out.push(p);
            }
        }
    }
}
