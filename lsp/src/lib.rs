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
//! positions), [`stdlib`] (the read-only copy of the stdlib editors navigate into) and
//! [`harness`] (an in-memory client for tests and benchmarks).

pub mod completion;
pub mod harness;
pub mod ide;
pub mod index;
pub mod line_index;
pub mod server;
pub mod stdlib;
pub mod tokens;
pub mod world;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{LspService, Server};

pub use server::Backend;

/// Serve the protocol on a pair of streams until the client exits or the input closes.
pub async fn serve<I, O>(input: I, output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    let (service, socket) = LspService::build(Backend::new)
        .custom_method("plant/executionLog", Backend::execution_log)
        .finish();
    // One request at a time, in order: edits, diagnostics and answers never overtake
    // each other (every handler works under one lock anyway).
    Server::new(input, output, socket)
        .concurrency_level(1)
        .serve(service)
        .await;
}

/// Serve on standard input and output (`plantc lsp`).
pub fn run_stdio() -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    Ok(())
}
