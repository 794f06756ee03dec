//! The parser: text to [`ast::File`] plus diagnostics, never panicking and never stopping
//! at the first error.
//!
//! The grammar is `plant.pest`; [`parse`] drives it piece by piece so that an error costs
//! only the member (or item) it is in:
//!
//! 1. An unterminated `/*` is reported (E0002) and the text is cut there; the remaining
//!    comments are blanked out (`scan::blank_comments`) so pest sees them as whitespace.
//! 2. Trivia and `///` doc comments between items and members are skipped here; docs are
//!    attached to what follows (E0007 when nothing follows).
//! 3. Each item head (`use_decl`, `unit_decl`, `node_head`, `plant_head`), each member of a
//!    body (`param_decl`, ..., `instance_decl`, chosen by the first word) and each assignment
//!    of a `when` / `on decide` body (`assign_item`) is one pest parse of a slice of the text
//!    (`Driver::run`). Block members (`for`, `agent`, `when`, `on decide`) parse their head
//!    with pest and their body here, so recovery works inside them too. A body that reaches
//!    the end of the file or the next item is unclosed (E0006).
//! 4. After a failed member, one diagnostic is reported and parsing resumes at the next line
//!    that starts a member, or the `}` closing the body (`scan::skip_member`); after a
//!    failed item, at the next line starting an item (`scan::skip_item`).
//! 5. Pairs become the AST in `build`, which applies operator precedence, checks nesting
//!    depth (`MAX_DEPTH`) and numbers (E0003, E0008). pest failures become messages in
//!    words in `errors`.
//!
//! [`parse_reusing`] keeps the members it built in a [`MemberMemo`]: a member whose text is
//! unchanged since the last parse is not run through pest again but copied and moved to
//! its new place ([`Shift`]). This is what makes re-parsing a large file after a small
//! edit cheap in the language server.

mod build;
mod errors;
mod grammar;
mod scan;
pub use scan::KEYWORDS;
#[cfg(test)]
mod tests;

use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use rustc_hash::FxHashMap;

use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::{self, Span};
use crate::syntax::shift::Shift;
use build::{Builder, Fail, Head};
use errors::Context;
use grammar::{PlantParser, Rule};
use scan::DocAcc;

/// The deepest nesting of expressions and units (and the longest operator chain) accepted.
pub(crate) const MAX_DEPTH: u32 = 256;
/// The deepest nesting of blocks (`for`, `agent`, `when`, `on decide`) accepted.
const MAX_BLOCK_DEPTH: usize = 64;

/// The result of parsing one file: every item that could be read, and the diagnostics.
#[derive(Clone, PartialEq, Debug)]
pub struct Parsed {
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
}

/// Members built by earlier parses of one file, by rule and text, with spans relative to
/// their start. Only members that parsed cleanly on their first slice are kept: their tree
/// depends on nothing but that text. After each parse the memo holds exactly the members
/// of the text just parsed, so it never grows past one file's worth.
#[derive(Default)]
pub struct MemberMemo {
    members: Memo,
}

/// Entries by the member's text (its first slice, see [`Driver::run`]), which also decides
/// its rule; boxed so the maps move pointers, not trees.
type Memo = FxHashMap<Box<str>, Box<MemoEntry>>;

