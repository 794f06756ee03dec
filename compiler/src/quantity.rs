//! Quantities written outside a `.plant` file: command-line overrides and policy values
//! such as `0.5 m`, `30 L/min`, `-2`, `1e-3 m^3/s`, `true`.
//!
//! A quantity is a number, optionally followed by a unit written as in a type position of
//! a `.plant` file (`m^2`, `L/min`, `kg/(m*s^2)`, spaces allowed). The unit is read by the
//! language's own parser and evaluated with [`crate::units::eval`], so the syntax and the
//! unit table are exactly the language's. Besides the built-in units, a [`Units`] knows the
//! units a file declares or imports (`rpm` from `use std::units::rpm`).
//!
//! A quantity is checked against the unit of the value it sets (a
//! [`plant_runtime::Unit`]: its SI spelling, its declared spelling and its scale): a
//! written unit must measure the same dimension; a plain number is read in the declared
//! unit. Nothing here panics; every problem is a message for the user.

use std::collections::HashMap;

use plant_runtime::Unit as VarUnit;

use crate::syntax::ast::Item;
use crate::units::{self, Unit, UnitErrorKind};

/// A parsed quantity: the number as written and the unit written after it, if any.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Quantity {
    pub number: f64,
    /// `None` for a plain number (read in the declared unit).
    pub unit: Option<Unit>,
}

impl Quantity {
    /// The value in SI units.
    pub fn si(&self, declared: &VarUnit) -> f64 {
        match self.unit {
            None => self.number * declared.scale,
            Some(u) => self.number * u.scale,
        }
    }

    /// The value in the declared unit (exactly the number written when the units agree).
    pub fn in_declared(&self, declared: &VarUnit) -> f64 {
        match self.unit {
            Some(u) if u.scale != declared.scale => self.number * u.scale / declared.scale,
            _ => self.number,
        }
    }
}

/// The unit names a quantity may use: the built-in ones plus a file's own.
#[derive(Clone, Default, Debug)]
pub struct Units {
    user: HashMap<String, Unit>,
}

impl Units {
    /// Built-in units only.
    pub fn builtin() -> Units {
        Units::default()
    }

    /// The built-in units and those `path` declares or imports. A file that cannot be read
    /// or has broken unit declarations contributes what could be resolved.
    pub fn of_file(path: &str) -> Units {
        let mut session = crate::driver::Session::new();
        let Some(f) = session.load(path) else {
            return Units::builtin();
        };
        let table = crate::resolve::unit_table(&session.db, session.ws, f);
        Units {
            user: table.units.clone(),
        }
    }

    /// Evaluate a unit as written (`L/min`, `m^2`, `kg/(m*s^2)`, `1/s`).
    pub fn unit(&self, text: &str) -> Result<Unit, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("expected a unit, like `m/s`".into());
        }
        // The unit goes through the parser as a `unit` declaration; anything that could
        // change how that line reads (comments, line breaks, braces) is not a unit anyway.
        if text.contains("//") || text.contains("/*") || text.contains(['\n', '\r', '{', '}']) {
            return Err(format!("`{text}` is not a unit"));
        }
        let source = format!("unit q = {text}\n");
        let parsed = crate::syntax::parse("<command line>", &source);
        let expr = match (parsed.diagnostics.first(), parsed.file.items.as_slice()) {
            (None, [Item::Unit(u)]) => &u.value,
            (Some(d), _) => return Err(format!("cannot read `{text}` as a unit: {}", d.message)),
            _ => return Err(format!("`{text}` is not a unit")),
        };
        units::eval(expr, &|name| self.user.get(name).copied()).map_err(|e| match e.kind {
            UnitErrorKind::Unknown { name, hint, .. } => {
                let extra: Vec<&str> = self.user.keys().map(String::as_str).collect();
                let mut m = format!("unknown unit `{name}`");
                if let Some(s) = units::suggest(&name, &extra) {
                    m.push_str(&format!(" (did you mean `{s}`?)"));
                } else if let Some(h) = hint {
                    m.push_str(&format!(" ({h})"));
                }
                m
            }
            _ => format!("cannot use `{text}` as a unit: {e}"),
        })
    }

    /// Read `text` as a value for something declared in `declared`, checking the written
    /// unit's dimension. For a `bool` value, `true`, `false`, `1` and `0` are accepted.
    pub fn quantity(&self, text: &str, declared: &VarUnit) -> Result<Quantity, String> {
        let text = text.trim();
        if declared.si == "bool" {
            return match text {
                "true" | "1" => Ok(Quantity {
                    number: 1.0,
                    unit: None,
                }),
                "false" | "0" => Ok(Quantity {
                    number: 0.0,
                    unit: None,
                }),
                _ => Err(format!("`{text}` is not a bool: give true, false, 1 or 0")),
            };
        }
        let (number, rest) = split_number(text).ok_or_else(|| {
            if text.is_empty() {
                format!("expected a value, like `{}`", example(declared))
            } else {
                format!(
                    "`{text}` is not a number: give a value like `{}`",
                    example(declared)
                )
            }
        })?;
        if !number.is_finite() {
            return Err(format!("`{text}` is too large"));
        }
        if rest.is_empty() {
            return Ok(Quantity { number, unit: None });
        }
        let unit = self.unit(rest)?;
        if let Ok(want) = self.unit(&declared.si)
            && want.dim != unit.dim
        {
            let want_words = match (want.dim.describe(), declared.display == declared.si) {
                (Some(name), true) => name.to_string(),
                (Some(name), false) => format!("{name}, SI `{}`", declared.si),
                (None, true) => format!("`{}`", declared.si),
                (None, false) => format!("SI `{}`", declared.si),
            };
            return Err(format!(
                "unit `{rest}` ({}) does not fit this value's unit `{}` ({want_words}); give the \
                 value in `{}` or as a plain number (read in `{}`)",
                unit.dim
                    .describe()
                    .map_or_else(|| unit.dim.to_string(), str::to_string),
                declared.display,
                declared.display,
                declared.display,
            ));
        }
        let q = Quantity {
            number,
            unit: Some(unit),
        };
        if !q.si(declared).is_finite() {
            return Err(format!("`{text}` is too large"));
        }
        Ok(q)
    }
}

