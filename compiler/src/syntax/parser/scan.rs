//! Byte-level scanning the driver does outside pest: trivia and doc comments between
//! items and members, unterminated block comments, recovery skipping and the nesting
//! pre-check. All positions are byte offsets; every function returns positions on char
//! boundaries (it only stops next to ASCII bytes or at the end of the text).

use super::errors::Context;

/// The reserved words of the language (`on` is contextual and not among them).
pub const KEYWORDS: &[&str] = &[
    "use",
    "unit",
    "node",
    "plant",
    "param",
    "in",
    "out",
    "state",
    "der",
    "next",
    "let",
    "bond",
    "for",
    "dt",
    "decide",
    "every",
    "when",
    "integrator",
    "action",
    "observe",
    "reward",
    "agent",
    "terminate",
    "truncate",
    "after",
    "steps",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "true",
    "false",
    "bool",
    "int",
    "choice",
    "mask",
    "noise",
    "normalized",
    "sum",
];

/// Keywords that start a member.
const MEMBER_KEYWORDS: &[&str] = &[
    "param",
    "in",
    "out",
    "state",
    "let",
    "der",
    "next",
    "bond",
    "for",
    "dt",
    "decide",
    "integrator",
    "action",
    "observe",
    "reward",
    "agent",
    "terminate",
    "truncate",
    "when",
    "on",
];

/// Keywords that start a top-level item.
const ITEM_KEYWORDS: &[&str] = &["use", "unit", "node", "plant"];

pub(super) fn is_keyword(word: &str) -> bool {
    // Cheap rejection first: every keyword is 2..=10 lowercase ASCII letters.
    (2..=10).contains(&word.len())
        && word.as_bytes()[0].is_ascii_lowercase()
        && KEYWORDS.contains(&word)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The identifier-like word starting at `pos` (ASCII letters, digits, `_`; must not start
/// with a digit), or "".
pub(super) fn word_at(text: &str, pos: usize) -> &str {
    let b = text.as_bytes();
    if pos >= b.len() || !(b[pos].is_ascii_alphabetic() || b[pos] == b'_') {
        return "";
    }
    let mut end = pos;
    while end < b.len() && is_ident_byte(b[end]) {
        end += 1;
    }
    &text[pos..end]
}

/// True when the text at `pos` starts a `///` doc comment (but not `////`).
pub(super) fn is_doc_at(text: &str, pos: usize) -> bool {
    let b = text.as_bytes();
    b[pos..].starts_with(b"///") && b.get(pos + 3) != Some(&b'/')
}

/// The first position at or after `pos` holding a `\n`, or the end of the text.
pub(super) fn line_end(text: &str, pos: usize) -> usize {
    text.as_bytes()[pos.min(text.len())..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| pos + i)
}

/// Finds the first `/*` that is never closed (outside line comments). The text after it is
/// all comment.
pub(super) fn unterminated_comment(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'/') => i = line_end(text, i),
            (b'/', b'*') => match find(b, i + 2, b"*/") {
                Some(end) => i = end + 2,
                None => return Some(i),
            },
            _ => i += 1,
        }
    }
    None
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= b.len() {
        return None;
    }
    b[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

/// A block of `///` lines being collected.
#[derive(Default)]
pub(super) struct DocAcc {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub lines: usize,
    /// The file's doc block (see `ast::File::doc`), once recognised.
    pub file_doc: Option<(usize, usize, String)>,
}

impl DocAcc {
    /// True when the current block starts at the first token of the file.
    pub fn at_file_start(&self, text: &str) -> bool {
        !self.is_empty()
            && text[..self.start]
                .trim_start_matches('\u{feff}')
                .trim()
                .is_empty()
    }
    /// Turn the current block into the file's doc.
    pub fn make_file_doc(&mut self) {
        self.file_doc = Some((self.start, self.end, std::mem::take(&mut self.text)));
        self.clear();
    }
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }
    pub fn clear(&mut self) {
        self.lines = 0;
        self.text.clear();
    }
}

