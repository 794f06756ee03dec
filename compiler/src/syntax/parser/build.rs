//! From pest pairs to the typed AST.
//!
//! The pairs come from a parse of the text after some offset `base`; every span is shifted
//! by it. Spans are built from the tokens themselves (pest spans of non-atomic rules may
//! include trailing whitespace when they end with an optional part).
//!
//! Expressions and units are checked against the nesting limit while they are built (both
//! the recursion depth and the height of the tree), so a deep tree is never built.

use pest::iterators::{Pair, Pairs};
use std::iter::Peekable;

use super::MAX_DEPTH;
use super::grammar::Rule;
use super::scan;
use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::*;

/// Why building stopped.
pub(super) enum Fail {
    /// `a < b < c`: the second comparison operator.
    Chain(Span),
    /// A reserved word where a name is expected.
    Reserved(Ident),
    /// A reserved word where a unit is expected.
    NotUnit(Span),
    /// Nesting beyond [`MAX_DEPTH`] at this span.
    TooDeep(Span),
    /// The pairs did not have the shape the grammar promises (a bug).
    Internal,
}

type R<T> = Result<T, Fail>;
/// An expression and the height of its tree.
type Ex = (Expr, u32);

pub(super) struct Builder<'d> {
    pub base: usize,
    pub file: &'d str,
    pub diags: &'d mut Vec<Diagnostic>,
}

/// Walks the children of a pair in order.
struct Cur<'i> {
    it: Peekable<Pairs<'i, Rule>>,
}

impl<'i> Cur<'i> {
    fn new(p: Pair<'i, Rule>) -> Cur<'i> {
        Cur {
            it: p.into_inner().peekable(),
        }
    }
    fn peek(&mut self) -> Option<Rule> {
        self.it.peek().map(|p| p.as_rule())
    }
    fn take(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        if self.peek() == Some(rule) {
            self.it.next()
        } else {
            None
        }
    }
    fn next(&mut self) -> R<Pair<'i, Rule>> {
        self.it.next().ok_or(Fail::Internal)
    }
    fn expect(&mut self, rule: Rule) -> R<Pair<'i, Rule>> {
        match self.it.next() {
            Some(p) if p.as_rule() == rule => Ok(p),
            _ => Err(Fail::Internal),
        }
    }
}

fn first_child(p: Pair<'_, Rule>) -> R<Pair<'_, Rule>> {
    p.into_inner().next().ok_or(Fail::Internal)
}

/// An element of a flat expression.
enum Tok<'i> {
    Prefix(UnaryOp, Span),
    Infix(BinaryOp, Span),
    Operand(Pair<'i, Rule>),
}

type Toks<'i> = Peekable<std::vec::IntoIter<Tok<'i>>>;

/// Right binding power of `not`: its operand takes comparisons and arithmetic, not
/// `and` / `or`.
const NOT_BP: u8 = 6;
/// Right binding power of prefix `-`: its operand takes `^` only.
const NEG_BP: u8 = 14;

/// Left and right binding powers (left-associative: right > left).
fn infix_bp(op: BinaryOp) -> (u8, u8) {
    match op {
        BinaryOp::Or => (2, 3),
        BinaryOp::And => (4, 5),
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            (8, 9)
        }
        BinaryOp::Add | BinaryOp::Sub => (10, 11),
        BinaryOp::Mul | BinaryOp::Div => (12, 13),
        // Right-associative.
        BinaryOp::Pow => (16, 15),
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
    )
}

/// The kind of member a block head starts.
pub(super) enum Head {
    For { var: Ident, lo: Expr, hi: Expr },
    Agent(Ident),
    When(Expr),
    OnDecide,
}

