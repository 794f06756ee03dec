//! "Did you mean" support: edit distance, nearest-name search, and unit-name suggestions.
//!
//! [`levenshtein`] and [`closest`] are used by the whole compiler for misspelled names of any
//! kind. [`suggest`] is the unit-specific layer: spelled-out unit words (`meter`, `litre`,
//! `hour`) map to their symbols, `m3` becomes `m^3`, case slips (`KG`, `kpa`) are fixed, and
//! otherwise the nearest built-in or user unit name is offered. [`hint`] gives a fixed
//! explanation for names that are missing on purpose (`°C`, `rpm`, `psi`).

use super::table::{builtin, builtin_names, prefixed_names};

/// Levenshtein edit distance between `a` and `b`, counted in characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Edit distance counting an adjacent transposition as one edit (optimal string alignment):
/// `rmp` -> `rpm` is 1, where [`levenshtein`] says 2. Used to rank suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: i-2, i-1 and i.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `name`, within `max_distance` edits ([`edit_distance`]). A
/// candidate equal to `name` is skipped; one equal ignoring case wins outright; otherwise the
/// smallest distance wins, ties going to the earliest. A candidate that differs in every
/// character (`x` vs `y`) is never offered.
fn closest_within<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
) -> Option<&'a str> {
    let len = name.chars().count();
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        if candidate.to_lowercase() == lower {
            return Some(candidate);
        }
        let d = edit_distance(name, candidate);
        if d <= max_distance
            && d < len.max(candidate.chars().count())
            && best.is_none_or(|(b, _)| d < b)
        {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// The candidate nearest to `name` for a "did you mean": within `max(1, len/3)` edits (len
/// in characters; a swap of neighbours is one edit), preferring a case-insensitive match,
/// then the smallest distance, ties by first. Never returns `name` itself or a candidate
/// sharing no character position with it.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let threshold = (name.chars().count() / 3).max(1);
    closest_within(name, candidates, threshold)
}

/// Spelled-out or conventional unit words and the symbol to use instead (keys lowercase).
const ALIASES: &[(&str, &str)] = &[
    ("meter", "m"),
    ("meters", "m"),
    ("metre", "m"),
    ("metres", "m"),
    ("millimeter", "mm"),
    ("millimeters", "mm"),
    ("millimetre", "mm"),
    ("millimetres", "mm"),
    ("centimeter", "cm"),
    ("centimeters", "cm"),
    ("centimetre", "cm"),
    ("centimetres", "cm"),
    ("kilometer", "km"),
    ("kilometers", "km"),
    ("kilometre", "km"),
    ("kilometres", "km"),
    ("micrometer", "µm"),
    ("micrometre", "µm"),
    ("micron", "µm"),
    ("microns", "µm"),
    ("liter", "L"),
    ("liters", "L"),
    ("litre", "L"),
    ("litres", "L"),
    ("ltr", "L"),
    ("lt", "L"),
    ("milliliter", "mL"),
    ("milliliters", "mL"),
    ("millilitre", "mL"),
    ("millilitres", "mL"),
    ("second", "s"),
    ("seconds", "s"),
    ("sec", "s"),
    ("secs", "s"),
    ("millisecond", "ms"),
    ("milliseconds", "ms"),
    ("msec", "ms"),
    ("minute", "min"),
    ("minutes", "min"),
    ("mins", "min"),
    ("hour", "h"),
    ("hours", "h"),
    ("hr", "h"),
    ("hrs", "h"),
    ("days", "d"),
    ("kilogram", "kg"),
    ("kilograms", "kg"),
    ("kilo", "kg"),
    ("kilos", "kg"),
    ("gram", "g"),
    ("grams", "g"),
    ("gramme", "g"),
    ("grammes", "g"),
    ("tonne", "t"),
    ("tonnes", "t"),
    ("ton", "t"),
    ("tons", "t"),
    ("kelvin", "K"),
    ("kelvins", "K"),
    ("mole", "mol"),
    ("moles", "mol"),
    ("mols", "mol"),
    ("molar", "M"),
    ("ampere", "A"),
    ("amperes", "A"),
    ("amp", "A"),
    ("amps", "A"),
    ("candela", "cd"),
    ("newton", "N"),
    ("newtons", "N"),
    ("pascal", "Pa"),
    ("pascals", "Pa"),
    ("kilopascal", "kPa"),
    ("kilopascals", "kPa"),
    ("bars", "bar"),
    ("atmosphere", "atm"),
    ("atmospheres", "atm"),
    ("joule", "J"),
    ("joules", "J"),
    ("watt", "W"),
    ("watts", "W"),
    ("kilowatt", "kW"),
    ("kilowatts", "kW"),
    ("hertz", "Hz"),
    ("coulomb", "C"),
    ("coulombs", "C"),
    ("volt", "V"),
    ("volts", "V"),
    ("ohms", "Ohm"),
    ("percent", "%"),
    ("pct", "%"),
    ("degree", "deg"),
    ("degrees", "deg"),
    ("°", "deg"),
    ("radian", "rad"),
    ("radians", "rad"),
    ("lpm", "L/min"),
    ("cc", "cm^3"),
    ("mtr", "m"),
    ("mtrs", "m"),
    ("kph", "km/h"),
    ("kmh", "km/h"),
    ("mps", "m/s"),
];