/// Replaces every byte of each comment (`// ...`, `/* ... */`, but not a `///` doc comment)
/// by U+0001, except newlines, so that pest sees comments as whitespace while byte offsets,
/// lines and char boundaries stay as in `text` (a comment starts and ends next to ASCII
/// bytes, so whole characters are replaced). Block comments must all be closed.
pub(super) fn blank_comments(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let has_comment = b
        .windows(2)
        .enumerate()
        .any(|(i, w)| w[0] == b'/' && (w[1] == b'*' || (w[1] == b'/' && !is_doc_at(text, i))));
    if !has_comment {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = b.to_vec();
    let mut i = 0;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'/') => {
                let end = line_end(text, i);
                if !is_doc_at(text, i) {
                    out[i..end].fill(FILLER);
                }
                i = end;
            }
            (b'/', b'*') => {
                let end = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                for c in &mut out[i..end] {
                    if *c != b'\n' {
                        *c = FILLER;
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    match String::from_utf8(out) {
        Ok(s) => std::borrow::Cow::Owned(s),
        Err(_) => std::borrow::Cow::Borrowed(text),
    }
}

/// What comments are replaced by (see [`blank_comments`]); whitespace to the grammar.
pub(super) const FILLER: u8 = 0x01;

/// Skips whitespace, comments and (when `semis`) `;` from `pos`, collecting `///` doc lines
/// into `docs`. Block comments are closed here (the driver cut the text at an unterminated
/// one).
pub(super) fn skip_trivia(text: &str, mut pos: usize, docs: &mut DocAcc, semis: bool) -> usize {
    let b = text.as_bytes();
    while pos < b.len() {
        match b[pos] {
            b'\n' => {
                // A blank line after a doc block at the top of the file: the file's doc.
                if docs.file_doc.is_none() && docs.at_file_start(text) {
                    let next = line_end(text, pos + 1);
                    if text[pos + 1..next].trim().is_empty() {
                        docs.make_file_doc();
                    }
                }
                pos += 1;
            }
            b' ' | b'\t' | b'\r' | FILLER => pos += 1,
            b';' if semis => pos += 1,
            b'/' if b.get(pos + 1) == Some(&b'/') => {
                let end = line_end(text, pos);
                if is_doc_at(text, pos) {
                    let mut line = &text[pos + 3..end];
                    line = line.strip_suffix('\r').unwrap_or(line);
                    line = line.strip_prefix(' ').unwrap_or(line);
                    if docs.lines == 0 {
                        docs.start = pos;
                    } else {
                        docs.text.push('\n');
                    }
                    docs.text.push_str(line);
                    docs.lines += 1;
                    docs.end = pos + 3 + text[pos + 3..end].trim_end_matches('\r').len();
                }
                pos = end;
            }
            b'/' if b.get(pos + 1) == Some(&b'*') => {
                pos = find(b, pos + 2, b"*/").map_or(b.len(), |e| e + 2);
            }
            _ => break,
        }
    }
    pos
}

/// Skips spaces, tabs and comments (not newlines), used to look at the start of a line.
fn skip_inline(text: &str, mut pos: usize) -> usize {
    let b = text.as_bytes();
    while pos < b.len() {
        match b[pos] {
            b' ' | b'\t' | b'\r' | FILLER => pos += 1,
            b'/' if b.get(pos + 1) == Some(&b'*') => {
                pos = find(b, pos + 2, b"*/").map_or(b.len(), |e| e + 2);
            }
            _ => break,
        }
    }
    pos
}

/// True when the text at `pos` is a top-level item keyword.
pub(super) fn is_item_start(text: &str, pos: usize) -> bool {
    ITEM_KEYWORDS.contains(&word_at(text, pos))
}

/// True when the text at `pos` looks like the start of a member or an assignment: a member
/// keyword, or a name followed by `=`, `[` or `.`.
pub(super) fn is_member_start(text: &str, pos: usize) -> bool {
    let w = word_at(text, pos);
    if w.is_empty() {
        return false;
    }
    if MEMBER_KEYWORDS.contains(&w) {
        return true;
    }
    if is_keyword(w) {
        return false;
    }
    let b = text.as_bytes();
    let mut i = pos + w.len();
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    match b.get(i) {
        Some(b'=') => b.get(i + 1) != Some(&b'='),
        Some(b'[') | Some(b'.') => b.get(i + 1) != Some(&b'.'),
        _ => false,
    }
}

/// The name a member starting at `pos` declares, with its position, read from the text
/// alone (for a member that did not parse): `param NAME`, `in NAME`, `out NAME`,
/// `state NAME`, `let NAME`, `action NAME`, or an instance `NAME =` / `NAME[`.
pub(super) fn declared_name(text: &str, pos: usize) -> Option<(&str, usize)> {
    let w = word_at(text, pos);
    let b = text.as_bytes();
    let (name, at) = if ["param", "in", "out", "state", "let", "action"].contains(&w) {
        let at = skip_spaces(b, pos + w.len());
        (word_at(text, at), at)
    } else {
        let after = skip_spaces(b, pos + w.len());
        match b.get(after) {
            Some(b'=') if b.get(after + 1) != Some(&b'=') => (w, pos),
            Some(b'[') => (w, pos),
            _ => return None,
        }
    };
    (!name.is_empty() && !is_keyword(name)).then_some((name, at))
}

/// Recovery inside a body: from the start of a member that failed to parse, finds where to
/// resume: the next line (or the text after a `;`) that starts a member, a `}` closing the
/// enclosing body, or a top-level item keyword at the start of a line. Braces opened inside
/// the skipped text are skipped with it. Always returns a position after `start` (or the
/// end of the text).
pub(super) fn skip_member(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let mut i = start;
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = line_end(text, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                if depth == 0 {
                    if i > start {
                        return i;
                    }
                } else {
                    depth -= 1;
                }
            }
            b';' if depth == 0 => {
                let j = skip_inline(text, i + 1);
                if is_member_start(text, j) || j >= b.len() || b[j] == b'\n' {
                    return i + 1;
                }
            }
            b'\n' => {
                let j = skip_inline(text, i + 1);
                if j < b.len() {
                    if is_item_start(text, j) {
                        return j;
                    }
                    if depth == 0
                        && (b[j] == b'}' || is_doc_at(text, j) || is_member_start(text, j))
                    {
                        return j;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Recovery at the top level: from a failed item at `start`, finds the next line starting
/// with an item keyword (at column 0, or outside braces opened in the skipped text) or a doc
/// comment outside braces.
pub(super) fn skip_item(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let mut i = start;
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = line_end(text, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                continue;
            }
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'\n' => {
                let j = skip_inline(text, i + 1);
                if j < b.len() {
                    if is_item_start(text, j) && (j == i + 1 || depth == 0) {
                        return j;
                    }
                    if depth == 0 && is_doc_at(text, j) {
                        return j;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Nesting pre-check for the member or item starting at `start`, in the slice `text` it is
/// parsed from: returns the position of the first `(`, `[` or `if` at which brackets plus
/// `if`s nest deeper than `limit`. Stops at a brace.
pub(super) fn too_deep(text: &str, start: usize, limit: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start;
    // `if`s open at each bracket level: an `if` lasts until the bracket around it closes.
    let mut ifs: Vec<usize> = vec![0];
    let mut open_ifs = 0usize;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = line_end(text, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                continue;
            }
            b'(' | b'[' => {
                ifs.push(0);
                if ifs.len() - 1 + open_ifs > limit {
                    return Some(i);
                }
            }
            b')' | b']' if ifs.len() > 1 => {
                open_ifs -= ifs.pop().unwrap_or(0);
            }
            b'{' | b'}' => return None,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let w = word_at(text, i);
                if w == "if" {
                    if let Some(n) = ifs.last_mut() {
                        *n += 1;
                    }
                    open_ifs += 1;
                    if ifs.len() - 1 + open_ifs > limit {
                        return Some(i);
                    }
                }
                i += w.len().max(1);
                continue;
            }
            c if c.is_ascii_digit() => {
                // Skip a number with its exponent so `1e5if` is not read as `if`.
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The innermost `(` or `[` opened in `text[start..]` and never closed.
pub(super) fn unclosed_bracket(text: &str, start: usize) -> Option<(usize, u8)> {
    let b = text.as_bytes();
    let mut stack: Vec<(usize, u8)> = Vec::new();
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = line_end(text, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                continue;
            }
            c @ (b'(' | b'[') => stack.push((i, c)),
            b')' | b']' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack.pop()
}

/// Skips spaces and tabs (the grammar's `inline_ws`).
fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// What `member_start` in the grammar accepts: a member keyword, `in NAME:` / `in NAME[`,
/// or `NAME =` / `NAME[`.
fn grammar_member_start(text: &str, pos: usize) -> bool {
    let b = text.as_bytes();
    let w = word_at(text, pos);
    if w.is_empty() {
        return false;
    }
    if w == "in" {
        let i = skip_spaces(b, pos + 2);
        let name = word_at(text, i);
        if i == pos + 2 || name.is_empty() {
            return false;
        }
        let j = skip_spaces(b, i + name.len());
        return matches!(b.get(j), Some(b':') | Some(b'['));
    }
    if MEMBER_KEYWORDS.contains(&w) {
        return true;
    }
    if is_keyword(w) {
        return false;
    }
    let j = skip_spaces(b, pos + w.len());
    match b.get(j) {
        Some(b'=') => b.get(j + 1) != Some(&b'='),
        Some(b'[') => true,
        _ => false,
    }
}

/// What `assign_start` in the grammar accepts: `path =` on one line.
fn grammar_assign_start(text: &str, pos: usize) -> bool {
    let b = text.as_bytes();
    let w = word_at(text, pos);
    if w.is_empty() || is_keyword(w) {
        return false;
    }
    let mut i = pos + w.len();
    loop {
        match b.get(i) {
            Some(b'.') => {
                let seg = word_at(text, i + 1);
                if seg.is_empty() {
                    return false;
                }
                i += 1 + seg.len();
            }
            Some(b'[') => match b[i..].iter().position(|&c| c == b']' || c == b'\n') {
                Some(k) if b[i + k] == b']' => i += k + 1,
                _ => return false,
            },
            _ => break,
        }
    }
    let j = skip_spaces(b, i);
    b.get(j) == Some(&b'=') && b.get(j + 1) != Some(&b'=')
}

/// True when a line starting at `pos` certainly begins something after the construct being
/// parsed in `ctx` (so the grammar's end-of-member lookahead accepts it there).
fn cut_at(text: &str, pos: usize, ctx: Context) -> bool {
    if pos >= text.len() {
        return false;
    }
    if is_item_start(text, pos) || is_doc_at(text, pos) {
        return true;
    }
    match ctx {
        Context::Item => false,
        Context::Member => text.as_bytes()[pos] == b'}' || grammar_member_start(text, pos),
        Context::Assign => text.as_bytes()[pos] == b'}' || grammar_assign_start(text, pos),
    }
}

/// Where to end the slice for parsing the construct at `pos`: the start of the first line
/// at or after `want` that begins another member, item or assignment (see [`cut_at`]), or
/// the end of the text. Never inside a comment.
pub(super) fn region_end(text: &str, pos: usize, want: usize, ctx: Context) -> usize {
    let b = text.as_bytes();
    let mut i = pos;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = line_end(text, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                continue;
            }
            b'\n' => {
                let j = skip_inline(text, i + 1);
                if j >= want && cut_at(text, j, ctx) {
                    return j;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}
