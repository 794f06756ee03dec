//! Completion: what may be typed at the cursor, from the text before it (which may not
//! parse yet) and the database (which has the rest of the file).
//!
//! - after `inst.` (or `a.b[i].`): the members of the node `inst` instantiates;
//! - after `:` in a declaration, after a number (`2 `), inside a unit (`m/`) or in a
//!   `unit` declaration: units (built-in, prefixed and the file's own);
//! - inside `Node(` where an argument name goes: the node's parameters not given yet;
//! - at the start of a line: the keywords that start a member (in a body) or an item
//!   (at the top level), and names;
//! - elsewhere: the names in scope (members, loop variables, node types, built-in
//!   functions) and the expression keywords.

use plantc::check::sig::{DefSig, MemberSigKind};
use plantc::check::types::BUILTINS;
use plantc::db::{SourceFile, parse};
use plantc::resolve::{ItemKind, file_scope, unit_table};
use plantc::syntax::ast::{Item, Member, MemberKind};
use tower_lsp_server::ls_types::{CompletionItem, CompletionItemKind};

use crate::ide::member_at;
use crate::index::def_sig;
use crate::world::World;

const ITEM_KEYWORDS: &[&str] = &["use", "unit", "node", "plant"];
const MEMBER_KEYWORDS: &[&str] = &[
    "param",
    "in",
    "out",
    "state",
    "let",
    "der",
    "next",
    "bond",
    "for",
    "dt",
    "decide every",
    "decide when",
    "integrator",
    "action",
    "observe",
    "reward",
    "agent",
    "terminate when",
    "truncate after",
    "when",
    "on decide",
];
const EXPR_KEYWORDS: &[&str] = &["if", "then", "else", "and", "or", "not", "true", "false"];

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || "µμ°Ω".contains(c)
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..Default::default()
    }
}

fn member_kind(k: &MemberSigKind) -> CompletionItemKind {
    match k {
        MemberSigKind::Param { .. } => CompletionItemKind::CONSTANT,
        MemberSigKind::InPort { .. } | MemberSigKind::OutPort => CompletionItemKind::FIELD,
        MemberSigKind::State | MemberSigKind::Let => CompletionItemKind::VARIABLE,
        MemberSigKind::Instance(_) => CompletionItemKind::MODULE,
        MemberSigKind::Action => CompletionItemKind::EVENT,
    }
}

fn member_items(sig: &DefSig) -> Vec<CompletionItem> {
    sig.members
        .iter()
        .map(|m| {
            let unit = match &m.kind {
                MemberSigKind::Instance(_) => String::new(),
                _ => m.unit.as_ref().map_or_else(
                    || plantc::check::types::describe_with_spelling(m.ty, None).replace('`', ""),
                    |u| u.text.clone(),
                ),
            };
            let detail = if unit.is_empty() {
                m.kind.describe().to_string()
            } else {
                format!("{unit} ({})", m.kind.describe())
            };
            let mut it = item(&m.name, member_kind(&m.kind), Some(detail));
            if let Some(d) = &m.doc {
                it.documentation =
                    Some(tower_lsp_server::ls_types::Documentation::String(d.clone()));
            }
            it
        })
        .collect()
}

/// The definition (item index and members) whose text contains an offset.
fn def_at(world: &World, file: SourceFile, offset: usize) -> Option<(usize, &[Member])> {
    let ast = &parse(&world.session.db, file).file;
    ast.items.iter().enumerate().find_map(|(i, it)| match it {
        Item::Node(n) if n.span.start as usize <= offset && offset <= n.span.end as usize => {
            Some((i, n.members.as_slice()))
        }
        Item::Plant(p) if p.span.start as usize <= offset && offset <= p.span.end as usize => {
            Some((i, p.members.as_slice()))
        }
        _ => None,
    })
}

