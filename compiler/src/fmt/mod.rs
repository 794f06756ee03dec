//! The formatter behind `plantc fmt` and the language server's formatting: one canonical
//! layout for `.plant` text. A pure function from text to text; no IO.
//!
//! It works on the token stream ([`lex`]), so it can only change whitespace: tokens and
//! comments are never dropped, added or reordered. The parse tree decides what is atomic
//! (a literal with its unit, `9.81 m/s^2`, and a declared unit, `m^3/s`, whose spacing
//! carries meaning) and which lines continue a member. The layout:
//!
//! - four spaces of indentation per body (`node`, `plant`, `for`, `agent`, `when`,
//!   `on decide`); a member continued on more lines is indented one more level, and one
//!   more per bracket left open on an earlier line (a line starting with the closing bracket
//!   goes back);
//! - line breaks are the author's, but at most one blank line in a row, none at the start
//!   or end of a file or a body, no trailing whitespace, one final newline, `\n` endings;
//! - one space around binary operators (but `x^2`), `=`, `->`, `..` and between words;
//!   none inside brackets and `use` groups, before `,` `:` `;`, around `.` and `::`, after
//!   a unary `-`, or before the `(` of a call or instantiation; `{ a = b }` on one line
//!   keeps a space inside the braces;
//! - literals are written `2 m/s`, declared units without spaces (`m^3/s`, `6894.757 Pa`);
//! - comments keep their text (trailing whitespace removed); a comment after code is
//!   separated from it by one space; block comments keep their inner lines as written.
//!
//! Files with syntax errors are not formatted ([`FormatError`]): the tree is needed to
//! know which spaces matter.

pub mod lex;

use crate::diagnostics::Diagnostic;
use crate::syntax::ast::{
    ActionKind, Expr, ExprKind, File, Item, Member, MemberKind, Path, Span, Ty, TyKind,
};
use lex::{Token, TokenKind};

/// Why a text could not be formatted: it has syntax errors (the diagnostics).
#[derive(Clone, Debug)]
pub struct FormatError {
    pub path: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.diagnostics.len();
        write!(
            f,
            "cannot format `{}`: it has {n} syntax error{} (`plantc check {}` shows {}); fix {} first",
            self.path,
            if n == 1 { "" } else { "s" },
            self.path,
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it" } else { "them" },
        )
    }
}

impl std::error::Error for FormatError {}

/// Format a file. `path` names it in the error. Returns the text in canonical layout, or
/// the syntax errors that stop formatting.
pub fn format(path: &str, text: &str) -> Result<String, FormatError> {
    let parsed = crate::syntax::parse(path, text);
    let errors: Vec<Diagnostic> = parsed
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(FormatError {
            path: path.to_string(),
            diagnostics: errors,
        });
    }
    Ok(format_parsed(text, &parsed.file))
}

/// Whether a text is already formatted (`Err` when it has syntax errors).
pub fn is_formatted(path: &str, text: &str) -> Result<bool, FormatError> {
    format(path, text).map(|f| f == text)
}

/// What the tree tells the layout.
#[derive(Default)]
struct Shape {
    /// Spans whose text is one token for spacing purposes (literals with units, units).
    atoms: Vec<Span>,
    /// Extents of statements (members, assignments, `use`, `unit`, block and item heads up
    /// to their `{`): lines starting inside one after its first token are continuations.
    /// `end` is exclusive; a block head ends at its `{`.
    stmts: Vec<Span>,
    /// Starts of `use` declarations with a `{ }` group: their braces are brackets, not
    /// bodies.
    uses: Vec<Span>,
    /// Block and item heads, whose extent ends at the next `{` token.
    heads: Vec<usize>,
}

fn format_parsed(text: &str, file: &File) -> String {
    let mut shape = Shape::default();
    for item in &file.items {
        match item {
            Item::Use(u) => {
                shape.stmts.push(u.span);
                shape.uses.push(u.span);
            }
            Item::Unit(u) => {
                shape.stmts.push(u.span);
                shape.atoms.push(u.value.span);
            }
            Item::Node(n) => {
                shape.heads.push(n.span.start as usize);
                members(&n.members, &mut shape);
            }
            Item::Plant(p) => {
                shape.heads.push(p.span.start as usize);
                members(&p.members, &mut shape);
            }
        }
    }
    let raw = lex::tokens(text);
    // Heads end at their `{`.
    for &h in &shape.heads {
        if let Some(brace) = raw
            .iter()
            .find(|t| t.span.start as usize >= h && t.text(text) == "{")
        {
            shape.stmts.push(Span::new(h, brace.span.start as usize));
        }
    }
    shape.stmts.sort_by_key(|s| s.start);
    shape.atoms.sort_by_key(|s| s.start);
    Printer::new(text, &raw, &shape).run()
}