/// Read `text` (a number with an optional built-in unit) as a value declared in `declared`
/// and return it in SI units. A plain number is read in the declared unit.
pub fn parse_quantity(text: &str, declared: &VarUnit) -> Result<f64, String> {
    Ok(Units::builtin().quantity(text, declared)?.si(declared))
}

fn example(declared: &VarUnit) -> String {
    if declared.display == "1" {
        "0.5".into()
    } else {
        format!("0.5 {}", declared.display)
    }
}

/// Split a leading decimal number (`-1.5e-3`, `+2`, `.5`) from the rest of `text`.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let b = text.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - digits_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - f;
    }
    if digits == 0 {
        return None;
    }
    // An exponent only when digits follow (`2 eV` is not `2e...`).
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let number: f64 = text[..i].parse().ok()?;
    let rest = text[i..].trim_start();
    // `2x` is not `2 x`-with-a-typo of a number: a unit must not start with a digit or dot.
    if rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) && !text[i..].starts_with(' ') {
        return None;
    }
    Some((number, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(si: &str, display: &str, scale: f64) -> VarUnit {
        VarUnit {
            si: si.into(),
            display: display.into(),
            scale,
        }
    }

    #[test]
    fn plain_numbers_are_in_the_declared_unit() {
        let l_s = unit("m^3/s", "L/s", 1e-3);
        assert_eq!(parse_quantity("2", &l_s), Ok(2e-3));
        assert_eq!(parse_quantity(" -1.5e1 ", &l_s), Ok(-15e-3));
        assert_eq!(parse_quantity(".5", &l_s), Ok(0.5e-3));
        let q = Units::builtin().quantity("2", &l_s).unwrap();
        assert_eq!(q.in_declared(&l_s), 2.0);
    }

    #[test]
    fn units_convert_and_are_checked() {
        let area = unit("m^2", "m^2", 1.0);
        assert_eq!(parse_quantity("2 m^2", &area), Ok(2.0));
        assert_eq!(parse_quantity("2m^2", &area), Ok(2.0));
        assert_eq!(parse_quantity("200 cm^2", &area), Ok(200.0 * 1e-4));
        let err = parse_quantity("2 s", &area).unwrap_err();
        assert_eq!(
            err,
            "unit `s` (time) does not fit this value's unit `m^2` (area); give the value in \
             `m^2` or as a plain number (read in `m^2`)"
        );
        let flow = unit("m^3/s", "L/s", 1e-3);
        let q = Units::builtin().quantity("30 L/min", &flow).unwrap();
        assert_eq!(q.si(&flow), 30.0 * (1e-3 / 60.0));
        assert!((q.in_declared(&flow) - 0.5).abs() < 1e-15);
        let same = Units::builtin().quantity("3 L/s", &flow).unwrap();
        assert_eq!(same.in_declared(&flow), 3.0);
        let err = parse_quantity("2 m", &flow).unwrap_err();
        assert!(err.contains("`L/s` (volume flow, SI `m^3/s`)"), "{err}");
        let pressure = unit("kg/(m*s^2)", "bar", 1e5);
        assert_eq!(parse_quantity("2 kPa", &pressure), Ok(2000.0));
    }

    #[test]
    fn unknown_units_suggest() {
        let len = unit("m", "m", 1.0);
        let err = parse_quantity("2 meters", &len).unwrap_err();
        assert_eq!(err, "unknown unit `meters` (did you mean `m`?)");
        let err = parse_quantity("3 rpm", &unit("1/s", "1/s", 1.0)).unwrap_err();
        assert!(err.contains("unknown unit `rpm`"), "{err}");
        assert!(parse_quantity("2 m//s", &len).is_err());
        assert!(parse_quantity("2 m {", &len).is_err());
        assert!(parse_quantity("2 in", &len).is_err());
    }

    #[test]
    fn bad_numbers() {
        let len = unit("m", "m", 1.0);
        for bad in ["", "abc", "-", ".", "1e999", "nan", "inf", "1.2.3", "e5"] {
            assert!(parse_quantity(bad, &len).is_err(), "{bad}");
        }
        let err = parse_quantity("x", &len).unwrap_err();
        assert_eq!(err, "`x` is not a number: give a value like `0.5 m`");
    }

    #[test]
    fn bools() {
        let b = unit("bool", "bool", 1.0);
        assert_eq!(parse_quantity("true", &b), Ok(1.0));
        assert_eq!(parse_quantity("0", &b), Ok(0.0));
        assert!(parse_quantity("2", &b).is_err());
    }

    #[test]
    fn file_units() {
        let dir = std::env::temp_dir().join(format!("plantc-quantity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("u.plant");
        std::fs::write(&path, "use std::units::rpm\nunit dozen = 12\n").unwrap();
        let u = Units::of_file(path.to_str().unwrap());
        let per_s = unit("1/s", "rpm", 1.0 / 60.0);
        let q = u.quantity("60 rpm", &per_s).unwrap();
        assert_eq!(q.in_declared(&per_s), 60.0);
        assert!((q.si(&per_s) - 1.0).abs() < 1e-12);
        assert_eq!(u.unit("dozen").unwrap().scale, 12.0);
        let err = u.unit("dozn").unwrap_err();
        assert!(err.contains("did you mean `dozen`"), "{err}");
    }
}
