//! Units: a dimension plus the scale factor that converts a value in the unit to SI.
//!
//! `L` is `Unit { dim: m^3, scale: 0.001 }`: 17.42 L is 0.01742 m^3. Values are kept in SI
//! everywhere inside the compiler; a unit only says what a written number means. Combining
//! units is checked: a dimension overflow is `None`. The scale may become non-finite (e.g.
//! `km^400`); callers that need a usable unit check [`Unit::is_finite`].

use std::fmt;

use super::dim::Dim;
use super::ratio::Ratio;

/// A unit: dimension plus the factor that converts a value in this unit to SI.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Unit {
    pub dim: Dim,
    pub scale: f64,
}

impl Unit {
    /// The dimensionless unit with scale 1 (the `1` of `1/s`).
    pub const ONE: Unit = Unit {
        dim: Dim::DIMENSIONLESS,
        scale: 1.0,
    };

    pub const fn new(dim: Dim, scale: f64) -> Unit {
        Unit { dim, scale }
    }

    /// The SI unit of a dimension (scale 1).
    pub const fn si(dim: Dim) -> Unit {
        Unit { dim, scale: 1.0 }
    }

    /// The product unit; `None` on exponent overflow.
    #[allow(clippy::should_implement_trait)] // checked: returns Option, unlike `Mul`
    pub fn mul(self, other: Unit) -> Option<Unit> {
        Some(Unit {
            dim: self.dim.mul(other.dim)?,
            scale: self.scale * other.scale,
        })
    }

    /// The quotient unit; `None` on exponent overflow.
    #[allow(clippy::should_implement_trait)] // checked: returns Option, unlike `Div`
    pub fn div(self, other: Unit) -> Option<Unit> {
        Some(Unit {
            dim: self.dim.div(other.dim)?,
            scale: self.scale / other.scale,
        })
    }

    /// The unit raised to a rational power: the scale via `powi` for integer exponents that
    /// fit `i32`, else `powf`. `None` on exponent overflow.
    pub fn powr(self, exp: Ratio) -> Option<Unit> {
        let dim = self.dim.pow(exp)?;
        let scale = match exp.to_integer().and_then(|n| i32::try_from(n).ok()) {
            Some(n) => self.scale.powi(n),
            None => self.scale.powf(exp.to_f64()),
        };
        Some(Unit { dim, scale })
    }

    /// True when both units measure the same dimension (scales may differ: `L` and `m^3`).
    pub fn same_dim(&self, other: &Unit) -> bool {
        self.dim == other.dim
    }

    /// True when the scale is a finite number.
    pub fn is_finite(&self) -> bool {
        self.scale.is_finite()
    }

    /// Convert a value written in this unit to SI: `17.42` L -> `0.01742` m^3.
    pub fn to_si(&self, value: f64) -> f64 {
        value * self.scale
    }

    /// Convert an SI value into this unit: `0.01742` m^3 -> `17.42` L.
    pub fn from_si(&self, si_value: f64) -> f64 {
        si_value / self.scale
    }
}

impl Default for Unit {
    fn default() -> Unit {
        Unit::ONE
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_unit(self))
    }
}

