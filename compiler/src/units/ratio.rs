//! Exact rational numbers for unit exponents.
//!
//! [`Ratio`] is an `i64` fraction that is always normalised (denominator positive, numerator
//! and denominator coprime), so structural equality and hashing are value equality. All
//! arithmetic is checked: intermediate results are computed in `i128` and anything that does
//! not fit back into `i64` (or divides by zero) yields `None` instead of panicking.

use std::cmp::Ordering;
use std::fmt;

/// An exact rational number `num/den`, always normalised (`den > 0`, `gcd(num, den) == 1`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i64,
    den: i64,
}

impl Ratio {
    pub const ZERO: Ratio = Ratio::int(0);
    pub const ONE: Ratio = Ratio::int(1);
    pub const MINUS_ONE: Ratio = Ratio::int(-1);
    pub const TWO: Ratio = Ratio::int(2);
    pub const HALF: Ratio = Ratio { num: 1, den: 2 };

    /// The whole number `n`.
    pub const fn int(n: i64) -> Ratio {
        Ratio { num: n, den: 1 }
    }

    /// `num/den`, normalised; `None` when `den == 0` or the normalised form does not fit
    /// (`i64::MIN / -1`).
    pub fn new(num: i64, den: i64) -> Option<Ratio> {
        Ratio::from_i128(i128::from(num), i128::from(den))
    }

    /// Normalise an `i128` fraction and narrow it to `i64`.
    fn from_i128(num: i128, den: i128) -> Option<Ratio> {
        if den == 0 {
            return None;
        }
        let g = gcd(num.unsigned_abs(), den.unsigned_abs());
        // `g` divides `den`, so it is at most |den| <= i128::MAX.
        let g = i128::try_from(g).ok()?;
        let (mut n, mut d) = (num / g, den / g);
        if d < 0 {
            n = n.checked_neg()?;
            d = d.checked_neg()?;
        }
        Some(Ratio {
            num: i64::try_from(n).ok()?,
            den: i64::try_from(d).ok()?,
        })
    }

    /// The numerator (carries the sign).
    pub const fn num(self) -> i64 {
        self.num
    }

    /// The denominator (always positive).
    pub const fn den(self) -> i64 {
        self.den
    }

    pub const fn is_zero(self) -> bool {
        self.num == 0
    }

    pub const fn is_integer(self) -> bool {
        self.den == 1
    }

    pub const fn is_positive(self) -> bool {
        self.num > 0
    }

    pub const fn is_negative(self) -> bool {
        self.num < 0
    }

    /// The whole-number value, if this is an integer.
    pub const fn to_integer(self) -> Option<i64> {
        if self.den == 1 { Some(self.num) } else { None }
    }

