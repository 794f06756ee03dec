//! Moving a piece of syntax tree to another place in the text: [`Shift`] adds a byte
//! offset to every span in it.
//!
//! The parser memoises members by their text (see `parser::MemberMemo`): a member is built
//! once with spans relative to its own start and shifted to where it is found. Every type
//! that holds a [`Span`] implements `Shift`, and must shift every span it holds; the
//! parser's tests compare memoised parses with fresh ones to keep it so.

use super::ast::*;

/// Add `by` to every span, wrapping: `shift(x.wrapping_neg())` moves a tree back by `x`.
pub trait Shift {
    fn shift(&mut self, by: u32);
}

impl Shift for Span {
    fn shift(&mut self, by: u32) {
        self.start = self.start.wrapping_add(by);
        self.end = self.end.wrapping_add(by);
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, by: u32) {
        if let Some(x) = self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, by: u32) {
        for x in self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Box<T> {
    fn shift(&mut self, by: u32) {
        (**self).shift(by);
    }
}

impl Shift for Ident {
    fn shift(&mut self, by: u32) {
        self.span.shift(by);
    }
}

impl Shift for Doc {
    fn shift(&mut self, by: u32) {
        self.span.shift(by);
    }
}

impl Shift for UnitExpr {
    fn shift(&mut self, by: u32) {
        self.span.shift(by);
        match &mut self.kind {
            UnitExprKind::Name(_) | UnitExprKind::Number(_) => {}
            UnitExprKind::Mul(a, b) | UnitExprKind::Div(a, b) => {
                a.shift(by);
                b.shift(by);
            }
            UnitExprKind::Pow(a, _) => a.shift(by),
        }
    }
}

impl Shift for Ty {
    fn shift(&mut self, by: u32) {
        self.span.shift(by);
        match &mut self.kind {
            TyKind::Quantity(u) => u.shift(by),
            TyKind::Bool | TyKind::Int => {}
        }
    }
}

impl Shift for Member {
    fn shift(&mut self, by: u32) {
        self.doc.shift(by);
        self.kind.shift(by);
        self.span.shift(by);
    }
}

impl Shift for MemberKind {
    fn shift(&mut self, by: u32) {
        match self {
            MemberKind::Param(d) => {
                d.name.shift(by);
                d.array.shift(by);
                d.ty.shift(by);
                d.default.shift(by);
                d.bounds.shift(by);
            }
            MemberKind::Port(d) => {
                d.name.shift(by);
                d.array.shift(by);
                d.ty.shift(by);
                d.value.shift(by);
                d.sum.shift(by);
            }
            MemberKind::State(d) => {
                d.name.shift(by);
                d.array.shift(by);
                d.ty.shift(by);
                d.init.shift(by);
            }
            MemberKind::Let(d) => {
                d.name.shift(by);
                d.array.shift(by);
                d.ty.shift(by);
                d.value.shift(by);
            }
            MemberKind::Equation(e) => {
                e.keyword.shift(by);
                e.target.shift(by);
                e.value.shift(by);
            }
            MemberKind::Instance(d) => {
                d.name.shift(by);
                d.array.shift(by);
                d.node.shift(by);
                d.args.shift(by);
                d.call_span.shift(by);
            }
            MemberKind::Bond(b) => {
                b.source.shift(by);
                b.target.shift(by);
            }
            MemberKind::For(f) => {
                f.var.shift(by);
                f.lo.shift(by);
                f.hi.shift(by);
                f.members.shift(by);
            }
            MemberKind::Dt(e)
            | MemberKind::DecideEvery(e)
            | MemberKind::DecideWhen(e)
            | MemberKind::Reward(e)
            | MemberKind::Terminate(e) => e.shift(by),
            MemberKind::Integrator(d) => {
                d.name.shift(by);
                d.options.shift(by);
            }
            MemberKind::Action(d) => {
                d.name.shift(by);
                d.target.shift(by);
                match &mut d.kind {
                    ActionKind::Continuous {
                        ty,
                        bounds,
                        normalized,
                    } => {
                        ty.shift(by);
                        bounds.shift(by);
                        normalized.shift(by);
                    }
                    ActionKind::Bool(span) => span.shift(by),
                    ActionKind::Choice { count, masks, span } => {
                        count.shift(by);
                        masks.shift(by);
                        span.shift(by);
                    }
                }
            }
            MemberKind::Observe(d) => {
                d.name.shift(by);
                d.value.shift(by);
                d.bounds.shift(by);
                d.noise.shift(by);
            }
            MemberKind::Agent(a) => {
                a.name.shift(by);
                a.members.shift(by);
            }
            MemberKind::Truncate(t) => {
                t.value.shift(by);
                t.steps.shift(by);
            }
            MemberKind::When(w) => {
                w.cond.shift(by);
                w.body.shift(by);
            }
            MemberKind::OnDecide(body) => body.shift(by),
        }
    }
}

impl Shift for Bounds {
    fn shift(&mut self, by: u32) {
        self.lo.shift(by);
        self.hi.shift(by);
        self.span.shift(by);
    }
}

impl Shift for Arg {
    fn shift(&mut self, by: u32) {
        self.name.shift(by);
        self.value.shift(by);
        self.span.shift(by);
    }
}

impl Shift for Assign {
    fn shift(&mut self, by: u32) {
        self.target.shift(by);
        self.value.shift(by);
        self.span.shift(by);
    }
}

impl Shift for Path {
    fn shift(&mut self, by: u32) {
        for s in &mut self.segments {
            s.name.shift(by);
            s.index.shift(by);
        }
        self.span.shift(by);
    }
}

impl Shift for Expr {
    fn shift(&mut self, by: u32) {
        self.span.shift(by);
        match &mut self.kind {
            ExprKind::Number { unit, .. } => unit.shift(by),
            ExprKind::Bool(_) => {}
            ExprKind::Path(p) => p.shift(by),
            ExprKind::Unary { operand, .. } => operand.shift(by),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.shift(by);
                rhs.shift(by);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                cond.shift(by);
                then.shift(by);
                otherwise.shift(by);
            }
            ExprKind::Call { func, args } => {
                func.shift(by);
                args.shift(by);
            }
            ExprKind::Paren(e) => e.shift(by),
        }
    }
}
