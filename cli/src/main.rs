//! The `plantc` command line: `check` (diagnostics, `--emit ast|ir|ir-json|clif`),
//! `explain` (long explanations of diagnostic codes), `run` (a plant as an environment
//! with a policy, to a trace and a plot), `bench` (compile time and steps per second),
//! `fmt` and `lsp`. It lives in its own package so the binary can use the compiler, the
//! runtime and the language server together.

mod bench;
mod fmt_cmd;
mod lsp_cmd;
mod plot;
mod policy;
mod run;
mod trace;

/// The compiler and the language server allocate many small syntax and IR nodes; mimalloc
/// makes checking a large file about twice as fast as the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use plantc::diagnostics::{codes, has_errors};
use plantc::driver::Session;

#[derive(Parser)]
#[command(
    name = "plantc",
    version,
    about = "Compiler for .plant models of industrial plants"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check files for errors; exit 0 when clean, 1 on errors.
    Check {
        /// The `.plant` files to check.
        #[arg(required = true)]
        files: Vec<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also print an intermediate form of each file.
        #[arg(long, value_enum)]
        emit: Option<Emit>,
        /// Colour: auto (when stderr is a terminal), always, never.
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
    /// Explain a diagnostic code, e.g. `plantc explain E0200`.
    Explain {
        /// The code (`E0200`, `e200` and `200` all work); omit to list every code.
        code: Option<String>,
    },
    /// Format `.plant` files in place (directories are searched; `-` is stdin).
    Fmt {
        /// Files or directories (default: the current directory).
        files: Vec<String>,
        /// Write nothing; list unformatted files and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Run the language server on stdin/stdout (for editors).
    Lsp,
    /// Run a plant as an environment with a policy; print or write the trace.
    Run(run::RunArgs),
    /// Measure compile time and environment steps per second; print one JSON object.
    Bench(bench::BenchArgs),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Emit {
    /// The syntax tree.
    Ast,
    /// The flattened model of each plant.
    Ir,
    /// The flattened model as JSON.
    IrJson,
    /// The Cranelift IR of each plant's native functions (reset, tick, step, observe, batch).
    Clif,
    /// The optimised machine code of each plant's functions.
    Asm,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Print a line to stdout. A closed pipe (`plantc check ... | head`) ends the output
/// quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            files,
            format,
            emit,
            color,
        } => check(&files, format, emit, color),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Fmt { files, check } => fmt_cmd::run(&files, check),
        Command::Lsp => lsp_cmd::run(),
        Command::Run(args) => run::run(&args),
        Command::Bench(args) => bench::bench(&args),
    }
}

fn check(files: &[String], format: Format, emit: Option<Emit>, color: Color) -> ExitCode {
    let mut session = Session::new();
    let loaded: Vec<_> = files.iter().map(|p| session.load(p)).collect();
    let mut all = session.load_diagnostics().to_vec();
    for f in loaded.iter().flatten() {
        all.extend(
            session
                .diagnostics(*f)
                .into_iter()
                .filter(|d| !all.contains(d))
                .collect::<Vec<_>>(),
        );
    }
    plantc::db::sort_and_dedup(&mut all);
    let map = session.source_map();
    match format {
        Format::Json => {
            for d in &all {
                out!("{}", map.to_json(d));
            }
        }
        Format::Human => {
            let color = match color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => std::io::stderr().is_terminal(),
            };
            map.emit_stderr(&all, color);
            let errors = all.iter().filter(|d| d.is_error()).count();
            let warnings = all.len() - errors;
            if errors > 0 {
                eprintln!(
                    "error: {} with {errors} error{}{}",
                    if files.len() == 1 {
                        files[0].clone()
                    } else {
                        format!("{} files", files.len())
                    },
                    plural(errors),
                    if warnings > 0 {
                        format!(" and {warnings} warning{}", plural(warnings))
                    } else {
                        String::new()
                    }
                );
            }
        }
    }
    if let Some(emit) = emit {
        for f in loaded.iter().flatten() {
            match emit {
                Emit::Ast => out!("{:#?}", plantc::db::parse(&session.db, *f).file),
                Emit::Ir | Emit::IrJson => {
                    for m in session.models(*f) {
                        if emit == Emit::Ir {
                            out!("{m}")
                        } else {
                            out!("{}", m.to_json())
                        }
                    }
                }
                Emit::Clif | Emit::Asm => {
                    for m in session.models(*f) {
                        let plan = plantc::layout::plan(&m);
                        let text = if emit == Emit::Clif {
                            plantc::codegen::emit_clif(&m, &plan)
                        } else {
                            plantc::codegen::emit_asm(&m, &plan)
                        };
                        match text {
                            Ok(text) => out!("; plant {}\n{text}", m.name),
                            Err(e) => {
                                eprintln!("error: cannot generate code for `{}`: {e}", m.name);
                                return ExitCode::from(1);
                            }
                        }
                    }
                }
            }
        }
    }
    if has_errors(&all) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn explain(code: Option<&str>) -> ExitCode {
    let Some(code) = code else {
        let mut phase = None;
        for c in codes::ALL {
            if phase != Some(c.phase) {
                out!("\n{}:", c.phase.as_str());
                phase = Some(c.phase);
            }
            out!("  {}  {}", c.code, c.title);
        }
        return ExitCode::SUCCESS;
    };
    match codes::lookup(code) {
        Some(info) => {
            out!(
                "{}: {} ({})\n\n{}",
                info.code,
                info.title,
                info.phase.as_str(),
                info.explanation
            );
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "error: `{code}` is not a plantc diagnostic code; `plantc explain` lists them all"
            );
            ExitCode::from(1)
        }
    }
}