impl Builder<'_> {
    /// The span of a pair whose own span is exact (tokens and atomic rules).
    fn sp(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.base + s.start(), self.base + s.end())
    }

    /// A name; reserved words are rejected (`on` is contextual and allowed).
    fn ident(&self, p: &Pair<'_, Rule>) -> R<Ident> {
        let id = Ident {
            name: p.as_str().to_string(),
            span: self.sp(p),
        };
        if scan::is_keyword(&id.name) {
            return Err(Fail::Reserved(id));
        }
        Ok(id)
    }

    fn number(&mut self, p: &Pair<'_, Rule>) -> f64 {
        let text = p.as_str();
        let value = text.parse::<f64>().unwrap_or(f64::INFINITY);
        if !value.is_finite() {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_NUMBER,
                    format!("the number `{text}` is too large"),
                    self.file,
                    self.sp(p),
                    "not a finite 64-bit number",
                )
                .with_help("write a number between about -1.8e308 and 1.8e308"),
            );
        }
        value
    }

    fn check(&self, h: u32, span: Span) -> R<()> {
        if h > MAX_DEPTH {
            Err(Fail::TooDeep(span))
        } else {
            Ok(())
        }
    }

    // ---- units ---------------------------------------------------------------------------

    fn exponent(&mut self, p: &Pair<'_, Rule>) -> Rational {
        self.exponent_text(p.as_str(), self.sp(p))
    }

    /// An exponent as written (`2`, `-1`, `(1/2)`) at `span`.
    fn exponent_text(&mut self, text: &str, span: Span) -> Rational {
        let raw: String = text
            .chars()
            .filter(|c| !matches!(c, '(' | ')' | ' ' | '\t'))
            .collect();
        let (num, den) = match raw.split_once('/') {
            Some((n, d)) => (n, d),
            None => (raw.as_str(), "1"),
        };
        let bad = |this: &mut Self, msg: &str, label: &str| {
            this.diags.push(
                Diagnostic::error(codes::BAD_EXPONENT, msg, this.file, span, label)
                    .with_help("write a constant exponent such as `2`, `-1` or `(1/2)`"),
            );
            Rational { num: 1, den: 1 }
        };
        match (num.parse::<i64>(), den.parse::<i64>()) {
            (Ok(_), Ok(0)) => bad(
                self,
                "unit exponent has a zero denominator",
                "the denominator is 0",
            ),
            (Ok(n), Ok(d)) => {
                if d < 0 {
                    match (n.checked_neg(), d.checked_neg()) {
                        (Some(n), Some(d)) => Rational { num: n, den: d },
                        _ => bad(self, "unit exponent is too large", "too large"),
                    }
                } else {
                    Rational { num: n, den: d }
                }
            }
            _ => bad(self, "unit exponent is too large", "too large"),
        }
    }

    fn unit_bin(op: &str, lhs: UnitExpr, rhs: UnitExpr) -> UnitExpr {
        let span = lhs.span.to(rhs.span);
        let kind = if op == "*" {
            UnitExprKind::Mul(Box::new(lhs), Box::new(rhs))
        } else {
            UnitExprKind::Div(Box::new(lhs), Box::new(rhs))
        };
        UnitExpr { kind, span }
    }

    /// `compact_unit` (one token): atoms `name` or `name^exp` joined by `*` and `/`.
    fn compact_unit(&mut self, p: Pair<'_, Rule>) -> R<UnitExpr> {
        let text = p.as_str();
        let base = self.base + p.as_span().start();
        let is_unit_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || "µμ°Ω".contains(c);
        let mut i = 0;
        let mut acc: Option<UnitExpr> = None;
        let mut op = '*';
        let mut h = 1;
        loop {
            let start = i;
            if text[i..].starts_with('%') {
                i += 1;
            } else {
                i += text[i..]
                    .char_indices()
                    .find(|&(_, c)| !is_unit_char(c))
                    .map_or(text.len() - i, |(k, _)| k);
            }
            if i == start {
                return Err(Fail::Internal);
            }
            let mut atom = UnitExpr {
                kind: UnitExprKind::Name(text[start..i].to_string()),
                span: Span::new(base + start, base + i),
            };
            if text[i..].starts_with('^') {
                let es = i + 1;
                let ee = if text[es..].starts_with('(') {
                    es + text[es..].find(')').ok_or(Fail::Internal)? + 1
                } else {
                    let len = text[es..]
                        .char_indices()
                        .find(|&(k, c)| !(c.is_ascii_digit() || (k == 0 && c == '-')))
                        .map_or(text.len() - es, |(k, _)| k);
                    es + len
                };
                let espan = Span::new(base + es, base + ee);
                let r = self.exponent_text(&text[es..ee], espan);
                let span = atom.span.to(espan);
                atom = UnitExpr {
                    kind: UnitExprKind::Pow(Box::new(atom), r),
                    span,
                };
                i = ee;
            }
            acc = Some(match acc {
                None => atom,
                Some(lhs) => {
                    h += 1;
                    let u = Self::unit_bin(if op == '*' { "*" } else { "/" }, lhs, atom);
                    self.check(h, u.span)?;
                    u
                }
            });
            match text[i..].chars().next() {
                Some(c @ ('*' | '/')) => {
                    op = c;
                    i += 1;
                }
                _ => break,
            }
        }
        acc.ok_or(Fail::Internal)
    }

    /// A unit in type position or a `unit` declaration; returns the unit and its height.
    fn unit_expr(&mut self, p: Pair<'_, Rule>, d: u32) -> R<(UnitExpr, u32)> {
        if stop_recursion(d) {
            return Err(Fail::TooDeep(self.sp(&p)));
        }
        let mut c = Cur::new(p);
        let (mut acc, mut h) = self.unit_factor(c.expect(Rule::unit_factor)?, d)?;
        while let Some(op) = c.take(Rule::unit_op) {
            let (rhs, rh) = self.unit_factor(c.expect(Rule::unit_factor)?, d)?;
            acc = Self::unit_bin(op.as_str(), acc, rhs);
            h = h.max(rh) + 1;
            self.check(h, acc.span)?;
        }
        Ok((acc, h))
    }

    fn unit_factor(&mut self, p: Pair<'_, Rule>, d: u32) -> R<(UnitExpr, u32)> {
        let mut c = Cur::new(p);
        let atom = c.next()?;
        let (base, h) = match atom.as_rule() {
            Rule::type_unit_name if scan::is_keyword(atom.as_str()) => {
                return Err(Fail::NotUnit(self.sp(&atom)));
            }
            Rule::type_unit_name => (
                UnitExpr {
                    kind: UnitExprKind::Name(atom.as_str().to_string()),
                    span: self.sp(&atom),
                },
                1,
            ),
            Rule::number => {
                let v = self.number(&atom);
                (
                    UnitExpr {
                        kind: UnitExprKind::Number(v),
                        span: self.sp(&atom),
                    },
                    1,
                )
            }
            Rule::unit_paren => {
                let mut pc = Cur::new(atom);
                let open = self.sp(&pc.expect(Rule::lparen)?);
                let (mut inner, h) = self.unit_expr(pc.expect(Rule::unit_expr)?, d + 1)?;
                let close = self.sp(&pc.expect(Rule::rparen)?);
                inner.span = open.to(close);
                (inner, h)
            }
            _ => return Err(Fail::Internal),
        };
        if c.take(Rule::pow_op).is_some() {
            let exp = c.expect(Rule::exponent)?;
            let r = self.exponent(&exp);
            let span = base.span.to(self.sp(&exp));
            let u = UnitExpr {
                kind: UnitExprKind::Pow(Box::new(base), r),
                span,
            };
            self.check(h + 1, u.span)?;
            return Ok((u, h + 1));
        }
        Ok((base, h))
    }

    pub fn ty(&mut self, p: Pair<'_, Rule>) -> R<Ty> {
        let unit = first_child(p)?;
        if unit.as_rule() == Rule::simple_unit {
            let span = self.sp(&unit);
            let kind = match unit.as_str() {
                "bool" => TyKind::Bool,
                "int" => TyKind::Int,
                name if scan::is_keyword(name) => return Err(Fail::NotUnit(span)),
                name => TyKind::Quantity(UnitExpr {
                    kind: UnitExprKind::Name(name.to_string()),
                    span,
                }),
            };
            return Ok(Ty { kind, span });
        }
        // `bool` and `int` are read as unit names by the grammar.
        let mut factors = unit.clone().into_inner();
        if let (Some(f), None) = (factors.next(), factors.next()) {
            let mut parts = f.into_inner();
            if let (Some(name), None) = (parts.next(), parts.next())
                && name.as_rule() == Rule::type_unit_name
            {
                let span = self.sp(&name);
                match name.as_str() {
                    "bool" => {
                        return Ok(Ty {
                            kind: TyKind::Bool,
                            span,
                        });
                    }
                    "int" => {
                        return Ok(Ty {
                            kind: TyKind::Int,
                            span,
                        });
                    }
                    _ => {}
                }
            }
        }
        let (u, _) = self.unit_expr(unit, 0)?;
        Ok(Ty {
            span: u.span,
            kind: TyKind::Quantity(u),
        })
    }

    /// `unit_value`: `number unit_expr` (a product) or a `unit_expr`.
    fn unit_value(&mut self, p: Pair<'_, Rule>) -> R<UnitExpr> {
        let mut c = Cur::new(p);
        if let Some(n) = c.take(Rule::number) {
            let v = self.number(&n);
            let lhs = UnitExpr {
                kind: UnitExprKind::Number(v),
                span: self.sp(&n),
            };
            let (rhs, _) = self.unit_expr(c.expect(Rule::unit_expr)?, 0)?;
            return Ok(Self::unit_bin("*", lhs, rhs));
        }
        Ok(self.unit_expr(c.expect(Rule::unit_expr)?, 0)?.0)
    }

    // ---- expressions ---------------------------------------------------------------------

    pub fn expr(&mut self, p: Pair<'_, Rule>) -> R<Expr> {
        Ok(self.ex(p, 0)?.0)
    }

    fn node(&self, kind: ExprKind, span: Span, h: u32) -> R<Ex> {
        self.check(h, span)?;
        Ok((Expr { kind, span }, h))
    }

    /// An `expr` pair: a flat sequence of prefix operators, operands and infix operators,
    /// turned into a tree by precedence climbing.
    ///
    /// The functions on the recursion path (`ex`, `climb`, `operand` and the operand kinds)
    /// keep their frames small, and [`stop_recursion`] bounds the depth.
    fn ex(&mut self, p: Pair<'_, Rule>, d: u32) -> R<Ex> {
        if stop_recursion(d) {
            let at = self.base + p.as_span().start();
            return Err(Fail::TooDeep(Span::new(at, at + 1)));
        }
        let mut inner = p.into_inner();
        if inner.len() == 1 {
            // A lone operand (the common case): no operator list to build.
            return match inner.next() {
                Some(q) if q.as_rule() == Rule::operand => self.operand(q, d),
                _ => Err(Fail::Internal),
            };
        }
        self.flat(inner, d)
    }

    #[inline(never)]
    fn flat(&mut self, inner: Pairs<'_, Rule>, d: u32) -> R<Ex> {
        let mut toks = Vec::new();
        for q in inner {
            let span = self.sp(&q);
            toks.push(match q.as_rule() {
                Rule::prefix_op if q.as_str() == "-" => Tok::Prefix(UnaryOp::Neg, span),
                Rule::prefix_op => Tok::Prefix(UnaryOp::Not, span),
                Rule::infix_op => Tok::Infix(binary_op(q.as_str()).ok_or(Fail::Internal)?, span),
                Rule::operand => Tok::Operand(q),
                _ => return Err(Fail::Internal),
            });
        }
        let mut toks = toks.into_iter().peekable();
        self.climb(&mut toks, 0, d)
    }

    /// Precedence climbing over `toks` for operators binding at least `min_bp`.
    fn climb<'i>(&mut self, toks: &mut Toks<'i>, min_bp: u8, d: u32) -> R<Ex> {
        let (mut lhs, mut h) = match toks.next() {
            Some(Tok::Prefix(op, span)) => {
                if stop_recursion(d + 1) {
                    return Err(Fail::TooDeep(span));
                }
                let rbp = match op {
                    UnaryOp::Not => NOT_BP,
                    UnaryOp::Neg => NEG_BP,
                };
                let (operand, oh) = self.climb(toks, rbp, d + 1)?;
                let span = span.to(operand.span);
                self.node(
                    ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    span,
                    oh + 1,
                )?
            }
            Some(Tok::Operand(q)) => self.operand(q, d)?,
            _ => return Err(Fail::Internal),
        };
        let mut lhs_is_cmp = false;
        while let Some(&Tok::Infix(op, span)) = toks.peek() {
            let (lbp, rbp) = infix_bp(op);
            if lbp < min_bp {
                break;
            }
            if is_comparison(op) && lhs_is_cmp {
                return Err(Fail::Chain(span));
            }
            toks.next();
            if stop_recursion(d + 1) {
                return Err(Fail::TooDeep(span));
            }
            let (rhs, rh) = self.climb(toks, rbp, d + 1)?;
            let span = lhs.span.to(rhs.span);
            h = h.max(rh) + 1;
            lhs = self
                .node(
                    ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                    h,
                )?
                .0;
            lhs_is_cmp = is_comparison(op);
        }
        Ok((lhs, h))
    }

    /// An `operand` pair.
    fn operand(&mut self, p: Pair<'_, Rule>, d: u32) -> R<Ex> {
        let p = first_child(p)?;
        match p.as_rule() {
            Rule::ref_expr => self.ref_operand(p, d),
            Rule::number_lit => self.number_operand(p),
            Rule::paren => self.paren_operand(p, d),
            Rule::if_expr => self.if_operand(p, d),
            _ => Err(Fail::Internal),
        }
    }

    /// A call or a path (or `true` / `false`).
    #[inline(never)]
    fn ref_operand(&mut self, p: Pair<'_, Rule>, d: u32) -> R<Ex> {
        let mut c = Cur::new(p);
        let first = c.expect(Rule::ident)?;
        if matches!(first.as_str(), "true" | "false") && c.peek().is_none() {
            let span = self.sp(&first);
            return self.node(ExprKind::Bool(first.as_str() == "true"), span, 1);
        }
        let name = self.ident(&first)?;
        if let Some(args_pair) = c.take(Rule::call_args) {
            let mut ac = Cur::new(args_pair);
            ac.expect(Rule::lparen)?;
            let mut args = Vec::new();
            let mut h = 0;
            let close = loop {
                let q = ac.next()?;
                match q.as_rule() {
                    Rule::expr => {
                        let (a, ah) = self.ex(q, d + 1)?;
                        h = h.max(ah);
                        args.push(a);
                    }
                    Rule::comma => {}
                    Rule::rparen => break self.sp(&q),
                    _ => return Err(Fail::Internal),
                }
            };
            let span = name.span.to(close);
            return self.node(ExprKind::Call { func: name, args }, span, h + 1);
        }
        // A path: the first segment's index, then `.segment`s.
        let mut h = 1;
        let mut span = name.span;
        let index = match c.take(Rule::index) {
            Some(ix) => {
                let (e, close, eh) = self.index(ix, d)?;
                span = span.to(close);
                h = h.max(eh + 1);
                Some(Box::new(e))
            }
            None => None,
        };
        let mut segments = vec![PathSegment { name, index }];
        while c.take(Rule::dot).is_some() {
            let (seg, end, sh) = self.path_seg(c.expect(Rule::path_seg)?, d)?;
            span = span.to(end);
            h = h.max(sh);
            segments.push(seg);
        }
        self.check(h, span)?;
        self.node(ExprKind::Path(Path { segments, span }), span, h)
    }

    #[inline(never)]
    fn number_operand(&mut self, p: Pair<'_, Rule>) -> R<Ex> {
        let mut c = Cur::new(p);
        let num = c.expect(Rule::number)?;
        let value = self.number(&num);
        let mut span = self.sp(&num);
        let unit = match c.take(Rule::compact_unit) {
            Some(u) => {
                let u = self.compact_unit(u)?;
                span = span.to(u.span);
                Some(u)
            }
            None => None,
        };
        self.node(ExprKind::Number { value, unit }, span, 1)
    }

    #[inline(never)]
    fn paren_operand(&mut self, p: Pair<'_, Rule>, d: u32) -> R<Ex> {
        let mut c = Cur::new(p);
        let open = self.sp(&c.expect(Rule::lparen)?);
        let (inner, h) = self.ex(c.expect(Rule::expr)?, d + 1)?;
        let close = self.sp(&c.expect(Rule::rparen)?);
        self.node(ExprKind::Paren(Box::new(inner)), open.to(close), h + 1)
    }

    #[inline(never)]
    fn if_operand(&mut self, p: Pair<'_, Rule>, d: u32) -> R<Ex> {
        let mut c = Cur::new(p);
        let kw = self.sp(&c.expect(Rule::kw_if)?);
        let (cond, h1) = self.ex(c.expect(Rule::expr)?, d + 1)?;
        c.expect(Rule::kw_then)?;
        let (then, h2) = self.ex(c.expect(Rule::expr)?, d + 1)?;
        c.expect(Rule::kw_else)?;
        let (otherwise, h3) = self.ex(c.expect(Rule::expr)?, d + 1)?;
        let span = kw.to(otherwise.span);
        let h = h1.max(h2).max(h3) + 1;
        self.node(
            ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
            h,
        )
    }

    /// `[ expr ]`: the index, the span of `]` and the height.
    fn index(&mut self, p: Pair<'_, Rule>, d: u32) -> R<(Expr, Span, u32)> {
        let mut c = Cur::new(p);
        c.expect(Rule::lbracket)?;
        let (e, h) = self.ex(c.expect(Rule::expr)?, d + 1)?;
        let close = self.sp(&c.expect(Rule::rbracket)?);
        Ok((e, close, h))
    }

    /// `name [index]?`: the segment, its end and the height.
    fn path_seg(&mut self, p: Pair<'_, Rule>, d: u32) -> R<(PathSegment, Span, u32)> {
        let mut c = Cur::new(p);
        let name = self.ident(&c.expect(Rule::ident)?)?;
        match c.take(Rule::index) {
            Some(ix) => {
                let (e, close, h) = self.index(ix, d)?;
                Ok((
                    PathSegment {
                        name,
                        index: Some(Box::new(e)),
                    },
                    close,
                    h + 1,
                ))
            }
            None => {
                let end = name.span;
                Ok((PathSegment { name, index: None }, end, 1))
            }
        }
    }

    /// A target path (`der x[i] = ...`, `bond ... -> tank.inflow`).
    pub fn path(&mut self, p: Pair<'_, Rule>) -> R<Path> {
        let mut segments = Vec::new();
        let mut span: Option<Span> = None;
        let mut h = 1;
        for q in p.into_inner() {
            if q.as_rule() != Rule::path_seg {
                continue;
            }
            let (seg, end, sh) = self.path_seg(q, 0)?;
            span = Some(span.unwrap_or(seg.name.span).to(end));
            h = h.max(sh);
            segments.push(seg);
        }
        let span = span.ok_or(Fail::Internal)?;
        self.check(h, span)?;
        Ok(Path { segments, span })
    }

    // ---- members ---------------------------------------------------------------------

    /// `[ expr ]` after a declared name; returns the size and the end of the `]`.
    fn array_size(&mut self, c: &mut Cur<'_>) -> R<Option<(Expr, usize)>> {
        match c.take(Rule::array_size) {
            Some(a) => {
                let mut ac = Cur::new(a);
                ac.expect(Rule::lbracket)?;
                let e = self.expr(ac.expect(Rule::expr)?)?;
                let close = self.sp(&ac.expect(Rule::rbracket)?);
                Ok(Some((e, close.end as usize)))
            }
            None => Ok(None),
        }
    }

    fn bounds(&mut self, p: Pair<'_, Rule>) -> R<Bounds> {
        let mut c = Cur::new(p);
        c.expect(Rule::kw_in)?;
        let lo = self.expr(c.expect(Rule::expr)?)?;
        c.expect(Rule::range_op)?;
        let hi = self.expr(c.expect(Rule::expr)?)?;
        let span = lo.span.to(hi.span);
        Ok(Bounds { lo, hi, span })
    }

    /// `( name: value, ... )`; returns the arguments and the span of the parentheses.
    fn args(&mut self, p: Pair<'_, Rule>) -> R<(Vec<Arg>, Span)> {
        let mut c = Cur::new(p);
        let open = self.sp(&c.expect(Rule::lparen)?);
        let mut args = Vec::new();
        loop {
            let q = c.next()?;
            match q.as_rule() {
                Rule::arg => {
                    let mut ac = Cur::new(q);
                    let name = self.ident(&ac.expect(Rule::ident)?)?;
                    ac.expect(Rule::colon)?;
                    let value = self.expr(ac.expect(Rule::expr)?)?;
                    let span = name.span.to(value.span);
                    args.push(Arg { name, value, span });
                }
                Rule::comma => {}
                Rule::rparen => return Ok((args, open.to(self.sp(&q)))),
                _ => return Err(Fail::Internal),
            }
        }
    }

    /// A simple member declaration (not a block); returns its kind and absolute end.
    pub fn member(&mut self, p: Pair<'_, Rule>) -> R<(MemberKind, usize)> {
        let rule = p.as_rule();
        let mut c = Cur::new(p);
        let mut end;
        let kind = match rule {
            Rule::param_decl => {
                c.expect(Rule::kw_param)?;
                let name = self.ident(&c.expect(Rule::ident)?)?;
                end = name.span.end as usize;
                let array = self.array_size(&mut c)?.map(|(e, at)| {
                    end = at;
                    e
                });
                let mut ty = None;
                if c.take(Rule::colon).is_some() {
                    let t = self.ty(c.expect(Rule::ty)?)?;
                    end = t.span.end as usize;
                    ty = Some(t);
                }
                let mut default = None;
                if c.take(Rule::eq).is_some() {
                    let e = self.expr(c.expect(Rule::expr)?)?;
                    end = e.span.end as usize;
                    default = Some(e);
                }
                let mut bounds = None;
                if let Some(b) = c.take(Rule::bounds) {
                    let b = self.bounds(b)?;
                    end = b.span.end as usize;
                    bounds = Some(b);
                }
                MemberKind::Param(ParamDecl {
                    name,
                    array,
                    ty,
                    default,
                    bounds,
                })
            }
            Rule::in_port | Rule::out_port => {
                let dir = if c.take(Rule::kw_in).is_some() {
                    PortDir::In
                } else {
                    c.expect(Rule::kw_out)?;
                    PortDir::Out
                };
                let name = self.ident(&c.expect(Rule::ident)?)?;
                let array = self.array_size(&mut c)?.map(|(e, _)| e);
                c.expect(Rule::colon)?;
                let ty = self.ty(c.expect(Rule::ty)?)?;
                end = ty.span.end as usize;
                let mut value = None;
                if c.take(Rule::eq).is_some() {
                    let e = self.expr(c.expect(Rule::expr)?)?;
                    end = e.span.end as usize;
                    value = Some(e);
                }
                let sum = c.take(Rule::kw_sum).map(|s| self.sp(&s));
                if let Some(s) = sum {
                    end = s.end as usize;
                }
                if value.is_none() && c.take(Rule::eq).is_some() {
                    // `sum = default`: kept for the checker to report (E0308).
                    let e = self.expr(c.expect(Rule::expr)?)?;
                    end = e.span.end as usize;
                    value = Some(e);
                }
                MemberKind::Port(PortDecl {
                    dir,
                    name,
                    array,
                    ty,
                    value,
                    sum,
                })
            }
            Rule::state_decl => {
                c.expect(Rule::kw_state)?;
                let name = self.ident(&c.expect(Rule::ident)?)?;
                let array = self.array_size(&mut c)?.map(|(e, _)| e);
                c.expect(Rule::colon)?;
                let ty = self.ty(c.expect(Rule::ty)?)?;
                c.expect(Rule::eq)?;
                let init = self.expr(c.expect(Rule::expr)?)?;
                end = init.span.end as usize;
                MemberKind::State(StateDecl {
                    name,
                    array,
                    ty,
                    init,
                })
            }
            Rule::let_decl => {
                c.expect(Rule::kw_let)?;
                let name = self.ident(&c.expect(Rule::ident)?)?;
                let array = self.array_size(&mut c)?.map(|(e, _)| e);
                let ty = match c.take(Rule::colon) {
                    Some(_) => Some(self.ty(c.expect(Rule::ty)?)?),
                    None => None,
                };
                c.expect(Rule::eq)?;
                let value = self.expr(c.expect(Rule::expr)?)?;
                end = value.span.end as usize;
                MemberKind::Let(LetDecl {
                    name,
                    array,
                    ty,
                    value,
                })
            }
            Rule::equation => {
                let kw = c.next()?;
                let kind = if kw.as_rule() == Rule::kw_der {
                    EquationKind::Der
                } else {
                    EquationKind::Next
                };
                let target = self.path(c.expect(Rule::path)?)?;
                c.expect(Rule::eq)?;
                let value = self.expr(c.expect(Rule::expr)?)?;
                end = value.span.end as usize;
                MemberKind::Equation(Equation {
                    kind,
                    keyword: self.sp(&kw),
                    target,
                    value,
                })
            }
            Rule::instance_decl => {
                let name = self.ident(&c.expect(Rule::ident)?)?;
                let array = self.array_size(&mut c)?.map(|(e, _)| e);
                c.expect(Rule::eq)?;
                let node = self.ident(&c.expect(Rule::ident)?)?;
                let (args, parens) = self.args(c.expect(Rule::args)?)?;
                end = parens.end as usize;
                MemberKind::Instance(InstanceDecl {
                    name,
                    array,
                    call_span: node.span.to(parens),
                    node,
                    args,
                })
            }
            Rule::bond_decl => {
                c.expect(Rule::kw_bond)?;
                let source = self.expr(c.expect(Rule::expr)?)?;
                c.expect(Rule::arrow)?;
                let target = self.path(c.expect(Rule::path)?)?;
                end = target.span.end as usize;
                MemberKind::Bond(BondDecl { source, target })
            }
            Rule::dt_decl => {
                c.expect(Rule::kw_dt)?;
                let e = self.expr(c.expect(Rule::expr)?)?;
                end = e.span.end as usize;
                MemberKind::Dt(e)
            }
            Rule::decide_decl => {
                c.expect(Rule::kw_decide)?;
                let every = c.take(Rule::kw_every).is_some();
                if !every {
                    c.expect(Rule::kw_when)?;
                }
                let e = self.expr(c.expect(Rule::expr)?)?;
                end = e.span.end as usize;
                if every {
                    MemberKind::DecideEvery(e)
                } else {
                    MemberKind::DecideWhen(e)
                }
            }
            Rule::integrator_decl => {
                c.expect(Rule::kw_integrator)?;
                let name = self.ident(&c.expect(Rule::ident)?)?;
                end = name.span.end as usize;
                let options = match c.take(Rule::args) {
                    Some(a) => {
                        let (args, parens) = self.args(a)?;
                        end = parens.end as usize;
                        args
                    }
                    None => Vec::new(),
                };
                MemberKind::Integrator(IntegratorDecl { name, options })
            }
            Rule::action_decl => {
                c.expect(Rule::kw_action)?;
                let name = self.ident(&c.expect(Rule::ident)?)?;
                c.expect(Rule::colon)?;
                let (kind, kind_end) = self.action_kind(c.expect(Rule::action_kind)?)?;
                end = kind_end;
                let target = match c.take(Rule::arrow) {
                    Some(_) => {
                        let t = self.path(c.expect(Rule::path)?)?;
                        end = t.span.end as usize;
                        Some(t)
                    }
                    None => None,
                };
                MemberKind::Action(ActionDecl { name, kind, target })
            }
            Rule::observe_decl => {
                c.expect(Rule::kw_observe)?;
                let name = match c.take(Rule::ident) {
                    Some(n) => {
                        c.expect(Rule::eq)?;
                        Some(self.ident(&n)?)
                    }
                    None => None,
                };
                let value = self.expr(c.expect(Rule::expr)?)?;
                end = value.span.end as usize;
                let bounds = match c.take(Rule::bounds) {
                    Some(b) => {
                        let b = self.bounds(b)?;
                        end = b.span.end as usize;
                        Some(b)
                    }
                    None => None,
                };
                let noise = match c.take(Rule::kw_noise) {
                    Some(_) => {
                        let e = self.expr(c.expect(Rule::expr)?)?;
                        end = e.span.end as usize;
                        Some(e)
                    }
                    None => None,
                };
                MemberKind::Observe(ObserveDecl {
                    name,
                    value,
                    bounds,
                    noise,
                })
            }
            Rule::reward_decl => {
                c.expect(Rule::kw_reward)?;
                c.expect(Rule::eq)?;
                let e = self.expr(c.expect(Rule::expr)?)?;
                end = e.span.end as usize;
                MemberKind::Reward(e)
            }
            Rule::terminate_decl => {
                c.expect(Rule::kw_terminate)?;
                c.expect(Rule::kw_when)?;
                let e = self.expr(c.expect(Rule::expr)?)?;
                end = e.span.end as usize;
                MemberKind::Terminate(e)
            }
            Rule::truncate_decl => {
                c.expect(Rule::kw_truncate)?;
                c.expect(Rule::kw_after)?;
                let value = self.expr(c.expect(Rule::expr)?)?;
                end = value.span.end as usize;
                let steps = c.take(Rule::kw_steps).map(|s| self.sp(&s));
                if let Some(s) = steps {
                    end = s.end as usize;
                }
                MemberKind::Truncate(TruncateDecl { value, steps })
            }
            _ => return Err(Fail::Internal),
        };
        Ok((kind, end))
    }

    fn action_kind(&mut self, p: Pair<'_, Rule>) -> R<(ActionKind, usize)> {
        let inner = first_child(p)?;
        match inner.as_rule() {
            Rule::kw_bool => {
                let s = self.sp(&inner);
                Ok((ActionKind::Bool(s), s.end as usize))
            }
            Rule::choice_kind => {
                let mut c = Cur::new(inner);
                let kw = self.sp(&c.expect(Rule::kw_choice)?);
                let count = self.expr(c.expect(Rule::expr)?)?;
                let mut end = count.span;
                let masks = match c.take(Rule::kw_mask) {
                    Some(_) => {
                        let mut mc = Cur::new(c.expect(Rule::mask_list)?);
                        mc.expect(Rule::lbracket)?;
                        let mut masks = Vec::new();
                        loop {
                            let q = mc.next()?;
                            match q.as_rule() {
                                Rule::expr => masks.push(self.expr(q)?),
                                Rule::comma => {}
                                Rule::rbracket => {
                                    end = self.sp(&q);
                                    break;
                                }
                                _ => return Err(Fail::Internal),
                            }
                        }
                        Some(masks)
                    }
                    None => None,
                };
                let span = kw.to(end);
                Ok((ActionKind::Choice { count, masks, span }, span.end as usize))
            }
            Rule::continuous_kind => {
                let mut c = Cur::new(inner);
                let ty = self.ty(c.expect(Rule::ty)?)?;
                let bounds = self.bounds(c.expect(Rule::bounds)?)?;
                let mut end = bounds.span.end as usize;
                let normalized = c.take(Rule::kw_normalized).map(|n| self.sp(&n));
                if let Some(n) = normalized {
                    end = n.end as usize;
                }
                Ok((
                    ActionKind::Continuous {
                        ty,
                        bounds,
                        normalized,
                    },
                    end,
                ))
            }
            _ => Err(Fail::Internal),
        }
    }

    /// A block head (`for`, `agent`, `when`, `on decide`); returns it and the span of `{`.
    pub fn head(&mut self, p: Pair<'_, Rule>) -> R<(Head, Span)> {
        let rule = p.as_rule();
        let mut c = Cur::new(p);
        let head = match rule {
            Rule::for_head => {
                c.expect(Rule::kw_for)?;
                let var = self.ident(&c.expect(Rule::ident)?)?;
                c.expect(Rule::kw_in)?;
                let lo = self.expr(c.expect(Rule::expr)?)?;
                c.expect(Rule::range_op)?;
                let hi = self.expr(c.expect(Rule::expr)?)?;
                Head::For { var, lo, hi }
            }
            Rule::agent_head => {
                c.expect(Rule::kw_agent)?;
                Head::Agent(self.ident(&c.expect(Rule::ident)?)?)
            }
            Rule::when_head => {
                c.expect(Rule::kw_when)?;
                Head::When(self.expr(c.expect(Rule::expr)?)?)
            }
            Rule::on_decide_head => {
                c.expect(Rule::kw_on)?;
                c.expect(Rule::kw_decide)?;
                Head::OnDecide
            }
            _ => return Err(Fail::Internal),
        };
        let brace = self.sp(&c.expect(Rule::lbrace)?);
        Ok((head, brace))
    }

    /// `path = expr` in an event body.
    pub fn assign(&mut self, p: Pair<'_, Rule>) -> R<Assign> {
        let mut c = Cur::new(p);
        let target = self.path(c.expect(Rule::path)?)?;
        c.expect(Rule::eq)?;
        let value = self.expr(c.expect(Rule::expr)?)?;
        let span = target.span.to(value.span);
        Ok(Assign {
            target,
            value,
            span,
        })
    }

    // ---- items -----------------------------------------------------------------------

    pub fn use_decl(&mut self, p: Pair<'_, Rule>) -> R<UseDecl> {
        let mut c = Cur::new(p);
        let kw = self.sp(&c.expect(Rule::kw_use)?);
        let mut idents = Vec::new();
        let mut names = Vec::new();
        let mut glob = false;
        let mut end = kw;
        while let Ok(q) = c.next() {
            match q.as_rule() {
                Rule::ident => {
                    let id = self.ident(&q)?;
                    end = id.span;
                    idents.push(id);
                }
                Rule::path_sep | Rule::item_end => {}
                Rule::glob => {
                    glob = true;
                    end = self.sp(&q);
                }
                Rule::use_group => {
                    for g in q.clone().into_inner() {
                        match g.as_rule() {
                            Rule::ident => names.push(self.ident(&g)?),
                            Rule::rbrace => end = self.sp(&g),
                            _ => {}
                        }
                    }
                }
                _ => return Err(Fail::Internal),
            }
        }
        let module = if glob || !names.is_empty() {
            idents
        } else {
            let last = idents.pop().ok_or(Fail::Internal)?;
            names.push(last);
            idents
        };
        Ok(UseDecl {
            module,
            names,
            glob,
            span: kw.to(end),
        })
    }

    /// `unit NAME = value`; the doc is attached by the caller.
    pub fn unit_decl(&mut self, p: Pair<'_, Rule>, doc: Option<Doc>) -> R<UnitDecl> {
        let mut c = Cur::new(p);
        let kw = self.sp(&c.expect(Rule::kw_unit)?);
        let name = self.ident(&c.expect(Rule::unit_decl_name)?)?;
        c.expect(Rule::eq)?;
        let value = self.unit_value(c.expect(Rule::unit_value)?)?;
        let span = kw.to(value.span);
        Ok(UnitDecl {
            doc,
            name,
            value,
            span,
        })
    }

    /// `node NAME {` / `plant NAME {`: the name and the span of `{`.
    pub fn item_head(&mut self, p: Pair<'_, Rule>) -> R<(Ident, Span)> {
        let mut c = Cur::new(p);
        c.next()?;
        let name = self.ident(&c.expect(Rule::ident)?)?;
        let brace = self.sp(&c.expect(Rule::lbrace)?);
        Ok((name, brace))
    }
}

/// The operator written `text`.
fn binary_op(text: &str) -> Option<BinaryOp> {
    Some(match text {
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "^" => BinaryOp::Pow,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "and" => BinaryOp::And,
        "or" => BinaryOp::Or,
        _ => return None,
    })
}

/// Whether building should stop at recursion depth `d`: beyond [`MAX_DEPTH`], or (checked
/// every few levels) with little native stack left on this thread.
pub(super) fn stop_recursion(d: u32) -> bool {
    d > MAX_DEPTH || (d % 4 == 3 && stack_low())
}

/// True when less than pest's stack reserve (64 KiB) is left on this thread. pest checks
/// the native stack before every rule and fails with "stack limit reached" when it is
/// short, so a one-token parse is a portable probe (on targets where pest cannot know the
/// stack bounds it never fails, and [`MAX_DEPTH`] alone bounds the recursion).
pub(super) fn stack_low() -> bool {
    use pest::Parser as _;
    super::grammar::PlantParser::parse(Rule::semi, ";").is_err()
}
