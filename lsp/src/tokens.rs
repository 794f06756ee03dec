//! Semantic tokens: every word, number and comment of a file classified from the symbol
//! index (so `tank.level` colours `level` as a port, `L/s` as units) and the keyword list.

use plantc::db::SourceFile;
use plantc::fmt::lex::{self, TokenKind};
use tower_lsp_server::ls_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend,
};

use crate::index::{Sym, SymKind, file_index};
use crate::line_index::LineIndex;
use crate::world::World;

pub const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::NAMESPACE, // 0: modules, agents
    SemanticTokenType::CLASS,     // 1: nodes, plants
    SemanticTokenType::TYPE,      // 2: units
    SemanticTokenType::PARAMETER, // 3: params
    SemanticTokenType::PROPERTY,  // 4: ports
    SemanticTokenType::VARIABLE,  // 5: states, lets, instances, actions, loop indices
    SemanticTokenType::FUNCTION,  // 6: built-in functions
    SemanticTokenType::KEYWORD,   // 7
    SemanticTokenType::NUMBER,    // 8
    SemanticTokenType::COMMENT,   // 9
    SemanticTokenType::OPERATOR,  // 10
];

pub const MODIFIERS: &[SemanticTokenModifier] = &[
    SemanticTokenModifier::DECLARATION,     // 1
    SemanticTokenModifier::READONLY,        // 2
    SemanticTokenModifier::DEFAULT_LIBRARY, // 4
    SemanticTokenModifier::DOCUMENTATION,   // 8
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

const DECLARATION: u32 = 1;
const READONLY: u32 = 2;
const DEFAULT_LIBRARY: u32 = 4;
const DOCUMENTATION: u32 = 8;

fn class(kind: SymKind) -> (u32, u32) {
    match kind {
        SymKind::Module => (0, 0),
        SymKind::Node | SymKind::Plant => (1, 0),
        SymKind::Unit => (2, 0),
        SymKind::Param => (3, READONLY),
        SymKind::InPort | SymKind::OutPort => (4, 0),
        SymKind::LoopVar => (5, READONLY),
        SymKind::State | SymKind::Let | SymKind::Instance | SymKind::Action => (5, 0),
        SymKind::Function => (6, DEFAULT_LIBRARY),
    }
}

/// (byte span, type index, modifier bits) of every classified token, in order.
pub fn classify(world: &World, file: SourceFile) -> Vec<(usize, usize, u32, u32)> {
    let s = &world.session;
    let db = &s.db;
    let text = file.text(db);
    let index = file_index(db, s.ws, file);
    let mut occs = index.occs.iter().peekable();
    let mut out = Vec::new();
    for t in lex::tokens(text) {
        let (start, end) = (t.span.start as usize, t.span.end as usize);
        let word = t.text(text);
        let class = match t.kind {
            TokenKind::LineComment | TokenKind::BlockComment => Some((9, 0)),
            TokenKind::DocComment => Some((9, DOCUMENTATION)),
            TokenKind::Number => Some((8, 0)),
            TokenKind::Punct => match word {
                "(" | ")" | "[" | "]" | "{" | "}" | "," | ";" | ":" | "." | "::" => None,
                _ => Some((10, 0)),
            },
            TokenKind::Unknown => None,
            TokenKind::Word => {
                while occs.peek().is_some_and(|o| (o.span.start as usize) < start) {
                    occs.next();
                }
                match occs.peek().filter(|o| o.span.start as usize == start) {
                    Some(o) => {
                        let (ty, mut mods) = class(o.kind);
                        if o.decl {
                            mods |= DECLARATION;
                        }
                        let std = match &o.sym {
                            Sym::BuiltinUnit(_) | Sym::Function(_) => true,
                            Sym::Item { file, .. } | Sym::Member { file, .. } => {
                                World::is_stdlib(file.path(db))
                            }
                            Sym::Module(f) => World::is_stdlib(f.path(db)),
                            Sym::LoopVar { .. } => false,
                        };
                        if std {
                            mods |= DEFAULT_LIBRARY;
                        }
                        Some((ty, mods))
                    }
                    None if plantc::syntax::parser::KEYWORDS.contains(&word) => Some((7, 0)),
                    None if word == "on" && next_word_is(text, end, "decide") => Some((7, 0)),
                    None => None,
                }
            }
        };
        if let Some((ty, mods)) = class {
            out.push((start, end, ty, mods));
        }
    }
    out
}

fn next_word_is(text: &str, from: usize, word: &str) -> bool {
    text[from..].trim_start().starts_with(word)
}

/// The tokens in the protocol's relative encoding (multi-line tokens split per line).
pub fn semantic_tokens(world: &World, file: SourceFile) -> Vec<SemanticToken> {
    let text = file.text(&world.session.db);
    let ix = LineIndex::new(text);
    let mut out = Vec::new();
    let (mut last_line, mut last_char) = (0u32, 0u32);
    for (start, end, ty, mods) in classify(world, file) {
        // Split at newlines.
        let mut pieces = Vec::new();
        let mut s = start;
        for (i, c) in text[start..end].char_indices() {
            if c == '\n' {
                pieces.push((s, start + i));
                s = start + i + 1;
            }
        }
        pieces.push((s, end));
        for (a, b) in pieces {
            let a_trim = a + text[a..b].len() - text[a..b].trim_start().len();
            let b_trim = a + text[a..b].trim_end().len();
            if b_trim <= a_trim {
                continue;
            }
            let p = ix.position(text, a_trim);
            let len = text[a_trim..b_trim].encode_utf16().count() as u32;
            let delta_line = p.line - last_line;
            let delta_start = if delta_line == 0 {
                p.character - last_char
            } else {
                p.character
            };
            out.push(SemanticToken {
                delta_line,
                delta_start,
                length: len,
                token_type: ty,
                token_modifiers_bitset: mods,
            });
            last_line = p.line;
            last_char = p.character;
        }
    }
    out
}