pub fn completion(world: &World, file: SourceFile, offset: usize) -> Vec<CompletionItem> {
    let s = &world.session;
    let db = &s.db;
    let text = file.text(db);
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let partial_len = before
        .chars()
        .rev()
        .take_while(|c| is_word_char(*c))
        .map(char::len_utf8)
        .sum::<usize>();
    let head = &before[..before.len() - partial_len];
    let def = def_at(world, file, offset);
    let sig = def.and_then(|(i, _)| def_sig(db, s.ws, file, i));

    // `inst.` / `a.b[i].`
    if head.ends_with('.') && !head.ends_with("..") {
        let segments = path_before_dot(&head[..head.len() - 1]);
        let Some(mut current) = sig.clone() else {
            return Vec::new();
        };
        if segments.is_empty() {
            return Vec::new();
        }
        for seg in &segments {
            let Some(m) = current.member(seg) else {
                return Vec::new();
            };
            let MemberSigKind::Instance(Some(r)) = m.kind else {
                return Vec::new();
            };
            let Some(next) = def_sig(db, s.ws, r.file, r.index) else {
                return Vec::new();
            };
            current = next;
        }
        return member_items(&current);
    }

    let in_parens = open_paren(head);
    if unit_position(head, in_parens.is_some()) {
        return unit_items(world, file);
    }

    // Argument names of an instantiation.
    if let Some(open) = in_parens {
        let callee = word_before(&head[..open]);
        let scope = file_scope(db, s.ws, file);
        if let Some(r) = scope.get(callee).filter(|r| r.kind == ItemKind::Node) {
            let args = &head[open + 1..];
            let last = args.rsplit(',').next().unwrap_or("");
            if last.trim().is_empty() {
                let given: Vec<&str> = args
                    .split(',')
                    .filter_map(|a| a.split(':').next().map(str::trim))
                    .collect();
                let Some(target) = def_sig(db, s.ws, r.file, r.index) else {
                    return Vec::new();
                };
                return target
                    .members
                    .iter()
                    .filter(|m| matches!(m.kind, MemberSigKind::Param { .. }))
                    .filter(|m| !given.contains(&m.name.as_str()))
                    .map(|m| {
                        let unit = m.unit.as_ref().map_or("1", |u| u.text.as_str());
                        let mut it = item(
                            &m.name,
                            CompletionItemKind::FIELD,
                            Some(format!("{unit} (parameter of {})", target.name)),
                        );
                        it.insert_text = Some(format!("{}: ", m.name));
                        if let Some(d) = &m.doc {
                            it.documentation =
                                Some(tower_lsp_server::ls_types::Documentation::String(d.clone()));
                        }
                        it
                    })
                    .collect();
            }
        }
    }

    let mut out = Vec::new();
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let at_line_start = head[line_start..].trim().is_empty();
    if at_line_start {
        let words = if def.is_some() {
            MEMBER_KEYWORDS
        } else {
            ITEM_KEYWORDS
        };
        for w in words {
            out.push(item(w, CompletionItemKind::KEYWORD, None));
        }
        if def.is_none() {
            return out;
        }
    }
    for w in EXPR_KEYWORDS {
        out.push(item(w, CompletionItemKind::KEYWORD, None));
    }
    if let Some(sig) = &sig {
        out.extend(member_items(sig));
    }
    if let Some((_, members)) = def
        && let Some((_, loops)) = member_at(members, offset)
    {
        for (v, _) in loops {
            out.push(item(
                &v,
                CompletionItemKind::VARIABLE,
                Some("loop index".into()),
            ));
        }
    }
    if let Some((_, members)) = def {
        // Inside `for` blocks the cursor may be past the last member: look at the text.
        let _ = members;
    }
    let scope = file_scope(db, s.ws, file);
    let mut names: Vec<(&String, ItemKind)> =
        scope.items.iter().map(|(n, r)| (n, r.kind)).collect();
    names.sort_by_key(|(n, _)| n.as_str());
    for (n, k) in names {
        if k == ItemKind::Node {
            out.push(item(n, CompletionItemKind::CLASS, Some("node".into())));
        }
    }
    for (name, lo, hi, _) in BUILTINS {
        let arity = if *hi == usize::MAX {
            format!("{lo}+ arguments")
        } else if lo == hi {
            format!("{lo} argument{}", if *lo == 1 { "" } else { "s" })
        } else {
            format!("{lo} to {hi} arguments")
        };
        out.push(item(
            name,
            CompletionItemKind::FUNCTION,
            Some(format!("built-in, {arity}")),
        ));
    }
    out
}

/// The names of a path ending right before a `.`: `a.b[i + 1]` gives `[a, b]`.
fn path_before_dot(head: &str) -> Vec<String> {
    let mut segs = Vec::new();
    let mut rest = head;
    loop {
        // Skip an index.
        if rest.ends_with(']') {
            let mut depth = 0usize;
            let mut cut = None;
            for (i, c) in rest.char_indices().rev() {
                match c {
                    ']' => depth += 1,
                    '[' => {
                        depth -= 1;
                        if depth == 0 {
                            cut = Some(i);
                            break;
                        }
                    }
                    '\n' | '{' | '}' => return Vec::new(),
                    _ => {}
                }
            }
            let Some(cut) = cut else { return Vec::new() };
            rest = &rest[..cut];
        }
        let w = word_before(rest);
        if w.is_empty() || w.starts_with(|c: char| c.is_ascii_digit()) {
            return Vec::new();
        }
        segs.push(w.to_string());
        rest = &rest[..rest.len() - w.len()];
        if rest.ends_with('.') && !rest.ends_with("..") {
            rest = &rest[..rest.len() - 1];
        } else {
            break;
        }
    }
    segs.reverse();
    segs
}