fn members(ms: &[Member], shape: &mut Shape) {
    for m in ms {
        match &m.kind {
            MemberKind::For(f) => {
                shape.heads.push(m.span.start as usize);
                expr(&f.lo, shape);
                expr(&f.hi, shape);
                members(&f.members, shape);
            }
            MemberKind::Agent(a) => {
                shape.heads.push(m.span.start as usize);
                members(&a.members, shape);
            }
            MemberKind::When(w) => {
                shape.heads.push(m.span.start as usize);
                expr(&w.cond, shape);
                for a in &w.body {
                    shape.stmts.push(a.span);
                    path(&a.target, shape);
                    expr(&a.value, shape);
                }
            }
            MemberKind::OnDecide(body) => {
                shape.heads.push(m.span.start as usize);
                for a in body {
                    shape.stmts.push(a.span);
                    path(&a.target, shape);
                    expr(&a.value, shape);
                }
            }
            kind => {
                shape.stmts.push(m.span);
                simple_member(kind, shape);
            }
        }
    }
}

fn simple_member(kind: &MemberKind, shape: &mut Shape) {
    let mut e = |x: &Expr| expr(x, shape);
    match kind {
        MemberKind::Param(d) => {
            d.array.iter().for_each(&mut e);
            d.default.iter().for_each(&mut e);
            if let Some(b) = &d.bounds {
                e(&b.lo);
                e(&b.hi);
            }
            if let Some(t) = &d.ty {
                ty(t, shape);
            }
        }
        MemberKind::Port(d) => {
            d.array.iter().for_each(&mut e);
            d.value.iter().for_each(&mut e);
            ty(&d.ty, shape);
        }
        MemberKind::State(d) => {
            d.array.iter().for_each(&mut e);
            e(&d.init);
            ty(&d.ty, shape);
        }
        MemberKind::Let(d) => {
            d.array.iter().for_each(&mut e);
            e(&d.value);
            if let Some(t) = &d.ty {
                ty(t, shape);
            }
        }
        MemberKind::Equation(q) => {
            path(&q.target, shape);
            expr(&q.value, shape);
        }
        MemberKind::Instance(d) => {
            d.array.iter().for_each(&mut e);
            d.args.iter().for_each(|a| e(&a.value));
        }
        MemberKind::Bond(b) => {
            e(&b.source);
            path(&b.target, shape);
        }
        MemberKind::Dt(x)
        | MemberKind::DecideEvery(x)
        | MemberKind::DecideWhen(x)
        | MemberKind::Reward(x)
        | MemberKind::Terminate(x) => e(x),
        MemberKind::Integrator(d) => d.options.iter().for_each(|a| e(&a.value)),
        MemberKind::Action(a) => {
            match &a.kind {
                ActionKind::Continuous { ty: t, bounds, .. } => {
                    e(&bounds.lo);
                    e(&bounds.hi);
                    ty(t, shape);
                }
                ActionKind::Bool(_) => {}
                ActionKind::Choice { count, masks, .. } => {
                    expr(count, shape);
                    for m in masks.iter().flatten() {
                        expr(m, shape);
                    }
                }
            }
            if let Some(t) = &a.target {
                path(t, shape);
            }
        }
        MemberKind::Observe(o) => {
            e(&o.value);
            if let Some(b) = &o.bounds {
                e(&b.lo);
                e(&b.hi);
            }
            o.noise.iter().for_each(&mut e);
        }
        MemberKind::Truncate(t) => e(&t.value),
        MemberKind::For(_)
        | MemberKind::Agent(_)
        | MemberKind::When(_)
        | MemberKind::OnDecide(_) => {}
    }
}

fn ty(t: &Ty, shape: &mut Shape) {
    if let TyKind::Quantity(u) = &t.kind {
        shape.atoms.push(u.span);
    }
}

fn path(p: &Path, shape: &mut Shape) {
    for s in &p.segments {
        if let Some(ix) = &s.index {
            expr(ix, shape);
        }
    }
}

