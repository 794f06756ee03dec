//! The types of values in `.plant` expressions and the built-in functions' signatures.

use crate::units::{Dim, Unit};

/// The type of a value: a quantity of some dimension, a boolean, or an error already
/// reported (which silences follow-on errors).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum VType {
    Num(Dim),
    Bool,
    Error,
}

impl VType {
    pub const DIMENSIONLESS: VType = VType::Num(Dim::DIMENSIONLESS);

    pub fn dim(self) -> Option<Dim> {
        match self {
            VType::Num(d) => Some(d),
            _ => None,
        }
    }

    /// The type in SI spelling with its dimension's name: `m^3/s (volume flow)`, `bool`.
    pub fn describe(self) -> String {
        match self {
            VType::Num(d) => match d.describe() {
                Some(name) if !d.is_dimensionless() => format!("{d} ({name})"),
                _ => format!("{d}"),
            },
            VType::Bool => "bool".to_string(),
            VType::Error => "?".to_string(),
        }
    }
}

/// How a declared unit reads to the user: as written, and resolved.
#[derive(Clone, PartialEq, Debug)]
pub struct DeclaredUnit {
    /// The unit as the user spelled it, e.g. `L/s`.
    pub text: String,
    pub unit: Unit,
}

/// Describe a type, naming the user's spelling first when it differs from SI:
/// "`L/s` (= 0.001 m^3/s, volume flow)" or "m (length)".
pub fn describe_with_spelling(ty: VType, spelled: Option<&str>) -> String {
    match (ty, spelled) {
        (VType::Num(d), Some(s)) if s != d.to_string() => {
            let si = d.to_string();
            match d.describe() {
                Some(name) => format!("`{s}` (SI: {si}, {name})"),
                None => format!("`{s}` (SI: {si})"),
            }
        }
        (VType::Num(d), _) => match d.describe() {
            Some(name) if !d.is_dimensionless() => format!("`{d}` ({name})"),
            _ => format!("`{d}`"),
        },
        (VType::Bool, _) => "`bool`".to_string(),
        (VType::Error, _) => "`?`".to_string(),
    }
}

/// What a built-in function does to units.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BuiltinRule {
    /// All arguments share a dimension; the result has it (`min`, `max`, `clamp`).
    SameAsArgs,
    /// One argument; the result has its unit (`abs`, `floor`, `ceil`, `round`).
    Keep,
    /// One argument; the result is dimensionless (`sign`).
    Sign,
    /// One dimensionless argument, dimensionless result (`exp`, `log`, `sin`, ...).
    Dimensionless,
    /// Square root: halves the exponents.
    Sqrt,
    /// `pow(a, b)`: like `a ^ b`.
    Pow,
    /// `atan2(y, x)`: same dimension, dimensionless result.
    Atan2,
    /// `uniform(lo, hi)`, `normal(mean, sd)`: a random draw with the arguments' unit.
    Random,
}

/// The built-in functions: name, minimum and maximum argument count, rule.
pub const BUILTINS: &[(&str, usize, usize, BuiltinRule)] = &[
    ("min", 2, usize::MAX, BuiltinRule::SameAsArgs),
    ("max", 2, usize::MAX, BuiltinRule::SameAsArgs),
    ("clamp", 3, 3, BuiltinRule::SameAsArgs),
    ("abs", 1, 1, BuiltinRule::Keep),
    ("floor", 1, 1, BuiltinRule::Keep),
    ("ceil", 1, 1, BuiltinRule::Keep),
    ("round", 1, 1, BuiltinRule::Keep),
    ("sign", 1, 1, BuiltinRule::Sign),
    ("sqrt", 1, 1, BuiltinRule::Sqrt),
    ("exp", 1, 1, BuiltinRule::Dimensionless),
    ("log", 1, 1, BuiltinRule::Dimensionless),
    ("log10", 1, 1, BuiltinRule::Dimensionless),
    ("sin", 1, 1, BuiltinRule::Dimensionless),
    ("cos", 1, 1, BuiltinRule::Dimensionless),
    ("tan", 1, 1, BuiltinRule::Dimensionless),
    ("asin", 1, 1, BuiltinRule::Dimensionless),
    ("acos", 1, 1, BuiltinRule::Dimensionless),
    ("atan", 1, 1, BuiltinRule::Dimensionless),
    ("sinh", 1, 1, BuiltinRule::Dimensionless),
    ("cosh", 1, 1, BuiltinRule::Dimensionless),
    ("tanh", 1, 1, BuiltinRule::Dimensionless),
    ("pow", 2, 2, BuiltinRule::Pow),
    ("atan2", 2, 2, BuiltinRule::Atan2),
    ("uniform", 2, 2, BuiltinRule::Random),
    ("normal", 2, 2, BuiltinRule::Random),
];

pub fn builtin(name: &str) -> Option<(usize, usize, BuiltinRule)> {
    BUILTINS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, lo, hi, r)| (*lo, *hi, *r))
}
