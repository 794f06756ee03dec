//! `plantc lsp`: the language server (`plant-lsp`) on stdin/stdout.

use std::process::ExitCode;

pub fn run() -> ExitCode {
    match plant_lsp::run_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the language server stopped: {e}");
            ExitCode::from(1)
        }
    }
}