/// The identifier that ends a text (after trailing spaces).
fn word_before(text: &str) -> &str {
    let t = text.trim_end_matches([' ', '\t']);
    let n = t
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum::<usize>();
    &t[t.len() - n..]
}

/// The byte position of a `(` still open at the end of `head`, within the current member
/// (the search stops at braces).
fn open_paren(head: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in head.char_indices().rev().take(4000) {
        match c {
            ')' => depth += 1,
            '(' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            '{' | '}' => return None,
            _ => {}
        }
    }
    None
}

/// Whether a unit goes at the end of `head`: after the `:` of a declaration (not inside an
/// instantiation's parentheses), after a number and a space, inside a unit (`m/`), or in
/// the value of a `unit` declaration.
fn unit_position(head: &str, in_parens: bool) -> bool {
    let line = &head[head.rfind('\n').map_or(0, |i| i + 1)..];
    // The unit written so far: no spaces, unit characters and operators.
    let run = line
        .chars()
        .rev()
        .take_while(|c| is_word_char(*c) || "*/^()-".contains(*c))
        .map(char::len_utf8)
        .sum::<usize>();
    let (pre, run_text) = line.split_at(line.len() - run);
    if !run_text.is_empty() && !run_text.contains(['*', '/', '^']) {
        return false; // a name being typed, not a unit expression
    }
    let pre_t = pre.trim_end();
    if pre_t.ends_with(':') && !pre_t.ends_with("::") && !in_parens {
        return true;
    }
    if pre.len() != pre_t.len() || run_text.contains(['*', '/', '^']) {
        // After whitespace: a number right before means a literal's unit.
        let last = pre_t
            .rsplit(|c: char| c.is_whitespace() || "(,=+-*<>".contains(c))
            .next()
            .unwrap_or("");
        if !last.is_empty()
            && last
                .chars()
                .all(|c| c.is_ascii_digit() || ".eE".contains(c))
            && last.starts_with(|c: char| c.is_ascii_digit())
        {
            return true;
        }
    }
    let trimmed = line.trim_start();
    trimmed.starts_with("unit ") && pre_t.ends_with('=')
}

fn unit_items(world: &World, file: SourceFile) -> Vec<CompletionItem> {
    let s = &world.session;
    let table = unit_table(&s.db, s.ws, file);
    let mut out = Vec::new();
    for n in table.user_names() {
        let detail = table.units.get(n).map(|u| {
            format!(
                "= {}{}",
                plantc::units::format_unit(u),
                u.dim
                    .describe()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        });
        out.push(item(n, CompletionItemKind::UNIT, detail));
    }
    for n in plantc::units::builtin_names() {
        let detail = plantc::units::builtin(n).map(|u| {
            format!(
                "= {}{}",
                plantc::units::format_unit(&u),
                u.dim
                    .describe()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        });
        out.push(item(n, CompletionItemKind::UNIT, detail));
    }
    for n in plantc::units::prefixed_names() {
        let mut it = item(n, CompletionItemKind::UNIT, None);
        // Rank prefixed names after the plain ones.
        it.sort_text = Some(format!("~{n}"));
        out.push(it);
    }
    out
}

/// Whether a member list contains a `for` block (used by tests of loop scopes).
pub fn has_for(members: &[Member]) -> bool {
    members.iter().any(|m| matches!(m.kind, MemberKind::For(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_before_a_dot() {
        assert_eq!(path_before_dot("    bond tank"), vec!["tank"]);
        assert_eq!(path_before_dot("x = a.b[i + 1]"), vec!["a", "b"]);
        assert!(path_before_dot("x = 2").is_empty());
    }

    #[test]
    fn unit_positions() {
        assert!(unit_position("    param k: ", false));
        assert!(unit_position("    param k: L/", false));
        assert!(unit_position("    let x = 2 ", false));
        assert!(unit_position("    let x = 2 m/", false));
        assert!(unit_position("unit rpm = ", false));
        assert!(!unit_position("    t = Tank(area: ", true));
        assert!(unit_position("    t = Tank(area: 2 ", true));
        assert!(!unit_position("use std::", false));
        assert!(!unit_position("    let x = a + ", false));
    }

    #[test]
    fn open_parens() {
        assert_eq!(open_paren("t = Tank(area: 1 m^2, "), Some(8));
        assert_eq!(open_paren("t = Tank(area: max(1, 2), "), Some(8));
        assert_eq!(open_paren("t = f(x)"), None);
    }
}
