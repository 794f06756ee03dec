//! A lossless-enough lexer for formatting and editor tooling: the tokens of a `.plant`
//! file with their byte spans, comments included, whitespace dropped.
//!
//! It mirrors the token shapes of `syntax/plant.pest` (names, numbers, operators,
//! punctuation, `//`, `///` and `/* */` comments) but knows no grammar: a literal such as
//! `9.81 m/s^2` is several tokens here. Every byte of the text is either whitespace or
//! inside exactly one token, so re-joining the tokens with any whitespace gives back a text
//! with the same token stream. Never panics; unknown characters become [`TokenKind::Unknown`].

use crate::syntax::ast::Span;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TokenKind {
    /// A name, keyword or unit name: `tank`, `param`, `m`, `µm`, `°`.
    Word,
    /// `3`, `0.5`, `1e-6`.
    Number,
    /// Operators and punctuation: `::`, `->`, `..`, `==`, `(`, `%`, ...
    Punct,
    /// `// ...` (to the end of the line, without the newline).
    LineComment,
    /// `/// ...` (a doc comment line).
    DocComment,
    /// `/* ... */` (possibly unterminated: then to the end of the text).
    BlockComment,
    /// Any other character.
    Unknown,
}

impl TokenKind {
    pub fn is_comment(self) -> bool {
        matches!(
            self,
            TokenKind::LineComment | TokenKind::DocComment | TokenKind::BlockComment
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    pub fn text(self, text: &str) -> &str {
        text.get(self.span.range()).unwrap_or("")
    }
}

/// Whitespace to the grammar: space, tab, newline, carriage return, and U+0001 (what the
/// parser blanks comments with), plus a byte-order mark.
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{1}' | '\u{feff}')
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '_' | '\u{b5}' | '\u{3bc}' | '\u{b0}' | '\u{3a9}')
}

fn is_word_char(c: char) -> bool {
    is_word_start(c) || c.is_ascii_digit()
}

const PUNCT2: &[&str] = &["::", "->", "..", "==", "!=", "<=", ">="];
const PUNCT1: &str = ":=,;()[]{}.*/^+-<>%";

/// The tokens of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        if is_space(c) {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let kind = if text[i..].starts_with("//") {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let doc = text[i..].starts_with("///") && !text[i..].starts_with("////");
            i = end;
            if doc {
                TokenKind::DocComment
            } else {
                TokenKind::LineComment
            }
        } else if text[i..].starts_with("/*") {
            i = text[i + 2..]
                .find("*/")
                .map_or(text.len(), |n| i + 2 + n + 2);
            TokenKind::BlockComment
        } else if is_word_start(c) {
            i += c.len_utf8();
            while let Some(c) = text[i..].chars().next() {
                if !is_word_char(c) {
                    break;
                }
                i += c.len_utf8();
            }
            TokenKind::Word
        } else if c.is_ascii_digit() {
            i = number_end(b, i);
            TokenKind::Number
        } else if let Some(p) = PUNCT2.iter().find(|p| text[i..].starts_with(**p)) {
            i += p.len();
            TokenKind::Punct
        } else if PUNCT1.contains(c) {
            i += 1;
            TokenKind::Punct
        } else {
            i += c.len_utf8();
            TokenKind::Unknown
        };
        out.push(Token {
            kind,
            span: Span::new(start, i),
        });
    }
    out
}

/// The end of the number starting at `i`: `digits ("." digits)? ([eE] [+-]? digits)?`.
fn number_end(b: &[u8], mut i: usize) -> usize {
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(i);
    if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        i = digits(i + 1);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        tokens(text)
            .into_iter()
            .map(|t| (t.kind, t.text(text)))
            .collect()
    }

    #[test]
    fn tokens_of_a_member() {
        use TokenKind::*;
        assert_eq!(
            kinds("param k: L/s = 1.5e-3 L/s in 0 .. 2 // note"),
            vec![
                (Word, "param"),
                (Word, "k"),
                (Punct, ":"),
                (Word, "L"),
                (Punct, "/"),
                (Word, "s"),
                (Punct, "="),
                (Number, "1.5e-3"),
                (Word, "L"),
                (Punct, "/"),
                (Word, "s"),
                (Word, "in"),
                (Number, "0"),
                (Punct, ".."),
                (Number, "2"),
                (LineComment, "// note"),
            ]
        );
    }

    #[test]
    fn comments_units_and_odd_characters() {
        use TokenKind::*;
        assert_eq!(
            kinds("/// doc\n//// not doc\n/* a\n b */ 5 µm 1..2 2em $"),
            vec![
                (DocComment, "/// doc"),
                (LineComment, "//// not doc"),
                (BlockComment, "/* a\n b */"),
                (Number, "5"),
                (Word, "µm"),
                (Number, "1"),
                (Punct, ".."),
                (Number, "2"),
                (Number, "2"),
                (Word, "em"),
                (Unknown, "$"),
            ]
        );
        assert_eq!(kinds("/* open"), vec![(BlockComment, "/* open")]);
    }
}
