//! The built-in unit table: exact names, SI prefixes, and which units take a prefix.
//!
//! Lookup order: an exact name always wins (`min` is the minute, `cd` the candela, `h` the
//! hour, `d` the day, `M` molar, `Pa` the pascal), then `prefix + prefixable unit` (`km`,
//! `ms`, `mL`, `kPa`, `MW`, `µm`, `mbar`, `mM`). Prefixed scales are computed from decimal
//! exponents so they are correctly rounded (`mL` is exactly the f64 nearest 1e-6).
//! Deliberately absent: `rpm`, `psi` (users declare them) and offset temperatures (`°C`).

use std::sync::OnceLock;

use super::dim::Dim;
use super::unit::Unit;

/// SI prefixes and their decimal exponents. `µ` (micro sign), `μ` (Greek mu) and `u` are all
/// micro.
pub const PREFIXES: &[(&str, i32)] = &[
    ("Y", 24),
    ("Z", 21),
    ("E", 18),
    ("P", 15),
    ("T", 12),
    ("G", 9),
    ("M", 6),
    ("k", 3),
    ("h", 2),
    ("da", 1),
    ("d", -1),
    ("c", -2),
    ("m", -3),
    ("\u{b5}", -6),
    ("\u{3bc}", -6),
    ("u", -6),
    ("n", -9),
    ("p", -12),
    ("f", -15),
    ("a", -18),
];

/// Units that take a prefix: name, dimension, and scale as `mantissa * 10^exp10`.
const PREFIXABLE: &[(&str, Dim, u32, i32)] = &[
    ("m", Dim::LENGTH, 1, 0),
    ("g", Dim::MASS, 1, -3),
    ("s", Dim::TIME, 1, 0),
    ("K", Dim::TEMPERATURE, 1, 0),
    ("mol", Dim::AMOUNT, 1, 0),
    ("A", Dim::CURRENT, 1, 0),
    ("cd", Dim::LUMINOUS_INTENSITY, 1, 0),
    ("L", Dim::VOLUME, 1, -3),
    ("l", Dim::VOLUME, 1, -3),
    ("N", Dim::FORCE, 1, 0),
    ("Pa", Dim::PRESSURE, 1, 0),
    ("J", Dim::ENERGY, 1, 0),
    ("W", Dim::POWER, 1, 0),
    ("Hz", Dim::FREQUENCY, 1, 0),
    ("C", Dim::CHARGE, 1, 0),
    ("V", Dim::VOLTAGE, 1, 0),
    ("Ohm", Dim::RESISTANCE, 1, 0),
    ("\u{3a9}", Dim::RESISTANCE, 1, 0),
    ("\u{2126}", Dim::RESISTANCE, 1, 0),
    ("bar", Dim::PRESSURE, 1, 5),
    ("Wh", Dim::ENERGY, 36, 2),
    ("M", Dim::CONCENTRATION, 1, 3),
];

/// Units known by their exact name (including every prefixable unit unprefixed), most common
/// first (suggestions prefer earlier entries on ties).
const EXACT: &[(&str, Dim, f64)] = &[
    ("m", Dim::LENGTH, 1.0),
    ("s", Dim::TIME, 1.0),
    ("kg", Dim::MASS, 1.0),
    ("g", Dim::MASS, 1e-3),
    ("K", Dim::TEMPERATURE, 1.0),
    ("mol", Dim::AMOUNT, 1.0),
    ("A", Dim::CURRENT, 1.0),
    ("cd", Dim::LUMINOUS_INTENSITY, 1.0),
    ("L", Dim::VOLUME, 1e-3),
    ("l", Dim::VOLUME, 1e-3),
    ("min", Dim::TIME, 60.0),
    ("h", Dim::TIME, 3600.0),
    ("d", Dim::TIME, 86400.0),
    ("day", Dim::TIME, 86400.0),
    ("N", Dim::FORCE, 1.0),
    ("Pa", Dim::PRESSURE, 1.0),
    ("bar", Dim::PRESSURE, 1e5),
    ("atm", Dim::PRESSURE, 101325.0),
    ("J", Dim::ENERGY, 1.0),
    ("Wh", Dim::ENERGY, 3600.0),
    ("W", Dim::POWER, 1.0),
    ("Hz", Dim::FREQUENCY, 1.0),
    ("C", Dim::CHARGE, 1.0),
    ("V", Dim::VOLTAGE, 1.0),
    ("Ohm", Dim::RESISTANCE, 1.0),
    ("\u{3a9}", Dim::RESISTANCE, 1.0),
    ("\u{2126}", Dim::RESISTANCE, 1.0),
    ("t", Dim::MASS, 1000.0),
    ("M", Dim::CONCENTRATION, 1000.0),
    ("rad", Dim::DIMENSIONLESS, 1.0),
    ("deg", Dim::DIMENSIONLESS, std::f64::consts::PI / 180.0),
    ("%", Dim::DIMENSIONLESS, 0.01),
    ("ppm", Dim::DIMENSIONLESS, 1e-6),
];

