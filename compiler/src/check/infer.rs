//! Type and unit inference for expressions, and path resolution inside a definition.
//!
//! [`Infer`] walks one expression in the scope of one node or plant, resolving paths
//! (`tank.level`, `x[i]`) through the signatures of instances, inferring every
//! sub-expression's type, folding constants, and reporting unit errors that name both
//! units (as written and in SI). It runs silently while signatures are built and loudly
//! when a definition is checked.

use rustc_hash::FxHashSet as HashSet;

use super::sig::{ArrayLen, DefSig, MemberSig, MemberSigKind, SigProvider, slice};
use super::types::{BUILTINS, BuiltinRule, VType, builtin, describe_with_spelling};
use crate::diagnostics::{Diagnostic, codes};
use crate::resolve::{FileScope, ItemKind, UnitTable, unit_error_diagnostic};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Path, Span, UnaryOp};
use crate::units::{self, Dim, Ratio};

/// The names an expression can see: a definition's members plus loop variables.
pub struct Scope<'s> {
    pub def: &'s DefSig,
    pub loop_vars: Vec<(String, Span)>,
}

impl<'s> Scope<'s> {
    pub fn new(def: &'s DefSig) -> Self {
        Scope {
            def,
            loop_vars: Vec::new(),
        }
    }
}

/// Whether an expression is a bare number (a literal without a unit).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bare {
    No,
    /// The literal `0` (fits any unit).
    Zero,
    /// Another plain number.
    Number,
}

/// What inference learns about an expression.
#[derive(Clone, Debug)]
pub struct Inferred {
    pub ty: VType,
    /// The unit as the user wrote it, when the expression is a reference or a literal.
    pub spelled: Option<String>,
    pub bare: Bare,
    /// Contains a `uniform`/`normal` draw.
    pub random: bool,
    /// The first reference to a value that changes while the plant runs (state, port,
    /// definition, action), with its span and description; `None` when the expression
    /// depends only on constants and parameters.
    pub dynamic: Option<(Span, String)>,
    /// The value in SI, when the expression is a compile-time constant.
    pub konst: Option<f64>,
}

impl Inferred {
    fn of(ty: VType) -> Inferred {
        Inferred {
            ty,
            spelled: None,
            bare: Bare::No,
            random: false,
            dynamic: None,
            konst: None,
        }
    }
    fn error() -> Inferred {
        Inferred::of(VType::Error)
    }
    fn merge_flags(mut self, others: &[&Inferred]) -> Inferred {
        for o in others {
            self.random |= o.random;
            if self.dynamic.is_none() {
                self.dynamic = o.dynamic.clone();
            }
        }
        self
    }
}

/// What a path refers to.
#[derive(Clone, Debug)]
pub struct PathInfo {
    pub kind: PathKind,
    pub ty: VType,
    pub spelled: Option<String>,
    /// 0 for a member of the current definition, 1 for `inst.member`, ...
    pub depth: usize,
}

#[derive(Clone, Debug)]
pub enum PathKind {
    LoopVar,
    Member(MemberSigKind),
}

pub struct Infer<'a, 'db> {
    pub path: &'a str,
    pub text: &'a str,
    pub units: &'a UnitTable,
    pub items: &'a FileScope,
    pub sigs: &'a mut SigProvider<'db>,
    pub scope: Scope<'a>,
    report: bool,
    pub diags: Vec<Diagnostic>,
    /// Top-level item names used (node types, user units), for unused-import warnings.
    pub used_items: HashSet<String>,
    /// Inferred types of sub-expressions by span, for hover and inlay hints.
    pub types: Vec<(Span, VType)>,
}

