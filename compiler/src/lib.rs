//! `plantc`: the compiler for `.plant` files, from source text to a checked, flattened model.
//!
//! The pipeline is visible as modules: [`syntax`] (text -> AST), [`resolve`] (imports and
//! file-level names), [`units`] (dimension algebra), [`check`] (units, types, members,
//! bonds, structure), [`lower`] (flattening into the [`ir`], drive counts, algebraic
//! loops), [`db`] (salsa inputs and tracked queries) and [`diagnostics`]. The core does
//! no IO; the [`driver`] reads files into the database.

pub mod build;
pub mod check;
pub mod codegen;
pub mod db;
pub mod diagnostics;
pub mod driver;
pub mod fmt;
pub mod generate;
pub mod interp;
pub mod ir;
pub mod layout;
pub mod lower;
pub mod numerics;
pub mod quantity;
pub mod resolve;
pub mod stdlib;
pub mod syntax;
pub mod units;

pub use build::{Backend, Options, compile_file, compile_file_with, compile_str, compile_str_with};
pub use driver::{CompileError, Session, lower_file, lower_str};
