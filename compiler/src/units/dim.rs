//! Physical dimensions: exponents over the seven SI base dimensions.
//!
//! A [`Dim`] is a vector of exact rational exponents in the order m, kg, s, K, mol, A, cd.
//! Multiplying quantities adds exponents, dividing subtracts them, and powers scale them; all
//! of it is checked, so an exponent overflow is `None`, never a panic. `Display` gives the SI
//! spelling used in every message (`kg*m/s^2`, `kg/(m*s^2)`, `m^(1/2)`, `1/s`, `1`) and
//! [`Dim::describe`] names the common dimensions ("volume flow", "pressure", ...).

use std::fmt;

use super::ratio::Ratio;

/// The base unit symbols, indexed like [`Dim`]'s exponents.
pub const BASE_SYMBOLS: [&str; 7] = ["m", "kg", "s", "K", "mol", "A", "cd"];

/// The order base units are written in: kg first (`kg*m/s^2`), then m s K mol A cd.
const DISPLAY_ORDER: [usize; 7] = [1, 0, 2, 3, 4, 5, 6];

/// Exponents over the 7 SI base dimensions, in the order m, kg, s, K, mol, A, cd.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dim(pub [Ratio; 7]);

impl Dim {
    /// A dimension from whole exponents (m, kg, s, K, mol, A, cd).
    pub const fn from_ints(e: [i64; 7]) -> Dim {
        let mut out = [Ratio::ZERO; 7];
        let mut i = 0;
        while i < 7 {
            out[i] = Ratio::int(e[i]);
            i += 1;
        }
        Dim(out)
    }

    pub const DIMENSIONLESS: Dim = Dim::from_ints([0, 0, 0, 0, 0, 0, 0]);
    pub const LENGTH: Dim = Dim::from_ints([1, 0, 0, 0, 0, 0, 0]);
    pub const MASS: Dim = Dim::from_ints([0, 1, 0, 0, 0, 0, 0]);
    pub const TIME: Dim = Dim::from_ints([0, 0, 1, 0, 0, 0, 0]);
    pub const TEMPERATURE: Dim = Dim::from_ints([0, 0, 0, 1, 0, 0, 0]);
    pub const AMOUNT: Dim = Dim::from_ints([0, 0, 0, 0, 1, 0, 0]);
    pub const CURRENT: Dim = Dim::from_ints([0, 0, 0, 0, 0, 1, 0]);
    pub const LUMINOUS_INTENSITY: Dim = Dim::from_ints([0, 0, 0, 0, 0, 0, 1]);

    pub const AREA: Dim = Dim::from_ints([2, 0, 0, 0, 0, 0, 0]);
    pub const VOLUME: Dim = Dim::from_ints([3, 0, 0, 0, 0, 0, 0]);
    pub const VELOCITY: Dim = Dim::from_ints([1, 0, -1, 0, 0, 0, 0]);
    pub const ACCELERATION: Dim = Dim::from_ints([1, 0, -2, 0, 0, 0, 0]);
    pub const FREQUENCY: Dim = Dim::from_ints([0, 0, -1, 0, 0, 0, 0]);
    pub const VOLUME_FLOW: Dim = Dim::from_ints([3, 0, -1, 0, 0, 0, 0]);
    pub const MASS_FLOW: Dim = Dim::from_ints([0, 1, -1, 0, 0, 0, 0]);
    pub const MOLAR_FLOW: Dim = Dim::from_ints([0, 0, -1, 0, 1, 0, 0]);
    pub const FORCE: Dim = Dim::from_ints([1, 1, -2, 0, 0, 0, 0]);
    pub const PRESSURE: Dim = Dim::from_ints([-1, 1, -2, 0, 0, 0, 0]);
    pub const ENERGY: Dim = Dim::from_ints([2, 1, -2, 0, 0, 0, 0]);
    pub const POWER: Dim = Dim::from_ints([2, 1, -3, 0, 0, 0, 0]);
    pub const DENSITY: Dim = Dim::from_ints([-3, 1, 0, 0, 0, 0, 0]);
    /// mol/m^3
    pub const CONCENTRATION: Dim = Dim::from_ints([-3, 0, 0, 0, 1, 0, 0]);
    pub const CHARGE: Dim = Dim::from_ints([0, 0, 1, 0, 0, 1, 0]);
    pub const VOLTAGE: Dim = Dim::from_ints([2, 1, -3, 0, 0, -1, 0]);
    pub const RESISTANCE: Dim = Dim::from_ints([2, 1, -3, 0, 0, -2, 0]);

