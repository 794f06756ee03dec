//! Positions: byte offsets (what the compiler's spans hold) to and from LSP positions
//! (line and UTF-16 code unit, the protocol's default encoding).
//!
//! `µ` is one UTF-16 unit but two UTF-8 bytes, `😀` two units and four bytes, so every
//! conversion walks the characters of one line. Out-of-range positions are clamped (to the
//! end of the line or of the text), never an error: clients send positions past the end of
//! a line, and stale requests may name lines that no longer exist.

use plantc::syntax::ast::Span;
use tower_lsp_server::ls_types::{Position, Range};

#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the start of each line (the first is 0).
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The LSP position of a byte offset (clamped to the text, moved back to a char
    /// boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character = text[start..offset].encode_utf16().count();
        Position {
            line: line as u32,
            character: character as u32,
        }
    }

    /// The byte offset of an LSP position. A character past the end of its line means the
    /// end of the line; a line past the end means the end of the text; a position inside a
    /// surrogate pair moves to the start of its character.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let start = self.starts[line];
        let end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |&next| next - 1)
            .min(text.len());
        let mut units = 0u32;
        for (i, c) in text[start..end].char_indices() {
            let w = c.len_utf16() as u32;
            if units + w > pos.character {
                return start + i;
            }
            units += w;
        }
        end
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range {
            start: self.position(text, span.start as usize),
            end: self.position(text, span.end as usize),
        }
    }

    /// The byte range of an LSP range (start and end ordered).
    pub fn span(&self, text: &str, range: Range) -> Span {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        Span::new(a.min(b), a.max(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn ascii() {
        let t = "ab\ncd\n";
        let ix = LineIndex::new(t);
        assert_eq!(ix.line_count(), 3);
        assert_eq!(ix.position(t, 0), pos(0, 0));
        assert_eq!(ix.position(t, 2), pos(0, 2));
        assert_eq!(ix.position(t, 3), pos(1, 0));
        assert_eq!(ix.position(t, 6), pos(2, 0));
        assert_eq!(ix.offset(t, pos(1, 1)), 4);
        assert_eq!(ix.offset(t, pos(1, 99)), 5, "past the end of a line");
        assert_eq!(ix.offset(t, pos(9, 0)), 6, "past the last line");
    }

    #[test]
    fn non_ascii_units_and_comments() {
        // µ: 2 bytes, 1 unit; °: 2 bytes, 1 unit; 😀: 4 bytes, 2 units; 水: 3 bytes, 1 unit.
        let t = "let x = 5 µm // 😀 水位\nparam t: 1 = 2 °\n";
        let ix = LineIndex::new(t);
        let mu = t.find('µ').unwrap();
        assert_eq!(ix.position(t, mu), pos(0, 10));
        assert_eq!(ix.position(t, mu + 2), pos(0, 11)); // the `m`
        let emoji = t.find('😀').unwrap();
        assert_eq!(ix.position(t, emoji), pos(0, 16));
        let water = t.find('水').unwrap();
        assert_eq!(
            ix.position(t, water),
            pos(0, 19),
            "the emoji counts two units"
        );
        assert_eq!(ix.offset(t, pos(0, 19)), water);
        assert_eq!(ix.offset(t, pos(0, 17)), emoji, "inside a surrogate pair");
        let deg = t.find('°').unwrap();
        assert_eq!(ix.position(t, deg), pos(1, 15));
        assert_eq!(ix.offset(t, pos(1, 15)), deg);
        // An offset inside a character moves back to its start.
        assert_eq!(ix.position(t, mu + 1), pos(0, 10));
        let span = Span::new(mu, mu + "µm".len());
        assert_eq!(ix.span(t, ix.range(t, span)), span);
    }

    #[test]
    fn crlf_lines() {
        let t = "a\r\nb";
        let ix = LineIndex::new(t);
        assert_eq!(ix.position(t, 3), pos(1, 0));
        assert_eq!(ix.offset(t, pos(1, 1)), 4);
        assert_eq!(
            ix.offset(t, pos(0, 5)),
            2,
            "the line ends before its newline"
        );
    }

    proptest! {
        /// Every char boundary survives the round trip offset -> position -> offset, and
        /// positions agree with a direct UTF-16 count.
        #[test]
        fn round_trip(text in "(\\PC|\n|\r\n|µ|°|😀|水){0,60}") {
            let ix = LineIndex::new(&text);
            for (off, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                let p = ix.position(&text, off);
                prop_assert_eq!(ix.offset(&text, p), off);
                let line_start = text[..off].rfind('\n').map_or(0, |i| i + 1);
                prop_assert_eq!(p.line as usize, text[..off].matches('\n').count());
                prop_assert_eq!(p.character as usize, text[line_start..off].encode_utf16().count());
            }
        }
    }
}