fn expr(e: &Expr, shape: &mut Shape) {
    // Iterative, so that deep expressions cannot overflow the stack.
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Number { .. } => shape.atoms.push(e.span),
            ExprKind::Bool(_) => {}
            ExprKind::Path(p) => {
                for s in &p.segments {
                    if let Some(ix) = &s.index {
                        stack.push(ix);
                    }
                }
            }
            ExprKind::Unary { operand, .. } => stack.push(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                stack.push(cond);
                stack.push(then);
                stack.push(otherwise);
            }
            ExprKind::Call { args, .. } => stack.extend(args.iter()),
            ExprKind::Paren(inner) => stack.push(inner),
        }
    }
}

/// One output token: its text (normalised for atoms) and what spacing needs to know.
struct Tok<'a> {
    text: std::borrow::Cow<'a, str>,
    kind: TokenKind,
    atom: bool,
    span: Span,
}

struct Printer<'a> {
    text: &'a str,
    toks: Vec<Tok<'a>>,
    shape: &'a Shape,
    out: String,
}

const KEYWORDS: &[&str] = crate::syntax::parser::KEYWORDS;

impl<'a> Printer<'a> {
    fn new(text: &'a str, raw: &[Token], shape: &'a Shape) -> Printer<'a> {
        // Merge the tokens of each atom into one.
        let mut toks = Vec::with_capacity(raw.len());
        let mut atoms = shape.atoms.iter().peekable();
        let mut i = 0;
        while i < raw.len() {
            let t = raw[i];
            while atoms.peek().is_some_and(|a| a.end <= t.span.start) {
                atoms.next();
            }
            if let Some(a) = atoms.peek().copied()
                && a.start <= t.span.start
                && t.span.end <= a.end
            {
                let mut j = i;
                while j < raw.len() && raw[j].span.end <= a.end {
                    j += 1;
                }
                toks.push(Tok {
                    text: atom_text(text, &raw[i..j], *a),
                    kind: TokenKind::Word,
                    atom: true,
                    span: *a,
                });
                i = j.max(i + 1);
                continue;
            }
            let s = t.text(text);
            let s = match t.kind {
                TokenKind::LineComment | TokenKind::DocComment => s.trim_end(),
                _ => s,
            };
            toks.push(Tok {
                text: std::borrow::Cow::Borrowed(s),
                kind: t.kind,
                atom: false,
                span: t.span,
            });
            i += 1;
        }
        Printer {
            text,
            toks,
            shape,
            out: String::with_capacity(text.len() + text.len() / 8),
        }
    }

    fn is_use_brace(&self, span: Span) -> bool {
        self.shape
            .uses
            .iter()
            .any(|u| u.start <= span.start && span.end <= u.end)
    }

    fn run(mut self) -> String {
        if self.text.starts_with('\u{feff}') {
            self.out.push('\u{feff}');
        }
        let mut depth: usize = 0;
        let mut stmts = self.shape.stmts.iter().peekable();
        // The statement the current token is in, and the brackets open in it.
        let mut stmt: Option<Span> = None;
        let mut open: usize = 0;
        let mut prev: Option<usize> = None; // index of the previous token
        let mut prev_code: Option<usize> = None; // ... that is not a comment
        for i in 0..self.toks.len() {
            let t = &self.toks[i];
            let start = t.span.start;
            let body_brace = (t.text == "{" || t.text == "}") && !self.is_use_brace(t.span);
            // Which statement are we in?
            while stmts.peek().is_some_and(|s| s.start <= start) {
                stmt = stmts.next().copied();
                open = 0;
            }
            let in_stmt = stmt.filter(|s| s.start < start && start < s.end.max(s.start + 1));
            let newlines = match prev {
                None => usize::MAX,
                Some(p) => {
                    let gap = &self.text[self.toks[p].span.end as usize..start as usize];
                    gap.matches('\n').count()
                }
            };
            if body_brace && t.text == "}" {
                depth = depth.saturating_sub(1);
            }
            if newlines > 0 {
                // A new line.
                if prev.is_some() {
                    // Right after a body's `{` (and the comments on its line).
                    let after_open = prev_code.is_some_and(|c| {
                        let (c, p) = (&self.toks[c], &self.toks[prev.unwrap_or(c)]);
                        c.text == "{"
                            && !self.is_use_brace(c.span)
                            && !self
                                .text
                                .get(c.span.end as usize..p.span.start.max(c.span.end) as usize)
                                .is_some_and(|gap| gap.contains('\n'))
                    });
                    let before_close = body_brace && t.text == "}";
                    self.out.push('\n');
                    if newlines >= 2 && !after_open && !before_close {
                        self.out.push('\n');
                    }
                }
                let mut indent = depth;
                if in_stmt.is_some() {
                    let closers = self.toks[i..]
                        .iter()
                        .take_while(|x| {
                            is_closer(x) && (x.text != "}" || self.is_use_brace(x.span))
                        })
                        .count();
                    indent += if closers > 0 {
                        open.saturating_sub(closers)
                    } else {
                        open.max(1)
                    };
                }
                for _ in 0..indent {
                    self.out.push_str("    ");
                }
            } else if let Some(p) = prev
                && self.space_between(p, i, prev_code)
            {
                self.out.push(' ');
            }
            let t = &self.toks[i];
            self.out.push_str(&t.text);
            if in_stmt.is_some() || stmt.is_some_and(|s| s.start == start) {
                if is_opener(t) && (t.text != "{" || self.is_use_brace(t.span)) {
                    open += 1;
                } else if is_closer(t) && (t.text != "}" || self.is_use_brace(t.span)) {
                    open = open.saturating_sub(1);
                }
            }
            if body_brace && t.text == "{" {
                depth += 1;
            }
            if !t.kind.is_comment() {
                prev_code = Some(i);
            }
            prev = Some(i);
        }
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        if self.out == "\u{feff}\n" {
            self.out.truncate(self.out.len() - 1);
        }
        self.out
    }

    /// Whether tokens `a` and `b` (consecutive, on one line) are separated by a space.
    fn space_between(&self, a: usize, b: usize, prev_code: Option<usize>) -> bool {
        let (x, y) = (&self.toks[a], &self.toks[b]);
        let (xs, ys) = (x.text.as_ref(), y.text.as_ref());
        if x.kind.is_comment() || y.kind.is_comment() {
            return true;
        }
        if (xs == "{" && self.is_use_brace(x.span)) || (ys == "}" && self.is_use_brace(y.span)) {
            return false; // `use a::{B, C}`
        }
        if x.kind == TokenKind::Punct && !x.atom {
            match xs {
                "(" | "[" | "." | "::" | "^" => return false,
                "{" => return ys != "}",
                "-" if self.is_unary_minus(a) => return false,
                _ => {}
            }
        }
        if y.kind == TokenKind::Punct && !y.atom {
            match ys {
                "," | ";" | ")" | "]" | ":" | "." | "::" | "^" => return false,
                "(" => return !is_name(x),
                "[" => return !(is_name(x) || xs == "]" || xs == ")"),
                _ => {}
            }
        }
        let _ = prev_code;
        true
    }

    /// A `-` is unary unless it follows a value: a name, a literal, `)` or `]`.
    fn is_unary_minus(&self, i: usize) -> bool {
        let before = self.toks[..i].iter().rev().find(|t| !t.kind.is_comment());
        match before {
            None => true,
            Some(t) => {
                !(t.atom
                    || is_name(t)
                    || t.text == ")"
                    || t.text == "]"
                    || t.text == "true"
                    || t.text == "false")
            }
        }
    }
}