    /// The nearest `f64`.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    pub fn checked_add(self, other: Ratio) -> Option<Ratio> {
        let (a, b) = (i128::from(self.num), i128::from(self.den));
        let (c, d) = (i128::from(other.num), i128::from(other.den));
        // |a*d| and |c*b| are below 2^126, so neither the products nor the sum overflow.
        Ratio::from_i128(a * d + c * b, b * d)
    }

    pub fn checked_sub(self, other: Ratio) -> Option<Ratio> {
        let (a, b) = (i128::from(self.num), i128::from(self.den));
        let (c, d) = (i128::from(other.num), i128::from(other.den));
        Ratio::from_i128(a * d - c * b, b * d)
    }

    pub fn checked_mul(self, other: Ratio) -> Option<Ratio> {
        let (a, b) = (i128::from(self.num), i128::from(self.den));
        let (c, d) = (i128::from(other.num), i128::from(other.den));
        Ratio::from_i128(a * c, b * d)
    }

    /// `self / other`; `None` when `other` is zero or the result does not fit.
    pub fn checked_div(self, other: Ratio) -> Option<Ratio> {
        let (a, b) = (i128::from(self.num), i128::from(self.den));
        let (c, d) = (i128::from(other.num), i128::from(other.den));
        Ratio::from_i128(a * d, b * c)
    }

    pub fn checked_neg(self) -> Option<Ratio> {
        Some(Ratio {
            num: self.num.checked_neg()?,
            den: self.den,
        })
    }

    pub fn checked_abs(self) -> Option<Ratio> {
        Some(Ratio {
            num: self.num.checked_abs()?,
            den: self.den,
        })
    }

    /// `1/self`; `None` for zero.
    pub fn checked_recip(self) -> Option<Ratio> {
        Ratio::ONE.checked_div(self)
    }

    /// The simple fraction equal to `x` (within floating-point noise), with a denominator of
    /// at most 1000: `0.5 -> 1/2`, `1.0/3.0 -> 1/3`, `-2.0 -> -2`. `None` for non-finite
    /// values, values too large for `i64`, and values that are not such a fraction (`pi`).
    pub fn from_f64(x: f64) -> Option<Ratio> {
        const MAX_DEN: i128 = 1000;
        // Whole numbers are exact up to 2^53; beyond that an f64 carries no fraction at all.
        const LIMIT: f64 = 9.0e15;
        if !x.is_finite() || x.abs() > LIMIT {
            return None;
        }
        if x.fract() == 0.0 {
            return Some(Ratio::int(x as i64));
        }
        // Relative, so tiny non-zero values are not mistaken for zero.
        let tolerance = 1e-9 * x.abs();
        // Continued-fraction convergents h/k of x.
        let (mut h0, mut h1) = (0i128, 1i128);
        let (mut k0, mut k1) = (1i128, 0i128);
        let mut rest = x;
        for _ in 0..64 {
            let a = rest.floor();
            if !a.is_finite() || a.abs() > LIMIT {
                return None;
            }
            let ai = a as i128;
            let h2 = ai.checked_mul(h1)?.checked_add(h0)?;
            let k2 = ai.checked_mul(k1)?.checked_add(k0)?;
            if k2 > MAX_DEN {
                return None;
            }
            (h0, h1, k0, k1) = (h1, h2, k1, k2);
            if (h2 as f64 / k2 as f64 - x).abs() <= tolerance {
                return Ratio::from_i128(h2, k2);
            }
            let frac = rest - a;
            if frac <= 0.0 {
                return None;
            }
            rest = 1.0 / frac;
        }
        None
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl From<i64> for Ratio {
    fn from(n: i64) -> Ratio {
        Ratio::int(n)
    }
}

impl From<i32> for Ratio {
    fn from(n: i32) -> Ratio {
        Ratio::int(i64::from(n))
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Ratio) -> Ordering {
        // Denominators are positive, so cross-multiplying keeps the order; i128 cannot overflow.
        let lhs = i128::from(self.num) * i128::from(other.den);
        let rhs = i128::from(other.num) * i128::from(self.den);
        lhs.cmp(&rhs)
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Ratio) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

impl fmt::Debug for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn normalises() {
        assert_eq!(r(2, 4), r(1, 2));
        assert_eq!(r(2, -4), r(-1, 2));
        assert_eq!(r(-3, -6), r(1, 2));
        assert_eq!(r(0, -7), Ratio::ZERO);
        assert_eq!(r(0, 5).den(), 1);
        assert_eq!(r(6, 3), Ratio::TWO);
        assert_eq!((r(-6, 4).num(), r(-6, 4).den()), (-3, 2));
        assert_eq!(Ratio::new(1, 0), None);
        assert_eq!(Ratio::new(0, 0), None);
        assert_eq!(r(i64::MIN, 1).num(), i64::MIN);
        assert_eq!(Ratio::new(i64::MIN, -1), None);
        assert_eq!(r(i64::MIN, i64::MIN), Ratio::ONE);
        assert_eq!(r(i64::MIN, 2).num(), i64::MIN / 2);
    }

    #[test]
    fn arithmetic() {
        assert_eq!(r(1, 2).checked_add(r(1, 3)), Some(r(5, 6)));
        assert_eq!(r(1, 2).checked_sub(r(1, 2)), Some(Ratio::ZERO));
        assert_eq!(r(2, 3).checked_mul(r(3, 4)), Some(r(1, 2)));
        assert_eq!(r(2, 3).checked_div(r(-4, 9)), Some(r(-3, 2)));
        assert_eq!(r(2, 3).checked_div(Ratio::ZERO), None);
        assert_eq!(Ratio::ZERO.checked_recip(), None);
        assert_eq!(r(-2, 7).checked_recip(), Some(r(-7, 2)));
        assert_eq!(r(1, 6).checked_add(r(1, 3)), Some(r(1, 2)));
    }

    #[test]
    fn overflow_is_none() {
        let max = Ratio::int(i64::MAX);
        let min = Ratio::int(i64::MIN);
        assert_eq!(max.checked_add(Ratio::ONE), None);
        assert_eq!(min.checked_sub(Ratio::ONE), None);
        assert_eq!(max.checked_mul(Ratio::TWO), None);
        assert_eq!(min.checked_neg(), None);
        assert_eq!(min.checked_abs(), None);
        assert_eq!(min.checked_div(Ratio::MINUS_ONE), None);
        assert_eq!(r(1, i64::MAX).checked_mul(r(1, i64::MAX)), None);
        // Big intermediate values that reduce back into range are fine.
        assert_eq!(max.checked_mul(r(1, i64::MAX)), Some(Ratio::ONE));
        assert_eq!(max.checked_sub(max), Some(Ratio::ZERO));
        assert!(r(1, i64::MAX).checked_add(r(1, i64::MAX - 1)).is_none());
    }

    #[test]
    fn ordering() {
        assert!(r(1, 3) < r(1, 2));
        assert!(r(-1, 2) < Ratio::ZERO);
        assert!(Ratio::int(i64::MIN) < Ratio::int(i64::MAX));
        assert!(r(i64::MAX - 1, i64::MAX) < Ratio::ONE);
        assert_eq!(r(2, 4).cmp(&r(1, 2)), Ordering::Equal);
    }

    #[test]
    fn display() {
        assert_eq!(Ratio::TWO.to_string(), "2");
        assert_eq!(Ratio::MINUS_ONE.to_string(), "-1");
        assert_eq!(r(1, 2).to_string(), "1/2");
        assert_eq!(r(-3, 6).to_string(), "-1/2");
        assert_eq!(format!("{:?}", r(4, 6)), "2/3");
    }

    #[test]
    fn from_f64() {
        assert_eq!(Ratio::from_f64(2.0), Some(Ratio::TWO));
        assert_eq!(Ratio::from_f64(-3.0), Some(Ratio::int(-3)));
        assert_eq!(Ratio::from_f64(0.5), Some(r(1, 2)));
        assert_eq!(Ratio::from_f64(1.0 / 3.0), Some(r(1, 3)));
        assert_eq!(Ratio::from_f64(-2.0 / 3.0), Some(r(-2, 3)));
        assert_eq!(Ratio::from_f64(1.5), Some(r(3, 2)));
        assert_eq!(Ratio::from_f64(0.1), Some(r(1, 10)));
        assert_eq!(Ratio::from_f64(-0.25), Some(r(-1, 4)));
        assert_eq!(Ratio::from_f64(0.0), Some(Ratio::ZERO));
        assert_eq!(Ratio::from_f64(std::f64::consts::PI), None);
        assert_eq!(Ratio::from_f64(f64::NAN), None);
        assert_eq!(Ratio::from_f64(f64::INFINITY), None);
        assert_eq!(Ratio::from_f64(1e300), None);
        assert_eq!(Ratio::from_f64(1e-300), None);
        assert_eq!(Ratio::from_f64(f64::MIN_POSITIVE), None);
    }
}