impl<'a, 'db> Infer<'a, 'db> {
    pub fn new(
        path: &'a str,
        text: &'a str,
        units: &'a UnitTable,
        items: &'a FileScope,
        sigs: &'a mut SigProvider<'db>,
        scope: Scope<'a>,
        report: bool,
    ) -> Self {
        Infer {
            path,
            text,
            units,
            items,
            sigs,
            scope,
            report,
            diags: Vec::new(),
            used_items: HashSet::default(),
            types: Vec::new(),
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        if self.report {
            self.diags.push(d);
        }
    }

    fn src(&self, span: Span) -> &str {
        slice(self.text, span)
    }

    /// Infer an expression's type.
    pub fn expr(&mut self, e: &Expr) -> Inferred {
        let r = self.expr_inner(e);
        if self.report {
            self.types.push((e.span, r.ty));
        }
        r
    }

    fn expr_inner(&mut self, e: &Expr) -> Inferred {
        match &e.kind {
            ExprKind::Number { value, unit } => self.number(*value, unit.as_ref()),
            ExprKind::Bool(b) => Inferred {
                konst: Some(if *b { 1.0 } else { 0.0 }),
                ..Inferred::of(VType::Bool)
            },
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Path(p) => self.path_value(p),
            ExprKind::Unary { op, operand } => {
                let x = self.expr(operand);
                match (op, x.ty) {
                    (_, VType::Error) => Inferred::error().merge_flags(&[&x]),
                    (UnaryOp::Neg, VType::Num(_)) => Inferred {
                        konst: x.konst.map(|v| -v),
                        bare: x.bare,
                        spelled: x.spelled.clone(),
                        ..Inferred::of(x.ty)
                    }
                    .merge_flags(&[&x]),
                    (UnaryOp::Not, VType::Bool) => Inferred {
                        konst: x.konst.map(|v| if v != 0.0 { 0.0 } else { 1.0 }),
                        ..Inferred::of(VType::Bool)
                    }
                    .merge_flags(&[&x]),
                    (UnaryOp::Neg, VType::Bool) => {
                        self.not_number(operand.span, "`-` needs a number");
                        Inferred::error()
                    }
                    (UnaryOp::Not, VType::Num(_)) => {
                        self.not_bool(operand.span, "`not` needs a boolean", None);
                        Inferred::error()
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(e, *op, lhs, rhs),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.expr(cond);
                self.expect_bool(&c, cond.span, "an `if` condition");
                let a = self.expr(then);
                let b = self.expr(otherwise);
                let ty = self.unify(
                    &a,
                    then.span,
                    &b,
                    otherwise.span,
                    codes::BRANCH_MISMATCH,
                    "the branches of this `if` have different units",
                );
                let konst = match (c.konst, a.konst, b.konst) {
                    (Some(c), Some(a), Some(b)) => Some(if c != 0.0 { a } else { b }),
                    _ => None,
                };
                let bare = if a.bare != Bare::No && b.bare != Bare::No {
                    Bare::Number
                } else {
                    Bare::No
                };
                let spelled = if a.bare == Bare::No {
                    a.spelled.clone()
                } else {
                    b.spelled.clone()
                };
                Inferred {
                    konst,
                    bare,
                    spelled,
                    ..Inferred::of(ty)
                }
                .merge_flags(&[&c, &a, &b])
            }
            ExprKind::Call { func, args } => self.call(e, func, args),
        }
    }

    fn number(&mut self, value: f64, unit: Option<&crate::syntax::ast::UnitExpr>) -> Inferred {
        let Some(u) = unit else {
            return Inferred {
                bare: if value == 0.0 {
                    Bare::Zero
                } else {
                    Bare::Number
                },
                konst: Some(value),
                ..Inferred::of(VType::DIMENSIONLESS)
            };
        };
        self.note_units_used(u);
        match self.units.eval(u) {
            Ok(unit) => Inferred {
                konst: Some(value * unit.scale),
                spelled: Some(self.src(u.span).to_string()),
                ..Inferred::of(VType::Num(unit.dim))
            },
            Err(err) if self.units.already_reported(&err) => Inferred::error(),
            Err(err) => {
                let names = self.units.user_names();
                let mut d = unit_error_diagnostic(&err, self.path, &names);
                if let units::UnitErrorKind::Unknown { name, .. } = &err.kind
                    && self.scope.def.member(name).is_some()
                {
                    d = d.with_help(format!(
                        "`{name}` is a value here, not a unit: put spaces around the operator, as in `2 m * {name}`, or write `(2 m) / {name}`"
                    ));
                }
                self.push(d);
                Inferred::error()
            }
        }
    }

    pub fn note_units_used(&mut self, u: &crate::syntax::ast::UnitExpr) {
        use crate::syntax::ast::UnitExprKind as K;
        match &u.kind {
            K::Name(n) => {
                if self.units.units.contains_key(n) {
                    self.used_items.insert(n.clone());
                }
            }
            K::Number(_) => {}
            K::Mul(a, b) | K::Div(a, b) => {
                self.note_units_used(a);
                self.note_units_used(b);
            }
            K::Pow(a, _) => self.note_units_used(a),
        }
    }

    fn binary(&mut self, e: &Expr, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Inferred {
        let a = self.expr(lhs);
        let b = self.expr(rhs);
        if a.ty == VType::Error || b.ty == VType::Error {
            return Inferred::error().merge_flags(&[&a, &b]);
        }
        let fold = |f: fn(f64, f64) -> f64| match (a.konst, b.konst) {
            (Some(x), Some(y)) => Some(f(x, y)),
            _ => None,
        };
        let result = match op {
            BinaryOp::Add | BinaryOp::Sub => {
                if !self.both_numbers(&a, lhs, &b, rhs, op) {
                    return Inferred::error();
                }
                let ty = self.unify(
                    &a,
                    lhs.span,
                    &b,
                    rhs.span,
                    codes::UNIT_MISMATCH,
                    &format!(
                        "cannot {} these units",
                        if op == BinaryOp::Add {
                            "add"
                        } else {
                            "subtract"
                        }
                    ),
                );
                let bare = if a.bare != Bare::No && b.bare != Bare::No {
                    Bare::Number
                } else {
                    Bare::No
                };
                let spelled = if a.bare == Bare::No {
                    a.spelled.clone()
                } else {
                    b.spelled.clone()
                };
                Inferred {
                    konst: if op == BinaryOp::Add {
                        fold(|x, y| x + y)
                    } else {
                        fold(|x, y| x - y)
                    },
                    bare,
                    spelled,
                    ..Inferred::of(ty)
                }
            }
            BinaryOp::Mul | BinaryOp::Div => {
                if !self.both_numbers(&a, lhs, &b, rhs, op) {
                    return Inferred::error();
                }
                let (da, db) = (
                    a.ty.dim().unwrap_or(Dim::DIMENSIONLESS),
                    b.ty.dim().unwrap_or(Dim::DIMENSIONLESS),
                );
                let dim = if op == BinaryOp::Mul {
                    da.mul(db)
                } else {
                    da.div(db)
                };
                let Some(dim) = dim else {
                    self.push(Diagnostic::error(
                        codes::UNIT_MISMATCH,
                        "unit exponent out of range",
                        self.path,
                        e.span,
                        "the resulting unit is too large",
                    ));
                    return Inferred::error();
                };
                let bare = if a.bare != Bare::No && b.bare != Bare::No {
                    Bare::Number
                } else {
                    Bare::No
                };
                Inferred {
                    konst: if op == BinaryOp::Mul {
                        fold(|x, y| x * y)
                    } else {
                        fold(|x, y| x / y)
                    },
                    bare,
                    ..Inferred::of(VType::Num(dim))
                }
            }
            BinaryOp::Pow => {
                if !self.both_numbers(&a, lhs, &b, rhs, op) {
                    return Inferred::error();
                }
                let ty = self.power(&a, lhs, &b, rhs);
                Inferred {
                    konst: fold(f64::powf),
                    bare: if a.bare != Bare::No && b.bare != Bare::No {
                        Bare::Number
                    } else {
                        Bare::No
                    },
                    ..Inferred::of(ty)
                }
            }
            BinaryOp::Eq | BinaryOp::Ne if a.ty == VType::Bool && b.ty == VType::Bool => Inferred {
                konst: if op == BinaryOp::Eq {
                    fold(|x, y| f64::from(x == y))
                } else {
                    fold(|x, y| f64::from(x != y))
                },
                ..Inferred::of(VType::Bool)
            },
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                if !self.both_numbers(&a, lhs, &b, rhs, op) {
                    return Inferred::error();
                }
                self.unify(
                    &a,
                    lhs.span,
                    &b,
                    rhs.span,
                    codes::COMPARE_MISMATCH,
                    "cannot compare these units",
                );
                let konst = match op {
                    BinaryOp::Eq => fold(|x, y| f64::from(x == y)),
                    BinaryOp::Ne => fold(|x, y| f64::from(x != y)),
                    BinaryOp::Lt => fold(|x, y| f64::from(x < y)),
                    BinaryOp::Le => fold(|x, y| f64::from(x <= y)),
                    BinaryOp::Gt => fold(|x, y| f64::from(x > y)),
                    _ => fold(|x, y| f64::from(x >= y)),
                };
                Inferred {
                    konst,
                    ..Inferred::of(VType::Bool)
                }
            }
            BinaryOp::And | BinaryOp::Or => {
                let word = op.symbol();
                let ok_a = self.expect_bool(&a, lhs.span, &format!("the left side of `{word}`"));
                let ok_b = self.expect_bool(&b, rhs.span, &format!("the right side of `{word}`"));
                if !(ok_a && ok_b) {
                    return Inferred::error();
                }
                Inferred {
                    konst: if op == BinaryOp::And {
                        fold(|x, y| f64::from(x != 0.0 && y != 0.0))
                    } else {
                        fold(|x, y| f64::from(x != 0.0 || y != 0.0))
                    },
                    ..Inferred::of(VType::Bool)
                }
            }
        };
        result.merge_flags(&[&a, &b])
    }

    fn both_numbers(
        &mut self,
        a: &Inferred,
        lhs: &Expr,
        b: &Inferred,
        rhs: &Expr,
        op: BinaryOp,
    ) -> bool {
        for (x, side) in [(a, lhs), (b, rhs)] {
            if x.ty == VType::Bool {
                let help = if op == BinaryOp::Eq || op == BinaryOp::Ne {
                    None
                } else {
                    Some("booleans have no arithmetic or ordering; use `if c then 1 else 0` to turn one into a number".to_string())
                };
                let mut d = Diagnostic::error(
                    codes::NOT_BOOLEAN,
                    format!("`{}` needs numbers, but this is a boolean", op.symbol()),
                    self.path,
                    side.span,
                    "a boolean",
                );
                if let Some(h) = help {
                    d = d.with_help(h);
                }
                self.push(d);
                return false;
            }
        }
        true
    }

    fn power(&mut self, a: &Inferred, lhs: &Expr, b: &Inferred, rhs: &Expr) -> VType {
        let (VType::Num(base), VType::Num(exp)) = (a.ty, b.ty) else {
            return VType::Error;
        };
        if !exp.is_dimensionless() && b.bare == Bare::No {
            self.push(
                Diagnostic::error(
                    codes::NEEDS_DIMENSIONLESS,
                    "an exponent must be dimensionless",
                    self.path,
                    rhs.span,
                    format!(
                        "this is in {}",
                        describe_with_spelling(b.ty, b.spelled.as_deref())
                    ),
                )
                .with_help("divide the exponent by a reference value of its unit"),
            );
            return VType::Error;
        }
        if base.is_dimensionless() {
            return VType::DIMENSIONLESS;
        }
        let Some(k) = b.konst else {
            self.push(
                Diagnostic::error(
                    codes::EXPONENT_NOT_CONSTANT,
                    "the exponent of a quantity with a unit must be a constant",
                    self.path,
                    rhs.span,
                    "not a constant",
                )
                .with_secondary(self.path, lhs.span, format!("this is in {}", describe_with_spelling(a.ty, a.spelled.as_deref())))
                .with_help("use a constant exponent such as `2` or `(1/3)`, or make the base dimensionless by dividing it by a reference value"),
            );
            return VType::Error;
        };
        match Ratio::from_f64(k).and_then(|r| base.pow(r)) {
            Some(d) => VType::Num(d),
            None => {
                self.push(
                    Diagnostic::error(
                        codes::EXPONENT_NOT_CONSTANT,
                        format!("the exponent {k} is not a simple fraction"),
                        self.path,
                        rhs.span,
                        "cannot give the result a unit",
                    )
                    .with_help(
                        "use a whole or simple rational exponent such as `2`, `-1` or `(1/3)`",
                    ),
                );
                VType::Error
            }
        }
    }

    /// The common type of two operands that must share a dimension, reporting `code`.
    pub fn unify(
        &mut self,
        a: &Inferred,
        sa: Span,
        b: &Inferred,
        sb: Span,
        code: &'static str,
        message: &str,
    ) -> VType {
        match (a.ty, b.ty) {
            (VType::Error, _) | (_, VType::Error) => VType::Error,
            (VType::Bool, VType::Bool) => VType::Bool,
            (VType::Num(x), VType::Num(y)) if x == y => a.ty,
            (VType::Num(_), VType::Num(_)) => {
                // A bare number meeting a quantity: `0` fits, others need a unit.
                if a.bare == Bare::Zero {
                    return b.ty;
                }
                if b.bare == Bare::Zero {
                    return a.ty;
                }
                if a.bare == Bare::Number || b.bare == Bare::Number {
                    let (bare_span, other, other_span) = if a.bare == Bare::Number {
                        (sa, b, sb)
                    } else {
                        (sb, a, sa)
                    };
                    self.missing_unit(bare_span, other, other_span);
                    return other.ty;
                }
                self.push(
                    Diagnostic::error(
                        code,
                        format!(
                            "{message}: {} and {}",
                            describe_with_spelling(a.ty, a.spelled.as_deref()),
                            describe_with_spelling(b.ty, b.spelled.as_deref())
                        ),
                        self.path,
                        sb,
                        format!(
                            "this is in {}",
                            describe_with_spelling(b.ty, b.spelled.as_deref())
                        ),
                    )
                    .with_secondary(
                        self.path,
                        sa,
                        format!(
                            "this is in {}",
                            describe_with_spelling(a.ty, a.spelled.as_deref())
                        ),
                    )
                    .with_help(mismatch_help(a.ty, b.ty)),
                );
                VType::Error
            }
            (VType::Bool, VType::Num(_)) | (VType::Num(_), VType::Bool) => {
                let (bool_span, num_span) = if a.ty == VType::Bool {
                    (sa, sb)
                } else {
                    (sb, sa)
                };
                self.push(
                    Diagnostic::error(
                        code,
                        format!("{message}: a boolean and a number"),
                        self.path,
                        bool_span,
                        "a boolean",
                    )
                    .with_secondary(self.path, num_span, "a number")
                    .with_help("turn the boolean into a number with `if c then 1 else 0`"),
                );
                VType::Error
            }
        }
    }

    /// Report a bare number where a quantity of `other`'s unit is needed.
    pub fn missing_unit(&mut self, bare_span: Span, other: &Inferred, other_span: Span) {
        let unit = other
            .spelled
            .clone()
            .or_else(|| other.ty.dim().map(|d| d.to_string()))
            .unwrap_or_default();
        let number = self.src(bare_span).trim().to_string();
        self.push(
            Diagnostic::error(
                codes::MISSING_UNIT,
                format!(
                    "the number `{number}` has no unit, but it meets {}",
                    describe_with_spelling(other.ty, other.spelled.as_deref())
                ),
                self.path,
                bare_span,
                "a plain number",
            )
            .with_secondary(
                self.path,
                other_span,
                format!(
                    "this is in {}",
                    describe_with_spelling(other.ty, other.spelled.as_deref())
                ),
            )
            .with_help(format!(
                "write the unit next to the number: `{number} {unit}`"
            )),
        );
    }

    /// Check that a value has dimension `want` (declared as `want_text`), reporting `code`.
    /// Returns false when it was reported.
    #[allow(clippy::too_many_arguments)]
    pub fn expect_dim(
        &mut self,
        got: &Inferred,
        span: Span,
        want: VType,
        want_text: Option<&str>,
        code: &'static str,
        what: &str,
        decl_span: Option<Span>,
    ) -> bool {
        match (got.ty, want) {
            (VType::Error, _) | (_, VType::Error) => true,
            (VType::Bool, VType::Bool) => true,
            (VType::Num(g), VType::Num(w)) if g == w => true,
            (VType::Num(_), VType::Num(w)) if got.bare == Bare::Zero => {
                let _ = w;
                true
            }
            (VType::Num(_), VType::Num(w)) if got.bare == Bare::Number && !w.is_dimensionless() => {
                let number = self.src(span).trim().to_string();
                let unit = want_text
                    .map(str::to_string)
                    .unwrap_or_else(|| w.to_string());
                let mut d = Diagnostic::error(
                    codes::MISSING_UNIT,
                    format!(
                        "the number `{number}` has no unit, but {what} is in {}",
                        describe_with_spelling(want, want_text)
                    ),
                    self.path,
                    span,
                    "a plain number",
                )
                .with_help(format!(
                    "write the unit next to the number: `{number} {unit}`"
                ));
                if let Some(ds) = decl_span {
                    d = d.with_secondary(self.path, ds, "unit declared here");
                }
                self.push(d);
                false
            }
            (VType::Num(_), VType::Num(_)) => {
                let mut d = Diagnostic::error(
                    code,
                    format!(
                        "{what} is in {}, but this value is in {}",
                        describe_with_spelling(want, want_text),
                        describe_with_spelling(got.ty, got.spelled.as_deref())
                    ),
                    self.path,
                    span,
                    format!(
                        "this is in {}",
                        describe_with_spelling(got.ty, got.spelled.as_deref())
                    ),
                )
                .with_help(
                    self.literal_fix(span, got, want, want_text)
                        .unwrap_or_else(|| conversion_help(want, got.ty)),
                );
                if let Some(ds) = decl_span {
                    d = d.with_secondary(
                        self.path,
                        ds,
                        format!("declared as {}", describe_with_spelling(want, want_text)),
                    );
                }
                self.push(d);
                false
            }
            (VType::Bool, VType::Num(_)) => {
                self.not_number(span, &format!("{what} is a number, but this is a boolean"));
                false
            }
            (VType::Num(_), VType::Bool) => {
                self.not_bool(
                    span,
                    &format!("{what} is a boolean, but this is a number"),
                    None,
                );
                false
            }
        }
    }

    /// For a literal with the wrong unit (`2 m` where `m^2` is declared): the literal
    /// rewritten in the wanted unit.
    fn literal_fix(
        &self,
        span: Span,
        got: &Inferred,
        want: VType,
        want_text: Option<&str>,
    ) -> Option<String> {
        got.konst?;
        let written = self.src(span).trim();
        let number = written
            .split(|c: char| {
                c.is_whitespace() || c.is_alphabetic() || c == '%' || c == 'µ' || c == '°'
            })
            .next()?;
        if number.is_empty() || number.parse::<f64>().is_err() || got.spelled.is_none() {
            return None;
        }
        let unit = want_text
            .map(str::to_string)
            .or_else(|| want.dim().map(|d| d.to_string()))?;
        Some(format!(
            "write the value in {}, e.g. `{number} {unit}`",
            describe_with_spelling(want, want_text)
        ))
    }

    pub fn expect_bool(&mut self, got: &Inferred, span: Span, what: &str) -> bool {
        match got.ty {
            VType::Bool | VType::Error => true,
            VType::Num(_) => {
                self.not_bool(
                    span,
                    &format!("{what} must be a boolean, but this is a number"),
                    Some(got),
                );
                false
            }
        }
    }

    fn not_bool(&mut self, span: Span, message: &str, got: Option<&Inferred>) {
        let mut d = Diagnostic::error(
            codes::NOT_BOOLEAN,
            message,
            self.path,
            span,
            "expected a boolean",
        );
        d = match got.and_then(|g| g.ty.dim()) {
            Some(dim) if !dim.is_dimensionless() => d.with_help(format!(
                "compare it with a value, for example `{} > 0 {}`",
                self.src(span).trim(),
                got.and_then(|g| g.spelled.clone())
                    .unwrap_or_else(|| dim.to_string())
            )),
            _ => d.with_help(format!(
                "compare it with a value, for example `{} > 0`",
                self.src(span).trim()
            )),
        };
        self.push(d);
    }

    fn not_number(&mut self, span: Span, message: &str) {
        self.push(
            Diagnostic::error(codes::NOT_BOOLEAN, message, self.path, span, "a boolean")
                .with_help("turn the boolean into a number with `if c then 1 else 0`"),
        );
    }

    fn call(&mut self, e: &Expr, func: &crate::syntax::ast::Ident, args: &[Expr]) -> Inferred {
        let inferred: Vec<Inferred> = args.iter().map(|a| self.expr(a)).collect();
        let Some((lo, hi, rule)) = builtin(&func.name) else {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_FUNCTION,
                format!("unknown function `{}`", func.name),
                self.path,
                func.span,
                "not a built-in function",
            );
            if let Some(s) = units::closest(&func.name, BUILTINS.iter().map(|b| b.0)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                d = d.with_note(format!(
                    "the built-in functions are {}",
                    BUILTINS.iter().map(|b| b.0).collect::<Vec<_>>().join(", ")
                ));
            }
            self.push(d);
            return Inferred::error();
        };
        if args.len() < lo || args.len() > hi {
            let expected = if lo == hi {
                format!("{lo}")
            } else if hi == usize::MAX {
                format!("at least {lo}")
            } else {
                format!("{lo} to {hi}")
            };
            self.push(
                Diagnostic::error(
                    codes::ARITY,
                    format!(
                        "`{}` takes {expected} argument{}, but {} {} given",
                        func.name,
                        if lo == 1 && hi == 1 { "" } else { "s" },
                        args.len(),
                        if args.len() == 1 { "was" } else { "were" }
                    ),
                    self.path,
                    e.span,
                    "wrong number of arguments",
                )
                .with_help(signature_help(&func.name)),
            );
            return Inferred::error();
        }
        let flags: Vec<&Inferred> = inferred.iter().collect();
        if inferred.iter().any(|i| i.ty == VType::Error) {
            return Inferred::error().merge_flags(&flags);
        }
        for (i, a) in inferred.iter().enumerate() {
            if a.ty == VType::Bool {
                self.not_number(
                    args[i].span,
                    &format!("`{}` needs numbers, but this is a boolean", func.name),
                );
                return Inferred::error();
            }
        }
        let konst_args: Option<Vec<f64>> = inferred.iter().map(|i| i.konst).collect();
        let ty = match rule {
            BuiltinRule::SameAsArgs | BuiltinRule::Random | BuiltinRule::Atan2 => {
                let mut ty = inferred[0].ty;
                let mut with: usize = 0;
                for i in 1..inferred.len() {
                    let t = self.unify(
                        &inferred[with],
                        args[with].span,
                        &inferred[i],
                        args[i].span,
                        codes::ARG_MISMATCH,
                        &format!("the arguments of `{}` have different units", func.name),
                    );
                    if t == VType::Error {
                        return Inferred::error();
                    }
                    if inferred[with].bare != Bare::No {
                        with = i;
                    }
                    ty = t;
                }
                if rule == BuiltinRule::Atan2 {
                    VType::DIMENSIONLESS
                } else {
                    ty
                }
            }
            BuiltinRule::Keep => inferred[0].ty,
            BuiltinRule::Sign => VType::DIMENSIONLESS,
            BuiltinRule::Dimensionless => {
                let a = &inferred[0];
                if a.ty.dim().is_some_and(|d| !d.is_dimensionless()) {
                    self.push(
                        Diagnostic::error(
                            codes::NEEDS_DIMENSIONLESS,
                            format!("`{}` needs a dimensionless argument, but this is in {}", func.name, describe_with_spelling(a.ty, a.spelled.as_deref())),
                            self.path,
                            args[0].span,
                            format!("this is in {}", describe_with_spelling(a.ty, a.spelled.as_deref())),
                        )
                        .with_help(format!("divide by a reference value to make it dimensionless, e.g. `{}({} / 1 {})`", func.name, self.src(args[0].span).trim(), a.spelled.clone().unwrap_or_else(|| a.ty.dim().map(|d| d.to_string()).unwrap_or_default()))),
                    );
                    return Inferred::error();
                }
                VType::DIMENSIONLESS
            }
            BuiltinRule::Sqrt => match inferred[0]
                .ty
                .dim()
                .and_then(|d| Ratio::new(1, 2).and_then(|h| d.pow(h)))
            {
                Some(d) => VType::Num(d),
                None => VType::Error,
            },
            BuiltinRule::Pow => {
                let (a, b) = (&inferred[0], &inferred[1]);
                self.power(a, &args[0], b, &args[1])
            }
        };
        let konst = if rule == BuiltinRule::Random {
            None
        } else {
            konst_args.and_then(|v| fold_builtin(&func.name, &v))
        };
        let mut out = Inferred {
            konst,
            ..Inferred::of(ty)
        }
        .merge_flags(&flags);
        if rule == BuiltinRule::Random {
            out.random = true;
        }
        if matches!(
            rule,
            BuiltinRule::SameAsArgs | BuiltinRule::Keep | BuiltinRule::Random
        ) {
            out.spelled = inferred
                .iter()
                .find(|i| i.bare == Bare::No)
                .and_then(|i| i.spelled.clone());
            if inferred.iter().all(|i| i.bare != Bare::No) {
                out.bare = Bare::Number;
            }
        }
        out
    }

    fn path_value(&mut self, p: &Path) -> Inferred {
        let Some(info) = self.resolve_path(p) else {
            return Inferred::error();
        };
        match &info.kind {
            PathKind::LoopVar => Inferred::of(VType::DIMENSIONLESS),
            PathKind::Member(MemberSigKind::Instance(_)) => {
                let mut d = Diagnostic::error(
                    codes::NOT_A_VALUE,
                    format!("`{}` is an instance, not a value", p.dotted()),
                    self.path,
                    p.span,
                    "an instance",
                );
                if let Some(names) = self.instance_value_names(p) {
                    d = d.with_help(format!("use one of its values, like {names}"));
                }
                self.push(d);
                Inferred::error()
            }
            PathKind::Member(kind) => {
                let dynamic = match kind {
                    MemberSigKind::Param { .. } => None,
                    other => Some((
                        p.span,
                        format!("`{}` is {}", p.dotted(), article(other.describe())),
                    )),
                };
                Inferred {
                    spelled: info.spelled.clone(),
                    dynamic,
                    ..Inferred::of(info.ty)
                }
            }
        }
    }

    fn instance_value_names(&mut self, p: &Path) -> Option<String> {
        let info_sig = self.instance_sig_at(p)?;
        let names: Vec<String> = info_sig
            .members
            .iter()
            .filter(|m| matches!(m.kind, MemberSigKind::OutPort | MemberSigKind::State))
            .take(3)
            .map(|m| format!("`{}.{}`", p.dotted(), m.name))
            .collect();
        if names.is_empty() {
            None
        } else {
            Some(names.join(", "))
        }
    }

    /// The signature of the node instantiated by the instance a path names.
    pub fn instance_sig_at(&mut self, p: &Path) -> Option<std::sync::Arc<DefSig>> {
        let mut def: std::sync::Arc<DefSig> = std::sync::Arc::new(self.scope.def.clone());
        let mut result = None;
        for seg in &p.segments {
            let m = def.member(&seg.name.name)?.clone();
            let MemberSigKind::Instance(Some(r)) = m.kind else {
                return None;
            };
            let next = self.sigs.get(r)?;
            result = Some(next.clone());
            def = next;
        }
        result
    }

    /// Resolve a path to what it names, reporting unknown names and bad indexing.
    pub fn resolve_path(&mut self, p: &Path) -> Option<PathInfo> {
        let first = &p.segments[0];
        if let Some((_, _)) = self
            .scope
            .loop_vars
            .iter()
            .rev()
            .find(|(n, _)| *n == first.name.name)
        {
            if p.segments.len() > 1 || first.index.is_some() {
                self.push(Diagnostic::error(
                    codes::NOT_AN_ARRAY,
                    format!("`{}` is a loop variable", first.name.name),
                    self.path,
                    p.span,
                    "a loop variable has no members or indices",
                ));
                return None;
            }
            return Some(PathInfo {
                kind: PathKind::LoopVar,
                ty: VType::DIMENSIONLESS,
                spelled: None,
                depth: 0,
            });
        }
        let mut def: Option<std::sync::Arc<DefSig>> = None;
        let mut depth = 0;
        let mut prefix = String::new();
        for (i, seg) in p.segments.iter().enumerate() {
            let current: &DefSig = match &def {
                Some(d) => d,
                None => self.scope.def,
            };
            if current.reported.contains(&seg.name.name) {
                return None; // its declaration was reported
            }
            let Some(m) = current.member(&seg.name.name).cloned() else {
                self.unknown_member(current, i == 0, &prefix, seg);
                return None;
            };
            self.check_index(&m, seg, &prefix)?;
            let last = i + 1 == p.segments.len();
            if last {
                return Some(PathInfo {
                    ty: m.ty,
                    spelled: m.unit.as_ref().map(|u| u.text.clone()),
                    kind: PathKind::Member(m.kind.clone()),
                    depth,
                });
            }
            match &m.kind {
                MemberSigKind::Instance(Some(r)) => {
                    let next = self.sigs.get(*r)?;
                    def = Some(next);
                    depth += 1;
                }
                MemberSigKind::Instance(None) => return None, // unknown node: reported at the instance
                other => {
                    let next = &p.segments[i + 1];
                    self.push(
                        Diagnostic::error(
                            codes::UNKNOWN_MEMBER,
                            format!(
                                "`{}{}` is {} and has no members",
                                prefix,
                                seg.name.name,
                                article(other.describe())
                            ),
                            self.path,
                            next.name.span,
                            "no such member",
                        )
                        .with_secondary(
                            self.path,
                            seg.name.span,
                            format!(
                                "{} in {}",
                                article(other.describe()),
                                describe_with_spelling(
                                    m.ty,
                                    m.unit.as_ref().map(|u| u.text.as_str())
                                )
                            ),
                        ),
                    );
                    return None;
                }
            }
            prefix.push_str(&seg.name.name);
            prefix.push('.');
        }
        None
    }

    fn check_index(
        &mut self,
        m: &MemberSig,
        seg: &crate::syntax::ast::PathSegment,
        prefix: &str,
    ) -> Option<()> {
        match (&m.array, &seg.index) {
            (None, None) => Some(()),
            (Some(len), None) => {
                let n = match len {
                    ArrayLen::Const(n) => format!(" of {n}"),
                    _ => String::new(),
                };
                self.push(
                    Diagnostic::error(
                        codes::NOT_AN_ARRAY,
                        format!("`{prefix}{}` is an array{n} and needs an index", m.name),
                        self.path,
                        seg.name.span,
                        "array used without an index",
                    )
                    .with_help(format!("pick an element, like `{prefix}{}[0]`", m.name)),
                );
                None
            }
            (None, Some(ix)) => {
                self.push(
                    Diagnostic::error(
                        codes::NOT_AN_ARRAY,
                        format!("`{prefix}{}` is not an array", m.name),
                        self.path,
                        ix.span,
                        "cannot index this",
                    )
                    .with_secondary(
                        self.path,
                        seg.name.span,
                        format!(
                            "{} {}",
                            article(m.kind.describe()),
                            "declared without `[N]`"
                        ),
                    ),
                );
                None
            }
            (Some(len), Some(ix)) => {
                let i = self.expr(ix);
                if i.ty == VType::Error {
                    return None;
                }
                if i.ty.dim() != Some(Dim::DIMENSIONLESS) {
                    self.push(Diagnostic::error(
                        codes::NOT_INTEGER,
                        "an array index must be a whole dimensionless number",
                        self.path,
                        ix.span,
                        format!(
                            "this is {}",
                            describe_with_spelling(i.ty, i.spelled.as_deref())
                        ),
                    ));
                    return None;
                }
                if let Some(k) = i.konst {
                    if k.fract() != 0.0 {
                        self.push(Diagnostic::error(
                            codes::NOT_INTEGER,
                            format!("the index {k} is not a whole number"),
                            self.path,
                            ix.span,
                            "not a whole number",
                        ));
                        return None;
                    }
                    if let ArrayLen::Const(n) = len
                        && (k < 0.0 || k >= *n as f64)
                    {
                        self.push(
                            Diagnostic::error(codes::INDEX_OUT_OF_RANGE, format!("index {k} is out of range for `{prefix}{}`, which has {n} elements", m.name), self.path, ix.span, format!("valid indices are 0 to {}", n - 1))
                                .with_secondary(self.path, m.span, "array declared here"),
                        );
                        return None;
                    }
                }
                Some(())
            }
        }
    }

    fn unknown_member(
        &mut self,
        def: &DefSig,
        top: bool,
        prefix: &str,
        seg: &crate::syntax::ast::PathSegment,
    ) {
        let name = &seg.name.name;
        if top {
            let mut candidates: Vec<&str> = def.member_names().collect();
            for (v, _) in &self.scope.loop_vars {
                candidates.push(v);
            }
            let mut d = Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("unknown name `{name}`"),
                self.path,
                seg.name.span,
                "not found in this scope",
            );
            if self.items.failed_imports.contains(name) {
                return; // its `use` was reported
            }
            if let Some(item) = self.items.get(name) {
                self.used_items.insert(name.clone());
                d = Diagnostic::error(
                    codes::NOT_A_VALUE,
                    format!("`{name}` is a {}, not a value", item.kind.describe()),
                    self.path,
                    seg.name.span,
                    format!("a {}", item.kind.describe()),
                );
                if item.kind == ItemKind::Node {
                    d = d.with_help(format!(
                        "instantiate it first, e.g. `{} = {name}()`, and use one of its values",
                        name.to_lowercase()
                    ));
                } else if item.kind == ItemKind::Unit {
                    d = d.with_help(format!("write a number before the unit, e.g. `1 {name}`"));
                }
            } else if let Some(s) = units::closest(name, candidates.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else if self.units.lookup(name).is_some() {
                d = d.with_help(format!(
                    "`{name}` is a unit: write it right after a number, like `2 {name}`; for a rate, use a negative exponent, like `0.5 {name}^-1`"
                ));
            }
            self.push(d);
        } else {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_MEMBER,
                format!("`{}` has no member `{name}`", prefix.trim_end_matches('.')),
                self.path,
                seg.name.span,
                format!("not a member of node `{}`", def.name),
            );
            if let Some(s) = units::closest(name, def.member_names()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                let names: Vec<&str> = def.member_names().take(8).collect();
                if !names.is_empty() {
                    d = d.with_note(format!("`{}` has: {}", def.name, names.join(", ")));
                }
            }
            self.push(d);
        }
    }
}

fn article(word: &str) -> String {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {word}"),
        _ => format!("a {word}"),
    }
}