impl MemberMemo {
    /// How many members the memo holds.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[derive(Clone)]
struct MemoEntry {
    rule: Rule,
    kind: ast::MemberKind,
    /// The member's length: its end relative to its start.
    len: u32,
}

/// Parse one file. `file_name` is used in diagnostic labels. Never panics, on any input.
pub fn parse(file_name: &str, text: &str) -> Parsed {
    parse_reusing(file_name, text, &mut MemberMemo::default())
}

/// [`parse`], reusing the members of earlier parses kept in `memo` (and leaving there the
/// members of this one). The result is the same as [`parse`]'s.
pub fn parse_reusing(file_name: &str, text: &str, memo: &mut MemberMemo) -> Parsed {
    let mut diags = Vec::new();
    let limit = match scan::unterminated_comment(text) {
        Some(at) => {
            diags.push(
                Diagnostic::error(
                    codes::UNTERMINATED_COMMENT,
                    "unterminated block comment",
                    file_name,
                    Span::new(at, at + 2),
                    "this comment is never closed",
                )
                .with_note("everything after it, to the end of the file, is part of the comment")
                .with_help("close the comment with `*/`"),
            );
            at
        }
        None => text.len(),
    };
    let cut = limit < text.len();
    let text = scan::blank_comments(&text[..limit]);
    let mut driver = Driver {
        file: file_name,
        text: &text,
        diags,
        unparsed: Vec::new(),
        cut,
        new: Memo::with_capacity_and_hasher(memo.members.len(), Default::default()),
        old: std::mem::take(&mut memo.members),
        extended: false,
    };
    let (items, doc) = driver.items();
    memo.members = std::mem::take(&mut driver.new);
    Parsed {
        file: ast::File { doc, items },
        diagnostics: driver.diags,
    }
}

struct Driver<'a> {
    file: &'a str,
    /// The text up to an unterminated comment, if any, with comments blanked out (see
    /// [`scan::blank_comments`]); byte offsets are those of the file.
    text: &'a str,
    diags: Vec<Diagnostic>,
    /// Names declared by members of the current node or plant that did not parse.
    unparsed: Vec<ast::Ident>,
    /// The text was cut at an unterminated `/*` (reported): what is open at its end was
    /// closed inside the comment, so it is not reported as unclosed.
    cut: bool,
    /// The memo of the previous parse, and the one this parse leaves (see [`MemberMemo`]).
    old: Memo,
    new: Memo,
    /// The last [`Driver::run`] had to look past its first slice.
    extended: bool,
}

/// A body ended by `}` (after it) or not closed (the position to resume at).
struct BodyEnd {
    end: usize,
}