    /// The exponent of base dimension `i` (0 = m ... 6 = cd); zero for `i >= 7`.
    pub fn exponent(self, i: usize) -> Ratio {
        self.0.get(i).copied().unwrap_or(Ratio::ZERO)
    }

    /// The base dimension `i` (0 = m ... 6 = cd) to the first power; dimensionless for `i >= 7`.
    pub fn base(i: usize) -> Dim {
        let mut d = Dim::DIMENSIONLESS;
        if let Some(e) = d.0.get_mut(i) {
            *e = Ratio::ONE;
        }
        d
    }

    fn zip(self, other: Dim, f: impl Fn(Ratio, Ratio) -> Option<Ratio>) -> Option<Dim> {
        let mut out = [Ratio::ZERO; 7];
        for (o, (a, b)) in out.iter_mut().zip(self.0.into_iter().zip(other.0)) {
            *o = f(a, b)?;
        }
        Some(Dim(out))
    }

    /// The dimension of a product (exponents added); `None` on exponent overflow.
    #[allow(clippy::should_implement_trait)] // checked: returns Option, unlike `Mul`
    pub fn mul(self, other: Dim) -> Option<Dim> {
        self.zip(other, Ratio::checked_add)
    }

    /// The dimension of a quotient (exponents subtracted); `None` on exponent overflow.
    #[allow(clippy::should_implement_trait)] // checked: returns Option, unlike `Div`
    pub fn div(self, other: Dim) -> Option<Dim> {
        self.zip(other, Ratio::checked_sub)
    }

    /// The dimension raised to `exp` (exponents multiplied); `None` on exponent overflow.
    pub fn pow(self, exp: Ratio) -> Option<Dim> {
        self.zip(Dim::DIMENSIONLESS, |a, _| a.checked_mul(exp))
    }

    /// The reciprocal dimension; `None` on exponent overflow.
    pub fn recip(self) -> Option<Dim> {
        Dim::DIMENSIONLESS.div(self)
    }

    pub fn is_dimensionless(self) -> bool {
        self == Dim::DIMENSIONLESS
    }

    /// True when every exponent is a whole number.
    pub fn is_integral(self) -> bool {
        self.0.iter().all(|e| e.is_integer())
    }

    /// A name for common dimensions: "length", "volume flow", "pressure", "dimensionless", ...
    pub fn describe(&self) -> Option<&'static str> {
        NAMED.iter().find(|(d, _)| d == self).map(|(_, name)| *name)
    }
}

/// Names of common dimensions, for messages. Each dimension appears once.
const NAMED: &[(Dim, &str)] = &[
    (Dim::DIMENSIONLESS, "dimensionless"),
    (Dim::LENGTH, "length"),
    (Dim::AREA, "area"),
    (Dim::VOLUME, "volume"),
    (Dim::MASS, "mass"),
    (Dim::TIME, "time"),
    (Dim::TEMPERATURE, "temperature"),
    (Dim::AMOUNT, "amount"),
    (Dim::CURRENT, "current"),
    (Dim::LUMINOUS_INTENSITY, "luminous intensity"),
    (Dim::VELOCITY, "velocity"),
    (Dim::ACCELERATION, "acceleration"),
    (Dim::FREQUENCY, "frequency"),
    (Dim::VOLUME_FLOW, "volume flow"),
    (Dim::MASS_FLOW, "mass flow"),
    (Dim::MOLAR_FLOW, "molar flow"),
    (Dim::FORCE, "force"),
    (Dim::PRESSURE, "pressure"),
    (Dim::ENERGY, "energy"),
    (Dim::POWER, "power"),
    (Dim::DENSITY, "density"),
    (Dim::CONCENTRATION, "concentration"),
    (Dim::CHARGE, "charge"),
    (Dim::VOLTAGE, "voltage"),
    (Dim::RESISTANCE, "resistance"),
    (Dim::from_ints([1, 1, -1, 0, 0, 0, 0]), "momentum"),
    (Dim::from_ints([-1, 1, -1, 0, 0, 0, 0]), "dynamic viscosity"),
    (Dim::from_ints([2, 0, -1, 0, 0, 0, 0]), "diffusivity"),
    (Dim::from_ints([0, 1, -3, 0, 0, 0, 0]), "heat flux"),
    (Dim::from_ints([2, 1, -2, -1, 0, 0, 0]), "heat capacity"),
    (
        Dim::from_ints([2, 0, -2, -1, 0, 0, 0]),
        "specific heat capacity",
    ),
    (
        Dim::from_ints([1, 1, -3, -1, 0, 0, 0]),
        "thermal conductivity",
    ),
    (
        Dim::from_ints([0, 1, -3, -1, 0, 0, 0]),
        "heat transfer coefficient",
    ),
    (Dim::from_ints([2, 0, -2, 0, 0, 0, 0]), "specific energy"),
    (Dim::from_ints([3, -1, 0, 0, 0, 0, 0]), "specific volume"),
    (Dim::from_ints([0, 1, 0, 0, -1, 0, 0]), "molar mass"),
    (Dim::from_ints([2, 1, -2, 0, -1, 0, 0]), "molar energy"),
    (Dim::from_ints([0, 0, -1, 1, 0, 0, 0]), "temperature rate"),
    (Dim::from_ints([-1, 0, 0, 0, 0, 0, 0]), "inverse length"),
];

