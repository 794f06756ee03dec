//! The standard library, shipped inside the compiler: `use std::<module>::Item` reads the
//! embedded copy of `stdlib/<module>.plant`, registered under the path `std/<module>.plant`.

/// (path as registered, text) of every stdlib module.
pub const FILES: &[(&str, &str)] = &[
    ("std/units.plant", include_str!("../../stdlib/units.plant")),
    (
        "std/process.plant",
        include_str!("../../stdlib/process.plant"),
    ),
    (
        "std/control.plant",
        include_str!("../../stdlib/control.plant"),
    ),
    ("std/bulk.plant", include_str!("../../stdlib/bulk.plant")),
    (
        "std/logistics.plant",
        include_str!("../../stdlib/logistics.plant"),
    ),
    (
        "std/sensors.plant",
        include_str!("../../stdlib/sensors.plant"),
    ),
];

/// The stdlib module (`bulk`) that defines a node or unit named `name`, for hints.
pub fn module_defining(name: &str) -> Option<&'static str> {
    FILES.iter().find_map(|(path, text)| {
        let defines = text.lines().any(|l| {
            let mut words = l.split_whitespace();
            matches!(words.next(), Some("node" | "unit" | "plant"))
                && words.next().map(|w| w.trim_end_matches(['{', '='])) == Some(name)
        });
        defines.then(|| path.trim_start_matches("std/").trim_end_matches(".plant"))
    })
}
