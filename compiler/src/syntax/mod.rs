//! Syntax: the pest grammar (`plant.pest`) and the parser that turns text into the typed
//! [`ast`] with byte spans. Parsing never panics and never stops at the first bad item:
//! it returns the items it could read plus diagnostics for the rest.

pub mod ast;
pub mod parser;
mod shift;

pub use parser::{MemberMemo, Parsed, parse, parse_reusing};