const TEMPERATURE_HINT: &str =
    "temperatures are absolute: use `K` (offset units like °C are not supported)";

/// Names (lowercase) that are missing on purpose, with what to do instead.
const HINTS: &[(&str, &str)] = &[
    ("degc", TEMPERATURE_HINT),
    ("°c", TEMPERATURE_HINT),
    ("℃", TEMPERATURE_HINT),
    ("celsius", TEMPERATURE_HINT),
    ("centigrade", TEMPERATURE_HINT),
    ("degf", TEMPERATURE_HINT),
    ("°f", TEMPERATURE_HINT),
    ("℉", TEMPERATURE_HINT),
    ("fahrenheit", TEMPERATURE_HINT),
    (
        "rpm",
        "`rpm` is not built in: declare it with `unit rpm = 1/min`",
    ),
    (
        "psi",
        "`psi` is not built in: declare it with `unit psi = 6894.757293168361 Pa`",
    ),
    (
        "ev",
        "`eV` is not built in: declare it with `unit eV = 1.602176634e-19 J`",
    ),
    (
        "ft",
        "`ft` is not built in: declare it with `unit ft = 0.3048 m`",
    ),
    (
        "feet",
        "feet are not built in: declare them with `unit ft = 0.3048 m`",
    ),
    (
        "foot",
        "feet are not built in: declare them with `unit ft = 0.3048 m`",
    ),
    (
        "inch",
        "inches are not built in: declare them with `unit inch = 0.0254 m`",
    ),
    (
        "inches",
        "inches are not built in: declare them with `unit inch = 0.0254 m`",
    ),
    (
        "lb",
        "`lb` is not built in: declare it with `unit lb = 0.45359237 kg`",
    ),
    (
        "lbs",
        "`lb` is not built in: declare it with `unit lb = 0.45359237 kg`",
    ),
    (
        "gal",
        "gallons are not built in: declare one, e.g. `unit gal = 3.785411784 L` (US)",
    ),
    (
        "gpm",
        "`gpm` is not built in: declare it, e.g. `unit gpm = 3.785411784 L/min` (US)",
    ),
    (
        "hp",
        "`hp` is not built in: declare it with `unit hp = 745.7 W`",
    ),
    (
        "mph",
        "`mph` is not built in: declare it with `unit mph = 0.44704 m/s`",
    ),
];