/// One factor of the SI spelling: `m`, `s^2`, `m^(1/2)`. `negate` flips the exponent's sign
/// (for the denominator), done in i128 so `i64::MIN` cannot overflow.
fn factor(symbol: &str, exp: Ratio, negate: bool) -> String {
    let num = if negate {
        -i128::from(exp.num())
    } else {
        i128::from(exp.num())
    };
    match exp.den() {
        1 if num == 1 => symbol.to_string(),
        1 => format!("{symbol}^{num}"),
        den => format!("{symbol}^({num}/{den})"),
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut pos = Vec::new();
        let mut neg = Vec::new();
        for i in DISPLAY_ORDER {
            let e = self.0[i];
            if e.is_positive() {
                pos.push(factor(BASE_SYMBOLS[i], e, false));
            } else if e.is_negative() {
                neg.push(factor(BASE_SYMBOLS[i], e, true));
            }
        }
        let numerator = if pos.is_empty() {
            "1".to_string()
        } else {
            pos.join("*")
        };
        match neg.len() {
            0 => f.write_str(&numerator),
            1 => write!(f, "{numerator}/{}", neg[0]),
            _ => write!(f, "{numerator}/({})", neg.join("*")),
        }
    }
}

impl fmt::Debug for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dim({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn display_si_spelling() {
        let cases = [
            (Dim::DIMENSIONLESS, "1"),
            (Dim::LENGTH, "m"),
            (Dim::AREA, "m^2"),
            (Dim::VOLUME_FLOW, "m^3/s"),
            (Dim::FREQUENCY, "1/s"),
            (Dim::FORCE, "kg*m/s^2"),
            (Dim::PRESSURE, "kg/(m*s^2)"),
            (Dim::ENERGY, "kg*m^2/s^2"),
            (Dim::POWER, "kg*m^2/s^3"),
            (Dim::DENSITY, "kg/m^3"),
            (Dim::CONCENTRATION, "mol/m^3"),
            (Dim::MASS_FLOW, "kg/s"),
            (Dim::VOLTAGE, "kg*m^2/(s^3*A)"),
            (Dim::CHARGE, "s*A"),
            (Dim::from_ints([0, 0, -1, -1, 0, 0, 0]), "1/(s*K)"),
            (Dim::from_ints([0, 0, 0, 0, 0, 0, 1]), "cd"),
            (Dim::from_ints([0, 0, -2, 0, 0, 0, 0]), "1/s^2"),
        ];
        for (d, want) in cases {
            assert_eq!(d.to_string(), want);
        }
        assert_eq!(Dim::LENGTH.pow(r(1, 2)).unwrap().to_string(), "m^(1/2)");
        assert_eq!(Dim::LENGTH.pow(r(-1, 2)).unwrap().to_string(), "1/m^(1/2)");
        assert_eq!(Dim::VOLUME.pow(r(2, 3)).unwrap().to_string(), "m^2");
        let weird = Dim([
            r(3, 2),
            Ratio::ZERO,
            r(-5, 3),
            Ratio::ZERO,
            Ratio::ZERO,
            Ratio::ZERO,
            r(-1, 1),
        ]);
        assert_eq!(weird.to_string(), "m^(3/2)/(s^(5/3)*cd)");
        let extreme = Dim([
            Ratio::int(i64::MIN),
            Ratio::int(i64::MAX),
            Ratio::ZERO,
            Ratio::ZERO,
            Ratio::ZERO,
            Ratio::ZERO,
            Ratio::ZERO,
        ]);
        assert_eq!(
            extreme.to_string(),
            "kg^9223372036854775807/m^9223372036854775808"
        );
        assert_eq!(format!("{:?}", Dim::VELOCITY), "Dim(m/s)");
    }

    #[test]
    fn algebra() {
        assert_eq!(Dim::LENGTH.mul(Dim::LENGTH), Some(Dim::AREA));
        assert_eq!(Dim::VOLUME.div(Dim::TIME), Some(Dim::VOLUME_FLOW));
        assert_eq!(Dim::MASS.mul(Dim::ACCELERATION), Some(Dim::FORCE));
        assert_eq!(Dim::FORCE.div(Dim::AREA), Some(Dim::PRESSURE));
        assert_eq!(Dim::ENERGY.div(Dim::TIME), Some(Dim::POWER));
        assert_eq!(Dim::TIME.recip(), Some(Dim::FREQUENCY));
        assert_eq!(Dim::VELOCITY.div(Dim::VELOCITY), Some(Dim::DIMENSIONLESS));
        assert!(Dim::VELOCITY.div(Dim::VELOCITY).unwrap().is_dimensionless());
        assert!(!Dim::LENGTH.is_dimensionless());
        assert_eq!(Dim::base(2), Dim::TIME);
        assert_eq!(Dim::base(99), Dim::DIMENSIONLESS);
        assert_eq!(Dim::FORCE.exponent(2), Ratio::int(-2));
        assert_eq!(Dim::FORCE.exponent(7), Ratio::ZERO);
    }

    #[test]
    fn rational_powers() {
        assert_eq!(Dim::AREA.pow(r(1, 2)), Some(Dim::LENGTH));
        assert_eq!(Dim::VOLUME.pow(r(1, 3)), Some(Dim::LENGTH));
        assert_eq!(Dim::LENGTH.pow(Ratio::int(3)), Some(Dim::VOLUME));
        assert_eq!(Dim::FORCE.pow(Ratio::ZERO), Some(Dim::DIMENSIONLESS));
        let half = Dim::LENGTH.pow(Ratio::HALF).unwrap();
        assert!(!half.is_integral());
        assert_eq!(half.mul(half), Some(Dim::LENGTH));
        assert_eq!(
            Dim::PRESSURE.pow(Ratio::MINUS_ONE).unwrap().to_string(),
            "m*s^2/kg"
        );
    }

    #[test]
    fn overflow_is_none() {
        let huge = Dim::LENGTH.pow(Ratio::int(i64::MAX)).unwrap();
        assert_eq!(huge.mul(Dim::LENGTH), None);
        assert_eq!(huge.pow(Ratio::TWO), None);
        let tiny = Dim::LENGTH.pow(Ratio::int(i64::MIN)).unwrap();
        assert_eq!(tiny.recip(), None);
        assert_eq!(tiny.div(Dim::LENGTH), None);
        let fine = Dim::LENGTH.pow(Ratio::new(1, i64::MAX).unwrap()).unwrap();
        assert_eq!(fine.pow(Ratio::new(1, i64::MAX).unwrap()), None);
    }

    #[test]
    fn describe() {
        assert_eq!(Dim::LENGTH.describe(), Some("length"));
        assert_eq!(Dim::AREA.describe(), Some("area"));
        assert_eq!(Dim::VOLUME.describe(), Some("volume"));
        assert_eq!(Dim::TIME.describe(), Some("time"));
        assert_eq!(Dim::MASS.describe(), Some("mass"));
        assert_eq!(Dim::TEMPERATURE.describe(), Some("temperature"));
        assert_eq!(Dim::VELOCITY.describe(), Some("velocity"));
        assert_eq!(Dim::ACCELERATION.describe(), Some("acceleration"));
        assert_eq!(Dim::VOLUME_FLOW.describe(), Some("volume flow"));
        assert_eq!(Dim::MASS_FLOW.describe(), Some("mass flow"));
        assert_eq!(Dim::FORCE.describe(), Some("force"));
        assert_eq!(Dim::PRESSURE.describe(), Some("pressure"));
        assert_eq!(Dim::ENERGY.describe(), Some("energy"));
        assert_eq!(Dim::POWER.describe(), Some("power"));
        assert_eq!(Dim::FREQUENCY.describe(), Some("frequency"));
        assert_eq!(Dim::DENSITY.describe(), Some("density"));
        assert_eq!(Dim::AMOUNT.describe(), Some("amount"));
        assert_eq!(Dim::CONCENTRATION.describe(), Some("concentration"));
        assert_eq!(Dim::DIMENSIONLESS.describe(), Some("dimensionless"));
        assert_eq!(Dim::LENGTH.pow(Ratio::HALF).unwrap().describe(), None);
        assert_eq!(Dim::from_ints([5, 0, 0, 0, 0, 0, 0]).describe(), None);
        // Each name is used once and each dimension named once.
        for (i, (d, n)) in NAMED.iter().enumerate() {
            for (d2, n2) in &NAMED[i + 1..] {
                assert_ne!(d, d2, "{n} / {n2}");
                assert_ne!(n, n2);
            }
        }
    }
}