/// A name that is not a reserved word (a call or an index may follow it directly).
fn is_name(t: &Tok<'_>) -> bool {
    !t.atom && t.kind == TokenKind::Word && !KEYWORDS.contains(&t.text.as_ref())
}

fn is_opener(t: &Tok<'_>) -> bool {
    !t.atom && t.kind == TokenKind::Punct && matches!(t.text.as_ref(), "(" | "[" | "{")
}

fn is_closer(t: &Tok<'_>) -> bool {
    !t.atom && t.kind == TokenKind::Punct && matches!(t.text.as_ref(), ")" | "]" | "}")
}

/// The canonical text of an atom: its tokens without spaces, except one space between a
/// number and a unit name or `(` (`2 m/s`, `6894.757 Pa`). An atom containing a comment is
/// kept as written.
fn atom_text<'a>(text: &'a str, toks: &[Token], span: Span) -> std::borrow::Cow<'a, str> {
    let raw = text.get(span.range()).unwrap_or("");
    if toks.iter().any(|t| t.kind.is_comment()) {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut s = String::with_capacity(raw.len());
    let mut prev: Option<Token> = None;
    for t in toks {
        let tt = t.text(text);
        if let Some(p) = prev
            && p.kind == TokenKind::Number
            && (t.kind == TokenKind::Word || tt == "(" || tt == "%")
        {
            s.push(' ');
        }
        s.push_str(tt);
        prev = Some(*t);
    }
    if s == raw {
        std::borrow::Cow::Borrowed(raw)
    } else {
        std::borrow::Cow::Owned(s)
    }
}

#[cfg(test)]
mod tests;
