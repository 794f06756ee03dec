//! Units: dimension algebra and the unit table.
//!
//! This module owns the dimension algebra: the seven SI base dimensions with exact rational
//! exponents ([`Dim`], [`Ratio`]), units as a dimension plus a scale factor to SI ([`Unit`]),
//! the built-in unit names with SI prefixes ([`builtin`]), evaluation of a written
//! [`UnitExpr`] ([`eval`]), the SI spelling used in messages ([`format_unit`], `Dim`'s
//! `Display`), and "did you mean" support ([`suggest()`], [`closest`], [`levenshtein`])
//! that the whole compiler shares. It knows nothing of the AST beyond [`UnitExpr`], and
//! nothing here panics: exponent overflow, a zero denominator or a non-finite scale come
//! back as [`UnitError`]s (or `None`).
//!
//! Submodules: [`ratio`] (exact fractions), [`dim`] (dimensions and their names), [`mod@unit`]
//! (units and formatting), [`table`] (built-in names and prefixes), [`mod@suggest`] (edit
//! distance and suggestions).

pub mod dim;
pub mod ratio;
pub mod suggest;
pub mod table;
pub mod unit;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::syntax::ast::{Span, UnitExpr, UnitExprKind};

pub use dim::{BASE_SYMBOLS, Dim};
pub use ratio::Ratio;
pub use suggest::{closest, edit_distance, hint, levenshtein, suggest};
pub use table::{PREFIXES, builtin, builtin_names, prefixed_names};
pub use unit::{Unit, format_number, format_unit, format_value};

/// Why a unit expression could not be evaluated, and where.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UnitError {
    pub span: Span,
    pub kind: UnitErrorKind,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum UnitErrorKind {
    /// A name that is neither a user unit nor a built-in one. `suggestion` is a "did you
    /// mean" over the built-in names; `hint` explains names missing on purpose (`°C`, `rpm`).
    Unknown {
        name: String,
        suggestion: Option<String>,
        hint: Option<&'static str>,
    },
    /// An exponent with a zero denominator.
    BadExponent,
    /// An exponent too large to represent exactly.
    Overflow,
    /// The unit's scale is infinite or NaN (`1/0`, `km^400`).
    NonFiniteScale,
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            UnitErrorKind::Unknown { name, .. } => write!(f, "unknown unit `{name}`"),
            UnitErrorKind::BadExponent => f.write_str("invalid unit exponent"),
            UnitErrorKind::Overflow => f.write_str("unit exponent out of range"),
            UnitErrorKind::NonFiniteScale => f.write_str("unit scale is not a finite number"),
        }
    }
}

impl std::error::Error for UnitError {}

/// The error for an unknown unit name, with its suggestion or hint filled in.
pub fn unknown(name: &str, span: Span) -> UnitError {
    UnitError {
        span,
        kind: UnitErrorKind::Unknown {
            name: name.to_string(),
            suggestion: suggest(name, &[]),
            hint: hint(name),
        },
    }
}

/// Evaluate a unit expression, looking user-declared names up with `user` first, then
/// [`builtin`]. A number is a pure dimensionless factor (`1` of `1/s`, `12` of
/// `unit dozen = 12`). Errors carry the span of the offending part.
pub fn eval(expr: &UnitExpr, user: &dyn Fn(&str) -> Option<Unit>) -> Result<Unit, UnitError> {
    let checked = |u: Option<Unit>| {
        let kind = match u {
            Some(u) if u.is_finite() => return Ok(u),
            Some(_) => UnitErrorKind::NonFiniteScale,
            None => UnitErrorKind::Overflow,
        };
        Err(UnitError {
            span: expr.span,
            kind,
        })
    };
    match &expr.kind {
        UnitExprKind::Name(name) => match user(name).or_else(|| builtin(name)) {
            Some(u) => checked(Some(u)),
            None => Err(unknown(name, expr.span)),
        },
        UnitExprKind::Number(x) => checked(Some(Unit::new(Dim::DIMENSIONLESS, *x))),
        UnitExprKind::Mul(a, b) => {
            let (a, b) = (eval(a, user)?, eval(b, user)?);
            checked(a.mul(b))
        }
        UnitExprKind::Div(a, b) => {
            let (a, b) = (eval(a, user)?, eval(b, user)?);
            checked(a.div(b))
        }
        UnitExprKind::Pow(base, exp) => {
            let base = eval(base, user)?;
            let Some(exp) = Ratio::new(exp.num, exp.den) else {
                let kind = if exp.den == 0 {
                    UnitErrorKind::BadExponent
                } else {
                    UnitErrorKind::Overflow
                };
                return Err(UnitError {
                    span: expr.span,
                    kind,
                });
            };
            checked(base.powr(exp))
        }
    }
}

/// Evaluate a unit expression with built-in names only.
pub fn eval_builtin(expr: &UnitExpr) -> Result<Unit, UnitError> {
    eval(expr, &|_| None)
}