/// A built-in unit by name: an exact name first, then an SI prefix on a prefixable unit.
pub fn builtin(name: &str) -> Option<Unit> {
    if let Some(&(_, dim, scale)) = EXACT.iter().find(|(n, _, _)| *n == name) {
        return Some(Unit::new(dim, scale));
    }
    PREFIXES.iter().find_map(|&(prefix, p10)| {
        let rest = name.strip_prefix(prefix)?;
        let &(_, dim, mantissa, u10) = PREFIXABLE.iter().find(|(n, ..)| *n == rest)?;
        // Parsing the decimal form gives the correctly rounded scale (1e-3 * 1e-3 would not).
        let scale: f64 = format!("{mantissa}e{}", p10 + u10).parse().ok()?;
        Some(Unit::new(dim, scale))
    })
}

/// The exact built-in names (no prefixed forms), most common first.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    EXACT.iter().map(|(n, _, _)| *n)
}

/// Every prefixed built-in name that is not also an exact name (`km`, `ms`, `kPa`, ...).
pub fn prefixed_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut out = Vec::new();
        for (unit, ..) in PREFIXABLE {
            for (prefix, _) in PREFIXES {
                let name = format!("{prefix}{unit}");
                if !EXACT.iter().any(|(n, ..)| *n == name) {
                    out.push(name);
                }
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(name: &str) -> f64 {
        builtin(name)
            .unwrap_or_else(|| panic!("{name} should be built in"))
            .scale
    }

    fn dim(name: &str) -> Dim {
        builtin(name).unwrap().dim
    }

    #[test]
    fn base_units() {
        for (name, d) in [
            ("m", Dim::LENGTH),
            ("kg", Dim::MASS),
            ("s", Dim::TIME),
            ("K", Dim::TEMPERATURE),
            ("mol", Dim::AMOUNT),
            ("A", Dim::CURRENT),
            ("cd", Dim::LUMINOUS_INTENSITY),
        ] {
            assert_eq!(builtin(name), Some(Unit::si(d)), "{name}");
        }
        assert_eq!(scale("g"), 1e-3);
    }

    #[test]
    fn derived_and_other_units() {
        assert_eq!(builtin("N"), Some(Unit::si(Dim::FORCE)));
        assert_eq!(builtin("Pa"), Some(Unit::si(Dim::PRESSURE)));
        assert_eq!(builtin("J"), Some(Unit::si(Dim::ENERGY)));
        assert_eq!(builtin("W"), Some(Unit::si(Dim::POWER)));
        assert_eq!(builtin("Hz"), Some(Unit::si(Dim::FREQUENCY)));
        assert_eq!(builtin("C"), Some(Unit::si(Dim::CHARGE)));
        assert_eq!(builtin("V"), Some(Unit::si(Dim::VOLTAGE)));
        assert_eq!(builtin("Ohm"), Some(Unit::si(Dim::RESISTANCE)));
        assert_eq!(builtin("Ω"), builtin("Ohm"));
        assert_eq!(builtin("Ω"), builtin("Ohm"));
        assert_eq!(builtin("L"), Some(Unit::new(Dim::VOLUME, 1e-3)));
        assert_eq!(builtin("l"), builtin("L"));
        assert_eq!(builtin("bar"), Some(Unit::new(Dim::PRESSURE, 1e5)));
        assert_eq!(builtin("atm"), Some(Unit::new(Dim::PRESSURE, 101325.0)));
        assert_eq!(builtin("Wh"), Some(Unit::new(Dim::ENERGY, 3600.0)));
        assert_eq!(builtin("t"), Some(Unit::new(Dim::MASS, 1000.0)));
        assert_eq!(builtin("M"), Some(Unit::new(Dim::CONCENTRATION, 1000.0)));
        assert_eq!(builtin("min"), Some(Unit::new(Dim::TIME, 60.0)));
        assert_eq!(builtin("h"), Some(Unit::new(Dim::TIME, 3600.0)));
        assert_eq!(builtin("d"), Some(Unit::new(Dim::TIME, 86400.0)));
        assert_eq!(builtin("day"), builtin("d"));
        assert_eq!(builtin("rad"), Some(Unit::ONE));
        assert_eq!(builtin("%"), Some(Unit::new(Dim::DIMENSIONLESS, 0.01)));
        assert_eq!(builtin("ppm"), Some(Unit::new(Dim::DIMENSIONLESS, 1e-6)));
        let deg = builtin("deg").unwrap();
        assert!(deg.dim.is_dimensionless());
        assert!((deg.scale * 180.0 - std::f64::consts::PI).abs() < 1e-15);
    }

    #[test]
    fn prefixes() {
        assert_eq!(builtin("km"), Some(Unit::new(Dim::LENGTH, 1e3)));
        assert_eq!(scale("mm"), 1e-3);
        assert_eq!(scale("cm"), 1e-2);
        assert_eq!(scale("dam"), 10.0);
        assert_eq!(scale("dm"), 0.1);
        assert_eq!(scale("ms"), 1e-3);
        assert_eq!(scale("µs"), 1e-6);
        assert_eq!(scale("μs"), 1e-6);
        assert_eq!(scale("us"), 1e-6);
        assert_eq!(scale("ns"), 1e-9);
        assert_eq!(scale("ks"), 1e3);
        assert_eq!(scale("mL"), 1e-6);
        assert_eq!(scale("ml"), 1e-6);
        assert_eq!(scale("dL"), 1e-4);
        assert_eq!(scale("kPa"), 1e3);
        assert_eq!(scale("hPa"), 1e2);
        assert_eq!(scale("MPa"), 1e6);
        assert_eq!(scale("MW"), 1e6);
        assert_eq!(scale("GW"), 1e9);
        assert_eq!(scale("µm"), 1e-6);
        assert_eq!(scale("nm"), 1e-9);
        assert_eq!(scale("mbar"), 100.0);
        assert_eq!(scale("kWh"), 3.6e6);
        assert_eq!(scale("mg"), 1e-6);
        assert_eq!(scale("Mg"), 1e3);
        assert_eq!(scale("kmol"), 1e3);
        assert_eq!(scale("mmol"), 1e-3);
        assert_eq!(scale("mA"), 1e-3);
        assert_eq!(scale("mK"), 1e-3);
        assert_eq!(scale("kN"), 1e3);
        assert_eq!(scale("kJ"), 1e3);
        assert_eq!(scale("kHz"), 1e3);
        assert_eq!(scale("kV"), 1e3);
        assert_eq!(scale("kOhm"), 1e3);
        assert_eq!(scale("kΩ"), 1e3);
        assert_eq!(scale("mcd"), 1e-3);
        assert_eq!(scale("Ym"), 1e24);
        assert_eq!(scale("am"), 1e-18);
        assert_eq!(scale("YL"), 1e21);
        assert_eq!(scale("Ybar"), 1e29);
        assert_eq!(scale("ag"), 1e-21);
        // kg as an exact name is exactly 1, and so is any prefix arithmetic result.
        assert_eq!(scale("kg"), 1.0);
        assert_eq!(dim("mM"), Dim::CONCENTRATION);
        assert_eq!(scale("mM"), 1.0);
        assert_eq!(scale("µM"), 1e-3);
        assert_eq!(scale("nM"), 1e-6);
    }

    #[test]
    fn exact_names_win() {
        assert_eq!(builtin("min"), Some(Unit::new(Dim::TIME, 60.0))); // not milli-inch
        assert_eq!(dim("cd"), Dim::LUMINOUS_INTENSITY); // not centi-day
        assert_eq!(dim("Pa"), Dim::PRESSURE); // not peta-a
        assert_eq!(dim("h"), Dim::TIME); // hour, not hecto
        assert_eq!(dim("d"), Dim::TIME); // day, not deci
        assert_eq!(dim("M"), Dim::CONCENTRATION); // molar, not mega
        assert_eq!(dim("mm"), Dim::LENGTH);
        assert_eq!(dim("ms"), Dim::TIME);
        assert_eq!(dim("Ms"), Dim::TIME);
        assert_eq!(scale("Ms"), 1e6);
    }

    #[test]
    fn not_built_in() {
        for name in [
            "", "rpm", "psi", "degC", "°C", "eV", "x", "kkm", "kmin", "kh", "kd", "kt", "mppm",
            "k%", "kdeg", "krad", "katm", "kkg", "mkg", "dd", "M M", "meter", "MIN", "KG", "k",
            "µ", "da", "1", "m^2", "m/s",
        ] {
            assert_eq!(builtin(name), None, "{name}");
        }
    }

    #[test]
    fn tables_are_consistent() {
        // Every prefixable unit is also an exact name with the same meaning.
        for (name, d, mantissa, e) in PREFIXABLE {
            let u = builtin(name).unwrap();
            assert_eq!(u.dim, *d, "{name}");
            assert!((u.scale - f64::from(*mantissa) * 10f64.powi(*e)).abs() <= 1e-12 * u.scale);
        }
        // No exact name repeats, and prefix + unit never reads two ways.
        let names: Vec<_> = builtin_names().collect();
        for (i, a) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(a), "{a}");
        }
        let prefixed = prefixed_names();
        for (i, a) in prefixed.iter().enumerate() {
            assert!(!prefixed[i + 1..].contains(a), "{a} reads two ways");
            assert!(builtin(a).is_some(), "{a}");
        }
        assert!(prefixed.iter().any(|n| n == "km"));
        assert!(!prefixed.iter().any(|n| n == "kg" || n == "cd"));
    }
}
