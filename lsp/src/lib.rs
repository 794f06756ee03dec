//! `plant-lsp`: the language server for `.plant` files, started by `plantc lsp`.
//!
//! Built on `tower-lsp-server` (the maintained community fork of `tower-lsp`). The server
//! keeps one [`World`](world::World): a compiler session (one salsa database) holding the
//! open documents, the files they import and the workspace's `.plant` files; every edit
//! sets one salsa input and re-checks only what depends on it.
//!
//! Modules: [`server`] (the protocol: capabilities and handlers), [`world`] (state, paths
//! and URIs, diagnostics), [`index`] (what every name refers to, a salsa query), [`ide`]
//! (hover, definition, references, rename, outline, inlay hints, folding, formatting,
//! code actions), [`completion`], [`tokens`] (semantic tokens), [`line_index`] (UTF-16
//! positions), [`transport`] (the framing, robust to malformed input), [`stdlib`] (the read-only copy of the stdlib editors navigate into) and
//! [`harness`] (an in-memory client for tests and benchmarks).

pub mod completion;
pub mod harness;
pub mod ide;
pub mod index;
pub mod line_index;
pub mod server;
pub mod stdlib;
pub mod tokens;
pub mod transport;
pub mod world;

pub use server::Backend;
pub use transport::serve;

/// Serve on standard input and output (`plantc lsp`).
pub fn run_stdio() -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // Reading stdin blocks a thread; do not wait for it after `exit`.
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(())
}