fn mismatch_help(want: VType, got: VType) -> String {
    match (want.dim(), got.dim()) {
        (Some(w), Some(g)) => {
            // A simple named factor (a time, an area) is likely a missing term; other
            // differences are different kinds of quantity.
            let factor = [w.div(g), g.div(w)].into_iter().flatten().find(|r| {
                !r.is_dimensionless() && !r.to_string().contains('/') && r.describe().is_some()
            });
            match factor {
                Some(r) => format!(
                    "the two differ by {} (`{r}`): is a factor in `{r}` missing?",
                    article(r.describe().unwrap_or_default())
                ),
                None if w == g => "check the formula".to_string(),
                None => "units of different dimensions never convert: check that both sides \
                         measure the same kind of quantity"
                    .to_string(),
            }
        }
        _ => "check the formula".to_string(),
    }
}

/// How to turn a value of `got` into one of `want`: multiply or divide by a named kind of
/// quantity ("divide by an area (`m^2`)"), or else [`mismatch_help`].
fn conversion_help(want: VType, got: VType) -> String {
    let (Some(w), Some(g)) = (want.dim(), got.dim()) else {
        return mismatch_help(want, got);
    };
    let (Some(up), Some(down)) = (w.div(g), g.div(w)) else {
        return mismatch_help(want, got);
    };
    if up.is_dimensionless() {
        return mismatch_help(want, got);
    }
    // Only simple factors, written without a denominator: "divide by a time", not
    // "multiply by a frequency" or "divide by a diffusivity".
    let plain = |d: Dim| !d.to_string().contains('/');
    match (up.describe(), down.describe()) {
        (Some(name), _) if plain(up) => {
            format!("multiply by {} (`{up}`) to get `{w}`", article(name))
        }
        (_, Some(name)) if plain(down) => {
            format!("divide by {} (`{down}`) to get `{w}`", article(name))
        }
        _ => mismatch_help(want, got),
    }
}