/// A number for messages: plain for 1e-4 <= |x| < 1e6 (`0.001`, `101325`), otherwise in
/// exponent form (`1e-6`, `1e24`, `1.602e-19`).
pub fn format_number(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !x.is_finite() || (1e-4..1e6).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// The unit in SI spelling with its scale when that is not 1: `m^3/s`, `0.001 m^3` (L),
/// `60 s` (min), `0.01` (%), `1` (dimensionless).
pub fn format_unit(u: &Unit) -> String {
    if u.scale == 1.0 {
        u.dim.to_string()
    } else if u.dim.is_dimensionless() {
        format_number(u.scale)
    } else {
        format!("{} {}", format_number(u.scale), u.dim)
    }
}

/// An SI value written with the SI spelling of `u`'s dimension: `format_value(0.5, &L)` is
/// `0.5 m^3`; dimensionless values are the bare number. (Values are SI inside the compiler;
/// use [`Unit::from_si`] to express one in `u` itself.)
pub fn format_value(si_value: f64, u: &Unit) -> String {
    if u.dim.is_dimensionless() {
        format_number(si_value)
    } else {
        format!("{} {}", format_number(si_value), u.dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine() {
        let m = Unit::si(Dim::LENGTH);
        let s = Unit::si(Dim::TIME);
        let v = m.div(s).unwrap();
        assert_eq!(v, Unit::si(Dim::VELOCITY));
        assert_eq!(v.mul(s), Some(m));
        let km = Unit::new(Dim::LENGTH, 1000.0);
        let km2 = km.powr(Ratio::TWO).unwrap();
        assert_eq!(km2, Unit::new(Dim::AREA, 1e6));
        assert!(km2.same_dim(&Unit::si(Dim::AREA)));
        assert!(!km2.same_dim(&km));
        let back = km2.powr(Ratio::HALF).unwrap();
        assert_eq!(back.dim, Dim::LENGTH);
        assert!((back.scale - 1000.0).abs() < 1e-9);
        let l = Unit::new(Dim::VOLUME, 1e-3);
        let edge = l.powr(Ratio::new(1, 3).unwrap()).unwrap();
        assert_eq!(edge.dim, Dim::LENGTH);
        assert!((edge.scale - 0.1).abs() < 1e-12);
        assert_eq!(Unit::ONE.powr(Ratio::int(i64::MAX)).unwrap().scale, 1.0);
        assert_eq!(km.powr(Ratio::int(-1)).unwrap().scale, 1e-3);
    }

    #[test]
    fn overflow_and_non_finite() {
        let km = Unit::new(Dim::LENGTH, 1000.0);
        let big = km.powr(Ratio::int(400)).unwrap();
        assert!(!big.is_finite());
        let huge = Unit::si(Dim::LENGTH).powr(Ratio::int(i64::MAX)).unwrap();
        assert_eq!(huge.mul(Unit::si(Dim::LENGTH)), None);
        assert_eq!(huge.powr(Ratio::TWO), None);
        let neg = Unit::new(Dim::DIMENSIONLESS, -2.0);
        assert!(!neg.powr(Ratio::HALF).unwrap().is_finite());
    }

    #[test]
    fn conversions() {
        let l = Unit::new(Dim::VOLUME, 1e-3);
        assert!((l.to_si(17.42) - 0.01742).abs() < 1e-15);
        assert!((l.from_si(0.01742) - 17.42).abs() < 1e-12);
    }

    #[test]
    fn formatting() {
        assert_eq!(format_unit(&Unit::si(Dim::VOLUME_FLOW)), "m^3/s");
        assert_eq!(format_unit(&Unit::new(Dim::VOLUME, 1e-3)), "0.001 m^3");
        assert_eq!(format_unit(&Unit::new(Dim::TIME, 60.0)), "60 s");
        assert_eq!(format_unit(&Unit::new(Dim::DIMENSIONLESS, 0.01)), "0.01");
        assert_eq!(format_unit(&Unit::ONE), "1");
        assert_eq!(format_unit(&Unit::new(Dim::VOLUME, 1e-6)), "1e-6 m^3");
        assert_eq!(format_unit(&Unit::new(Dim::LENGTH, 1e24)), "1e24 m");
        assert_eq!(
            Unit::new(Dim::PRESSURE, 1e5).to_string(),
            "100000 kg/(m*s^2)"
        );
        assert_eq!(format_number(1.602e-19), "1.602e-19");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-2.5), "-2.5");
        assert_eq!(format_number(f64::INFINITY), "inf");
        assert_eq!(format_value(0.5, &Unit::new(Dim::VOLUME, 1e-3)), "0.5 m^3");
        assert_eq!(format_value(0.5, &Unit::ONE), "0.5");
    }
}