impl<'a> Driver<'a> {
    fn builder(&mut self, base: usize) -> Builder<'_> {
        Builder {
            base,
            file: self.file,
            diags: &mut self.diags,
        }
    }

    /// Runs one pest rule on the text from `pos`; reports a failure.
    ///
    /// pest builds its error from the whole input it was given, so the rule runs on a slice
    /// ending where the construct most likely ends (the next line that starts another
    /// member, item or assignment, see [`scan::region_end`]). If the parse fails at the end
    /// of the slice, the slice is doubled and the parse retried, so the result is the same
    /// as on the whole text.
    fn run(&mut self, rule: Rule, pos: usize, ctx: Context) -> Option<Pair<'a, Rule>> {
        let end = scan::region_end(self.text, pos, pos, ctx);
        self.run_to(rule, pos, end, ctx)
    }

    /// [`Driver::run`] on the first slice `pos..end`; sets `extended` when it looked further.
    fn run_to(
        &mut self,
        rule: Rule,
        pos: usize,
        mut end: usize,
        ctx: Context,
    ) -> Option<Pair<'a, Rule>> {
        let text: &'a str = self.text;
        self.extended = false;
        loop {
            if let Some(at) = scan::too_deep(&text[..end], pos, MAX_DEPTH as usize) {
                self.diags.push(errors::too_deep(
                    self.file,
                    Span::new(at, at + 1),
                    "expression",
                ));
                return None;
            }
            let e = match PlantParser::parse(rule, &text[pos..end]) {
                Ok(mut pairs) => {
                    return match pairs.next() {
                        Some(p) => Some(p),
                        None => {
                            self.internal(pos);
                            None
                        }
                    };
                }
                Err(e) => e,
            };
            let at = pos
                + match e.location {
                    InputLocation::Pos(p) => p,
                    InputLocation::Span((s, _)) => s,
                };
            if at >= end && end < text.len() {
                // The construct may go on past the slice: look further.
                let want = (pos + 2 * (end - pos).max(256)).min(text.len());
                end = scan::region_end(text, pos, want, ctx);
                self.extended = true;
                continue;
            }
            if self.cut && at >= text.len() {
                return None; // cut off by the unterminated comment, which is reported
            }
            let diag = match &e.variant {
                ErrorVariant::ParsingError { positives, .. } => {
                    self.parse_error(pos, at.min(text.len()), positives, ctx)
                }
                ErrorVariant::CustomError { .. } => {
                    // pest's own stack or call limit.
                    let end = scan::line_end(text, pos);
                    errors::too_deep(self.file, Span::new(pos, end), "expression")
                }
            };
            self.diags.push(diag);
            return None;
        }
    }

    /// The rule for the member starting at `pos`, chosen by its first word; `member_head`
    /// (all alternatives) when no word starts there; `None` for a reserved word that starts
    /// no member (pest would read it as the name of an instance).
    fn member_rule(&self, pos: usize) -> Option<Rule> {
        Some(match scan::word_at(self.text, pos) {
            "param" => Rule::param_decl,
            "in" => Rule::in_port,
            "out" => Rule::out_port,
            "state" => Rule::state_decl,
            "let" => Rule::let_decl,
            "der" | "next" => Rule::equation,
            "bond" => Rule::bond_decl,
            "dt" => Rule::dt_decl,
            "decide" => Rule::decide_decl,
            "integrator" => Rule::integrator_decl,
            "action" => Rule::action_decl,
            "observe" => Rule::observe_decl,
            "reward" => Rule::reward_decl,
            "terminate" => Rule::terminate_decl,
            "truncate" => Rule::truncate_decl,
            "for" => Rule::for_head,
            "agent" => Rule::agent_head,
            "when" => Rule::when_head,
            "on" => {
                let next = scan::skip_trivia(self.text, pos + 2, &mut DocAcc::default(), false);
                if scan::word_at(self.text, next) == "decide" {
                    Rule::on_decide_head
                } else {
                    Rule::instance_decl
                }
            }
            w if !w.is_empty() && !scan::is_keyword(w) => Rule::instance_decl,
            w if !w.is_empty() => return None,
            _ => Rule::member_head,
        })
    }

    /// The rule for the item starting at `pos`; `item_head` when no item starts there.
    fn item_rule(&self, pos: usize) -> Rule {
        match scan::word_at(self.text, pos) {
            "use" => Rule::use_decl,
            "unit" => Rule::unit_decl,
            "node" => Rule::node_head,
            "plant" => Rule::plant_head,
            _ => Rule::item_head,
        }
    }

    fn parse_error(&self, start: usize, at: usize, positives: &[Rule], ctx: Context) -> Diagnostic {
        // A `(` or `[` still open where the construct ends (the next member, the end of the
        // body or of the file): the bracket was never closed.
        let stop = scan::region_end(self.text, start, at, ctx);
        if let Some((open, ch)) = scan::unclosed_bracket(&self.text[..stop], start)
            && (at >= self.text.len()
                || stop < self.text.len() && self.text[open..stop].contains('\n'))
        {
            let (ch, close) = (ch as char, if ch == b'(' { ')' } else { ']' });
            let len = self.text.len();
            let (end, what) = if stop >= len {
                (Span::new(len, len), "the file ends here".to_string())
            } else if self.text.as_bytes()[stop] == b'}' {
                (
                    Span::new(stop, stop + 1),
                    format!("the body ends here, so a `{close}` is missing above"),
                )
            } else {
                let word = scan::word_at(self.text, stop).len().max(1);
                let next = if scan::is_item_start(self.text, stop) {
                    "item"
                } else {
                    "member"
                };
                (
                    Span::new(stop, stop + word),
                    format!("the next {next} starts here, so a `{close}` is missing above"),
                )
            };
            return Diagnostic::error(
                codes::UNCLOSED_DELIMITER,
                format!("unclosed `{ch}`"),
                self.file,
                Span::new(open, open + 1),
                format!("this `{ch}` is never closed"),
            )
            .with_secondary(self.file, end, what)
            .with_help(format!("add `{close}` to close it"));
        }
        errors::syntax_error(self.file, self.text, start, at, positives, ctx)
    }

    fn internal(&mut self, pos: usize) {
        let end = scan::line_end(self.text, pos);
        self.diags.push(Diagnostic::error(
            codes::SYNTAX,
            "the parser could not read this (internal error)",
            self.file,
            Span::new(pos, end),
            "not understood",
        ));
    }

    /// Reports a build failure for the member or item starting at `pos`.
    fn fail(&mut self, f: Fail, pos: usize) {
        match f {
            Fail::TooDeep(span) => {
                self.diags
                    .push(errors::too_deep(self.file, span, "expression"));
            }
            Fail::Chain(span) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::SYNTAX,
                        "comparison operators cannot be chained",
                        self.file,
                        span,
                        "a second comparison",
                    )
                    .with_help("compare twice and join with `and`: `a < b and b < c`"),
                );
            }
            Fail::Reserved(id) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::SYNTAX,
                        format!("expected a name, found `{}`", id.name),
                        self.file,
                        id.span,
                        "a reserved word",
                    )
                    .with_help(format!(
                        "`{}` is a reserved word and cannot be used as a name",
                        id.name
                    )),
                );
            }
            Fail::NotUnit(span) => {
                let word = &self.text[span.range()];
                self.diags.push(
                    Diagnostic::error(
                        codes::SYNTAX,
                        format!("expected a unit, like `m/s`, found `{word}`"),
                        self.file,
                        span,
                        "a reserved word, not a unit",
                    )
                    .with_help(format!(
                        "`{word}` is a reserved word and cannot be a unit name"
                    )),
                );
            }
            Fail::Internal => self.internal(pos),
        }
    }

    fn stray_doc(&mut self, docs: &mut DocAcc, why: Option<&str>) {
        if docs.is_empty() {
            return;
        }
        let mut d = Diagnostic::warning(
            codes::STRAY_DOC,
            "doc comment is not attached to anything",
            self.file,
            Span::new(docs.start, docs.end),
            "this doc comment documents nothing",
        )
        .with_help(
            "use `//` for a plain comment, or put the doc comment right above an item or member",
        );
        if let Some(why) = why {
            d = d.with_note(why);
        }
        self.diags.push(d);
        docs.clear();
    }

    fn take_doc(docs: &mut DocAcc) -> Option<ast::Doc> {
        if docs.is_empty() {
            return None;
        }
        let doc = ast::Doc {
            text: std::mem::take(&mut docs.text),
            span: Span::new(docs.start, docs.end),
        };
        docs.clear();
        Some(doc)
    }

    // ---- items -----------------------------------------------------------------------

    fn items(&mut self) -> (Vec<ast::Item>, Option<ast::Doc>) {
        let mut items = Vec::new();
        let mut docs = DocAcc::default();
        // A byte-order mark some editors write at the start of the file.
        let mut pos = if self.text.starts_with('\u{feff}') {
            3
        } else {
            0
        };
        loop {
            pos = scan::skip_trivia(self.text, pos, &mut docs, false);
            if pos >= self.text.len() {
                self.stray_doc(&mut docs, None);
                break;
            }
            match self.item(pos, &mut docs) {
                Some((item, end)) => {
                    items.push(item);
                    pos = end;
                }
                None => {
                    docs.clear();
                    pos = scan::skip_item(self.text, pos);
                }
            }
        }
        let doc = docs.file_doc.take().map(|(start, end, text)| ast::Doc {
            text,
            span: Span::new(start, end),
        });
        (items, doc)
    }

    fn item(&mut self, pos: usize, docs: &mut DocAcc) -> Option<(ast::Item, usize)> {
        let rule = self.item_rule(pos);
        let head = self.run(rule, pos, Context::Item)?;
        let inner = if rule == Rule::item_head {
            head.into_inner().next()?
        } else {
            head
        };
        match inner.as_rule() {
            Rule::use_decl => {
                if docs.file_doc.is_none() && docs.at_file_start(self.text) {
                    docs.make_file_doc();
                } else if !docs.is_empty() {
                    self.stray_doc(docs, Some("a `use` declaration cannot be documented"));
                }
                let built = self.builder(pos).use_decl(inner);
                match built {
                    Ok(u) => {
                        let end = u.span.end as usize;
                        Some((ast::Item::Use(u), end))
                    }
                    Err(f) => {
                        self.fail(f, pos);
                        None
                    }
                }
            }
            Rule::unit_decl => {
                let doc = Self::take_doc(docs);
                let built = self.builder(pos).unit_decl(inner, doc);
                match built {
                    Ok(u) => {
                        let end = u.span.end as usize;
                        Some((ast::Item::Unit(u), end))
                    }
                    Err(f) => {
                        self.fail(f, pos);
                        None
                    }
                }
            }
            rule @ (Rule::node_head | Rule::plant_head) => {
                let doc = Self::take_doc(docs);
                let built = self.builder(pos).item_head(inner);
                let (name, brace) = match built {
                    Ok(x) => x,
                    Err(f) => {
                        self.fail(f, pos);
                        return None;
                    }
                };
                let is_node = rule == Rule::node_head;
                let what = format!("{} `{}`", if is_node { "node" } else { "plant" }, name.name);
                let (members, body) = self.members_body(brace, brace.end as usize, 0, &what);
                let unparsed = std::mem::take(&mut self.unparsed);
                let span = Span::new(pos, body.end);
                let item = if is_node {
                    ast::Item::Node(ast::NodeDecl {
                        doc,
                        name,
                        members,
                        unparsed,
                        span,
                    })
                } else {
                    ast::Item::Plant(ast::PlantDecl {
                        doc,
                        name,
                        members,
                        unparsed,
                        span,
                    })
                };
                Some((item, body.end))
            }
            _ => {
                self.internal(pos);
                None
            }
        }
    }

    // ---- bodies ----------------------------------------------------------------------

    fn unclosed(&mut self, open: Span, next_item: Option<usize>, what: &str) {
        if next_item.is_none() && self.cut {
            return;
        }
        let mut d = Diagnostic::error(
            codes::UNCLOSED_DELIMITER,
            format!("unclosed `{{` of {what}"),
            self.file,
            open,
            "this `{` is never closed",
        );
        d = match next_item {
            Some(at) => {
                let end = at + scan::word_at(self.text, at).len();
                d.with_secondary(
                    self.file,
                    Span::new(at, end),
                    "the next item starts here, so a `}` is missing above",
                )
            }
            None => d.with_secondary(
                self.file,
                Span::new(self.text.len(), self.text.len()),
                "the file ends here",
            ),
        };
        self.diags
            .push(d.with_help(format!("add `}}` to close {what}")));
    }

    /// Members up to the `}` closing the body opened by `open`.
    fn members_body(
        &mut self,
        open: Span,
        mut pos: usize,
        depth: usize,
        what: &str,
    ) -> (Vec<ast::Member>, BodyEnd) {
        let mut members = Vec::new();
        let mut docs = DocAcc::default();
        loop {
            pos = scan::skip_trivia(self.text, pos, &mut docs, true);
            if pos >= self.text.len() {
                self.stray_doc(&mut docs, None);
                self.unclosed(open, None, what);
                return (members, BodyEnd { end: pos });
            }
            if self.text.as_bytes()[pos] == b'}' {
                self.stray_doc(&mut docs, None);
                return (members, BodyEnd { end: pos + 1 });
            }
            if scan::is_item_start(self.text, pos) {
                self.unclosed(open, Some(pos), what);
                // Leave the docs to the item that follows.
                let resume = if docs.is_empty() { pos } else { docs.start };
                return (members, BodyEnd { end: resume });
            }
            let doc = Self::take_doc(&mut docs);
            match self.member(pos, doc, depth) {
                Some((m, end)) => {
                    members.push(m);
                    pos = end;
                }
                None => {
                    if let Some((name, at)) = scan::declared_name(self.text, pos) {
                        self.unparsed.push(ast::Ident {
                            name: name.to_string(),
                            span: Span::new(at, at + name.len()),
                        });
                    }
                    pos = scan::skip_member(self.text, pos)
                }
            }
        }
    }

    /// One member at `pos` (a declaration, or a block with its body).
    fn member(
        &mut self,
        pos: usize,
        doc: Option<ast::Doc>,
        depth: usize,
    ) -> Option<(ast::Member, usize)> {
        let Some(rule) = self.member_rule(pos) else {
            let d = self.parse_error(pos, pos, &[], Context::Member);
            self.diags.push(d);
            return None;
        };
        let slice_end = scan::region_end(self.text, pos, pos, Context::Member);
        let memoisable = !matches!(
            rule,
            Rule::member_head
                | Rule::for_head
                | Rule::agent_head
                | Rule::when_head
                | Rule::on_decide_head
        );
        let slice = &self.text[pos..slice_end];
        if memoisable {
            let hit = match self.old.remove_entry(slice) {
                Some((key, entry)) if entry.rule == rule => {
                    let kind = entry.kind.clone();
                    let len = entry.len;
                    self.new.insert(key, entry);
                    Some((kind, len))
                }
                _ => self
                    .new
                    .get(slice)
                    .filter(|e| e.rule == rule)
                    .map(|e| (e.kind.clone(), e.len)),
            };
            if let Some((mut kind, len)) = hit {
                kind.shift(pos as u32);
                let end = pos + len as usize;
                return Some((
                    ast::Member {
                        doc,
                        kind,
                        span: Span::new(pos, end),
                    },
                    end,
                ));
            }
        }
        let diags_before = self.diags.len();
        let head = self.run_to(rule, pos, slice_end, Context::Member)?;
        let clean_first_slice = !self.extended;
        let inner = if rule == Rule::member_head {
            head.into_inner().next()?
        } else {
            head
        };
        match inner.as_rule() {
            Rule::for_head | Rule::agent_head | Rule::when_head | Rule::on_decide_head => {
                if depth >= MAX_BLOCK_DEPTH || build::stack_low() {
                    let kw = Span::new(pos, pos + scan::word_at(self.text, pos).len().max(1));
                    self.diags.push(errors::too_deep(self.file, kw, "block"));
                    return None;
                }
                let built = self.builder(pos).head(inner);
                let (head, brace) = match built {
                    Ok(x) => x,
                    Err(f) => {
                        self.fail(f, pos);
                        return None;
                    }
                };
                let after = brace.end as usize;
                let (kind, end) = match head {
                    Head::For { var, lo, hi } => {
                        let (members, body) =
                            self.members_body(brace, after, depth + 1, "the `for` block");
                        let kind = ast::MemberKind::For(ast::ForBlock {
                            var,
                            lo,
                            hi,
                            members,
                        });
                        (kind, body.end)
                    }
                    Head::Agent(name) => {
                        let what = format!("agent `{}`", name.name);
                        let (members, body) = self.members_body(brace, after, depth + 1, &what);
                        (
                            ast::MemberKind::Agent(ast::AgentBlock { name, members }),
                            body.end,
                        )
                    }
                    Head::When(cond) => {
                        let (body, end) = self.assigns_body(brace, after, "the `when` block");
                        (
                            ast::MemberKind::When(ast::EventBlock { cond, body }),
                            end.end,
                        )
                    }
                    Head::OnDecide => {
                        let (body, end) = self.assigns_body(brace, after, "the `on decide` block");
                        (ast::MemberKind::OnDecide(body), end.end)
                    }
                };
                let span = Span::new(pos, end);
                Some((ast::Member { doc, kind, span }, end))
            }
            _ => {
                let built = self.builder(pos).member(inner);
                match built {
                    Ok((kind, end)) => {
                        if memoisable && clean_first_slice && self.diags.len() == diags_before {
                            // Kept relative to the member's start.
                            let mut relative = kind.clone();
                            relative.shift((pos as u32).wrapping_neg());
                            let len = (end - pos) as u32;
                            self.new.insert(
                                slice.into(),
                                Box::new(MemoEntry {
                                    rule,
                                    kind: relative,
                                    len,
                                }),
                            );
                        }
                        let span = Span::new(pos, end);
                        Some((ast::Member { doc, kind, span }, end))
                    }
                    Err(f) => {
                        self.fail(f, pos);
                        None
                    }
                }
            }
        }
    }

    /// Assignments up to the `}` closing an event body opened by `open`.
    fn assigns_body(
        &mut self,
        open: Span,
        mut pos: usize,
        what: &str,
    ) -> (Vec<ast::Assign>, BodyEnd) {
        let mut body = Vec::new();
        let mut docs = DocAcc::default();
        loop {
            pos = scan::skip_trivia(self.text, pos, &mut docs, true);
            if pos >= self.text.len() {
                self.stray_doc(&mut docs, None);
                self.unclosed(open, None, what);
                return (body, BodyEnd { end: pos });
            }
            if self.text.as_bytes()[pos] == b'}' {
                self.stray_doc(&mut docs, None);
                return (body, BodyEnd { end: pos + 1 });
            }
            if scan::is_item_start(self.text, pos) {
                self.unclosed(open, Some(pos), what);
                let resume = if docs.is_empty() { pos } else { docs.start };
                return (body, BodyEnd { end: resume });
            }
            self.stray_doc(
                &mut docs,
                Some("assignments in event blocks cannot be documented"),
            );
            let first = scan::word_at(self.text, pos);
            let parsed = if scan::is_keyword(first) {
                // A member (or other reserved word) where an assignment should be.
                let d = errors::syntax_error(self.file, self.text, pos, pos, &[], Context::Assign);
                self.diags.push(d);
                None
            } else {
                self.run(Rule::assign_item, pos, Context::Assign)
            };
            let assign = match parsed {
                Some(p) => {
                    let built = self.builder(pos).assign(p);
                    match built {
                        Ok(a) => Some(a),
                        Err(f) => {
                            self.fail(f, pos);
                            None
                        }
                    }
                }
                None => None,
            };
            match assign {
                Some(a) => {
                    pos = a.span.end as usize;
                    body.push(a);
                }
                None => pos = scan::skip_member(self.text, pos),
            }
        }
    }
}
