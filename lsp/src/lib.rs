//! `plant-lsp`: the language server for `.plant` files (arrives with the editor issue).
//!
//! It will keep one salsa database (`plantc::db::Database`) for the workspace.