/// A fixed explanation for a unit name that is missing on purpose: offset temperatures
/// (`degC`, `°C`, `celsius`, ...), and conventional units users declare themselves (`rpm`,
/// `psi`, imperial units), also in the plural (`rpms`).
pub fn hint(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let find = |key: &str| HINTS.iter().find(|(k, _)| *k == key).map(|(_, h)| *h);
    find(&lower).or_else(|| {
        let singular = lower.strip_suffix('s').filter(|b| b.chars().count() >= 2)?;
        find(singular)
    })
}

/// A known unit name: built-in (possibly prefixed) or one of the user's.
fn known(name: &str, extra: &[&str]) -> bool {
    !name.is_empty() && (builtin(name).is_some() || extra.contains(&name))
}

/// The nearest candidate by [`edit_distance`] (ignoring case when `fold_case`), within
/// `max_distance`, with its distance; ties go to the smaller case-sensitive distance, then
/// the earliest. Candidates differing in every position are skipped.
fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
    fold_case: bool,
) -> Option<(usize, &'a str)> {
    let lower = name.to_lowercase();
    let len = name.chars().count();
    let mut best: Option<((usize, usize), &'a str)> = None;
    for candidate in candidates {
        let d = if fold_case {
            edit_distance(&lower, &candidate.to_lowercase())
        } else {
            edit_distance(name, candidate)
        };
        if d > max_distance || d >= len.max(candidate.chars().count()) {
            continue;
        }
        let key = (d, edit_distance(name, candidate));
        if best.is_none_or(|(b, _)| key < b) {
            best = Some((key, candidate));
        }
    }
    best.map(|((d, _), c)| (d, c))
}

/// "Did you mean" for an unknown unit name, over the built-in units and `extra` (user unit
/// names), trying in order: the user's name in another case (`RPM` -> `rpm`); nothing when
/// the name has a [`hint`]; a spelled-out word (`metre` -> `m`, `hour` -> `h`); a missing
/// `^` (`m3`, `m²` -> `m^3`, `m^2`); a plural (`kgs` -> `kg`); a missing `*` (`Nm` ->
/// `N*m`); a case slip (`KG` -> `kg`, `kpa` -> `kPa`); a near miss ignoring case (edit
/// distance 1 for names of 2-3 characters, 2 for longer ones; prefixed forms such as `mbar`
/// only within 1).
pub fn suggest(name: &str, extra: &[&str]) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let lower = name.to_lowercase();
    // The user's own unit in another case beats everything (`RPM` for a declared `rpm`).
    if let Some(own) = extra
        .iter()
        .find(|e| **e != name && e.to_lowercase() == lower)
    {
        return Some((*own).to_string());
    }
    if hint(name).is_some() {
        return None;
    }
    if let Some((_, to)) = ALIASES.iter().find(|(k, _)| *k == lower) {
        return Some((*to).to_string());
    }
    // `m3` -> `m^3`, `cm2` -> `cm^2`, `m²` -> `m^2`.
    for (suffix, power) in [("\u{b2}", "2"), ("\u{b3}", "3")] {
        if let Some(base) = name.strip_suffix(suffix)
            && known(base, extra)
        {
            return Some(format!("{base}^{power}"));
        }
    }
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if base.len() < name.len()
        && known(base, extra)
        && let Ok(n) = name[base.len()..].parse::<u8>()
        && (2..=9).contains(&n)
    {
        return Some(format!("{base}^{n}"));
    }
    // A plural of a name of two or more characters: `kgs` -> `kg`.
    if let Some(single) = name.strip_suffix('s')
        && single.chars().count() >= 2
        && known(single, extra)
    {
        return Some(single.to_string());
    }
    // Two names run together: `Nm` -> `N*m`, `Ah` -> `A*h`. A leading `K` is a mistyped
    // kilo (`KW`), not kelvin times something.
    for (i, _) in name.char_indices().skip(1) {
        let (a, b) = name.split_at(i);
        if a != "K" && known(a, extra) && known(b, extra) {
            return Some(format!("{a}*{b}"));
        }
    }
    // A case slip: a unique match ignoring case (`kpa` -> `kPa`, but `mw` is `mW` or `MW`).
    let same_case = |c: &&str| c.to_lowercase() == lower;
    if let Some(c) = builtin_names().find(same_case) {
        return Some(c.to_string());
    }
    let mut prefixed = prefixed_names()
        .iter()
        .map(String::as_str)
        .filter(same_case);
    if let (Some(c), None) = (prefixed.next(), prefixed.next()) {
        return Some(c.to_string());
    }
    let max_distance = match name.chars().count() {
        0 | 1 => 0,
        2 | 3 => 1,
        _ => 2,
    };
    // Aliases take part under their own spelling and map to their symbol.
    let mut pool: Vec<&str> = extra.to_vec();
    for candidate in builtin_names().chain(ALIASES.iter().map(|(k, _)| *k)) {
        pool.push(candidate);
    }
    // Prefixed forms only within one edit, and case counts (`mN` and `MN` are different units).
    let plain = nearest(name, pool, max_distance, true);
    let prefixed = nearest(
        name,
        prefixed_names().iter().map(String::as_str),
        max_distance.min(1),
        false,
    );
    let found = match (plain, prefixed) {
        (Some((dp, p)), Some((dq, q))) => {
            if dq < dp {
                q
            } else {
                p
            }
        }
        (Some((_, p)), None) => p,
        (None, Some((_, q))) => q,
        (None, None) => return None,
    };
    let resolved = ALIASES
        .iter()
        .find(|(k, _)| *k == found)
        .map_or(found, |(_, to)| *to);
    Some(resolved.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("abc", ""), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("flaw", "lawn"), 2);
        assert_eq!(levenshtein("level", "level"), 0);
        assert_eq!(levenshtein("µm", "um"), 1);
        assert_eq!(levenshtein("ab", "ba"), 2);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("rmp", "rpm"), 1);
        assert_eq!(edit_distance("tnak", "tank"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("ab", ""), 2);
    }

    #[test]
    fn closest_names() {
        let names = ["level", "flow_in", "flow_out", "area"];
        assert_eq!(closest("levl", names), Some("level"));
        assert_eq!(closest("flow_ot", names), Some("flow_out"));
        assert_eq!(closest("LEVEL", names), Some("level"));
        assert_eq!(closest("volume", names), None);
        assert_eq!(closest("level", names), None); // itself is not a suggestion
        assert_eq!(closest("x", ["y", "z"]), None); // nothing in common
        assert_eq!(closest("x", ["xs"]), Some("xs"));
        assert_eq!(closest("ab", ["xb", "ay"]), Some("xb")); // tie: first wins
        assert_eq!(closest("abcdef", ["abcxyz", "abcdxy"]), Some("abcdxy")); // smallest wins
        assert_eq!(closest("", ["a"]), None);
        assert_eq!(closest("rk5", ["euler", "rk4", "rk45"]), Some("rk4"));
        assert_eq!(closest("tnak", ["tank", "tanks"]), Some("tank"));
        let owned = ["alpha".to_string(), "beta".to_string()];
        assert_eq!(
            closest("alpa", owned.iter().map(String::as_str)),
            Some("alpha")
        );
    }

    #[test]
    fn spelled_out_words() {
        for (word, want) in [
            ("meter", "m"),
            ("metre", "m"),
            ("Meters", "m"),
            ("litre", "L"),
            ("liter", "L"),
            ("second", "s"),
            ("sec", "s"),
            ("minute", "min"),
            ("hour", "h"),
            ("hr", "h"),
            ("kilogram", "kg"),
            ("gram", "g"),
            ("kelvin", "K"),
            ("Kelvin", "K"),
            ("percent", "%"),
            ("lpm", "L/min"),
            ("cc", "cm^3"),
            ("mtr", "m"),
            ("mtrs", "m"),
        ] {
            assert_eq!(suggest(word, &[]).as_deref(), Some(want), "{word}");
        }
    }

    #[test]
    fn typos_and_case() {
        assert_eq!(suggest("mter", &[]).as_deref(), Some("m"));
        assert_eq!(suggest("metr", &[]).as_deref(), Some("m"));
        assert_eq!(suggest("secnd", &[]).as_deref(), Some("s"));
        assert_eq!(suggest("KG", &[]).as_deref(), Some("kg"));
        assert_eq!(suggest("kpa", &[]).as_deref(), Some("kPa"));
        assert_eq!(suggest("PA", &[]).as_deref(), Some("Pa"));
        assert_eq!(suggest("MIN", &[]).as_deref(), Some("min"));
        assert_eq!(suggest("hz", &[]).as_deref(), Some("Hz"));
        assert_eq!(suggest("ohm", &[]).as_deref(), Some("Ohm"));
        assert_eq!(suggest("mabr", &[]).as_deref(), Some("mbar"));
        assert_eq!(suggest("KW", &[]).as_deref(), Some("kW"));
        assert_eq!(suggest("KPa", &[]).as_deref(), Some("kPa"));
        assert_eq!(suggest("mni", &[]).as_deref(), Some("min"));
        let mn = suggest("mn", &[]); // `mN` or `MN`: ambiguous, so not a case slip
        assert!(
            mn.as_deref() != Some("mN") && mn.as_deref() != Some("MN"),
            "{mn:?}"
        );
        assert_eq!(suggest("pas", &[]).as_deref(), Some("Pa"));
        assert_eq!(suggest("m²", &[]).as_deref(), Some("m^2"));
        assert_eq!(suggest("km³", &[]).as_deref(), Some("km^3"));
        assert_eq!(suggest("kgs", &[]).as_deref(), Some("kg"));
        assert_eq!(suggest("Nm", &[]).as_deref(), Some("N*m"));
        assert_eq!(suggest("mAh", &[]).as_deref(), Some("mA*h"));
        assert_eq!(suggest("kgm", &[]).as_deref(), Some("kg*m"));
        assert_eq!(suggest("Lrpm", &["rpm"]).as_deref(), Some("L*rpm"));
        assert_eq!(suggest("cc", &[]).as_deref(), Some("cm^3"));
        assert_eq!(suggest("m3", &[]).as_deref(), Some("m^3"));
        assert_eq!(suggest("cm2", &[]).as_deref(), Some("cm^2"));
        assert_eq!(suggest("rpm2", &["rpm"]).as_deref(), Some("rpm^2"));
        assert_eq!(suggest("xyzzy", &[]), None);
        assert_eq!(suggest("q", &[]), None);
        assert_eq!(suggest("", &[]), None);
    }

    #[test]
    fn user_names() {
        assert_eq!(suggest("rmp", &["rpm"]).as_deref(), Some("rpm"));
        assert_eq!(suggest("RPM", &["rpm"]).as_deref(), Some("rpm"));
        assert_eq!(suggest("dozn", &["dozen"]).as_deref(), Some("dozen"));
    }

    #[test]
    fn hints() {
        for name in [
            "degC",
            "°C",
            "celsius",
            "Celsius",
            "degF",
            "°F",
            "fahrenheit",
            "℃",
        ] {
            assert_eq!(hint(name), Some(TEMPERATURE_HINT), "{name}");
            assert_eq!(suggest(name, &[]), None, "{name}");
        }
        assert!(hint("rpm").unwrap().contains("unit rpm = 1/min"));
        assert_eq!(suggest("rpm", &[]), None); // not `ppm`
        assert_eq!(suggest("rpms", &[]), None);
        assert!(hint("rpms").is_some());
        for name in ["ft", "inch", "lb", "gal", "hp", "psi", "mph"] {
            assert!(hint(name).unwrap().contains("unit "), "{name}");
            assert_eq!(suggest(name, &[]), None, "{name}");
        }
        assert_eq!(hint("s"), None);
        assert_eq!(hint("ms"), None);
        assert_eq!(hint("m"), None);
        assert_eq!(hint("meter"), None);
    }
}
