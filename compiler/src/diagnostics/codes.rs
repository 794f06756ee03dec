//! The stable diagnostic codes, grouped by phase, with the text `plantc explain` prints.
//!
//! Codes never change meaning once published. Ranges: `E00xx` parse and files, `E01xx`
//! names, `E02xx` units and types, `E03xx` ports and bonds, `E04xx` plant structure.
//! Warnings use the same numbering (a code is either always an error or always a warning).

/// One code: its phase, a one-line title and a longer explanation with an example.
pub struct CodeInfo {
    pub code: &'static str,
    pub phase: Phase,
    pub title: &'static str,
    pub explanation: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    Parse,
    Names,
    Units,
    Ports,
    Structure,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Parse => "parse",
            Phase::Names => "names",
            Phase::Units => "units",
            Phase::Ports => "ports and bonds",
            Phase::Structure => "structure",
        }
    }
}

macro_rules! codes {
    ($($name:ident = $code:literal, $phase:ident, $title:literal, $expl:literal;)*) => {
        $(pub const $name: &str = $code;)*
        /// Every code, in numeric order.
        pub const ALL: &[CodeInfo] = &[
            $(CodeInfo { code: $code, phase: Phase::$phase, title: $title, explanation: $expl },)*
        ];
    };
}

/// The registry entry for `code` (case-insensitive; `E200` and `200` also match `E0200`).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let digits: String = code.trim().trim_start_matches(['E', 'e']).to_string();
    let n: u32 = digits.parse().ok()?;
    let wanted = format!("E{n:04}");
    ALL.iter().find(|c| c.code == wanted)
}

include!("codes_list.rs");
