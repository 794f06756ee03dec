//! Numeric definitions both kernels share, so the native code and the interpreter agree
//! bit for bit (docs/language.md, "Numerics"): the Dormand-Prince tableau of `rk45` and
//! the step-size rule. Pure constants and functions; no IO, no Cranelift.

/// `min` as the language defines it: `b < a ? b : a`.
#[inline]
pub fn min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

/// `max` as the language defines it: `b > a ? b : a`.
#[inline]
pub fn max(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

/// `sign(x)`: 1 for `x > 0`, -1 for `x < 0`, else `x * 0`.
#[inline]
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x * 0.0
    }
}

/// Dormand-Prince 5(4): the coefficients `a[s][j]` of stage `s + 2` (stages 2..=7; zero
/// entries are skipped when evaluating), `b5` the fifth-order weights (equal to the last
/// row: stage 7 is evaluated at the solution), and `e = b5 - b4` over `k1..k7`.
pub const DOPRI_A: [[f64; 6]; 6] = [
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];

/// `e = b5 - b4` for `k1..k7` (`e2 = 0` is skipped).
pub const DOPRI_E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// The factor applied to the internal step size after an attempt with error norm
/// `norm`: 5 for a zero norm, else `min(5, max(0.2, 0.9 * pow(norm, -0.2)))`.
#[inline]
pub fn dopri_factor(norm: f64) -> f64 {
    if norm == 0.0 {
        5.0
    } else {
        min(5.0, max(0.2, 0.9 * norm.powf(-0.2)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tableau_rows_sum_to_their_nodes() {
        let c = [1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
        for (row, ci) in DOPRI_A.iter().zip(c) {
            assert!((row.iter().sum::<f64>() - ci).abs() < 1e-14);
        }
        assert!(DOPRI_E.iter().sum::<f64>().abs() < 1e-15);
    }

    #[test]
    fn min_max_follow_the_reference() {
        assert_eq!(min(1.0, f64::NAN), 1.0);
        assert!(min(f64::NAN, 1.0).is_nan());
        assert_eq!(max(0.2, f64::NAN), 0.2);
        assert_eq!(sign(-3.0), -1.0);
        assert!(sign(f64::NAN).is_nan());
    }
}