fn signature_help(name: &str) -> String {
    match name {
        "clamp" => "use `clamp(value, lo, hi)`".to_string(),
        "min" | "max" => format!("use `{name}(a, b, ...)` with two or more arguments"),
        "atan2" => "use `atan2(y, x)`".to_string(),
        "pow" => "use `pow(base, exponent)` or `base ^ exponent`".to_string(),
        "uniform" => "use `uniform(lo, hi)`".to_string(),
        "normal" => "use `normal(mean, standard_deviation)`".to_string(),
        _ => format!("use `{name}(x)`"),
    }
}

/// Fold a built-in over constant arguments (in SI), as the IR would compute it.
pub fn fold_builtin(name: &str, a: &[f64]) -> Option<f64> {
    Some(match (name, a) {
        ("min", v) => v.iter().copied().fold(f64::INFINITY, f64::min),
        ("max", v) => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ("clamp", [x, lo, hi]) => x.max(*lo).min(*hi),
        ("abs", [x]) => x.abs(),
        ("floor", [x]) => x.floor(),
        ("ceil", [x]) => x.ceil(),
        ("round", [x]) => x.round(),
        ("sign", [x]) => {
            if *x > 0.0 {
                1.0
            } else if *x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        ("sqrt", [x]) => x.sqrt(),
        ("exp", [x]) => x.exp(),
        ("log", [x]) => x.ln(),
        ("log10", [x]) => x.log10(),
        ("sin", [x]) => x.sin(),
        ("cos", [x]) => x.cos(),
        ("tan", [x]) => x.tan(),
        ("asin", [x]) => x.asin(),
        ("acos", [x]) => x.acos(),
        ("atan", [x]) => x.atan(),
        ("sinh", [x]) => x.sinh(),
        ("cosh", [x]) => x.cosh(),
        ("tanh", [x]) => x.tanh(),
        ("pow", [x, y]) => x.powf(*y),
        ("atan2", [y, x]) => y.atan2(*x),
        _ => return None,
    })
}
