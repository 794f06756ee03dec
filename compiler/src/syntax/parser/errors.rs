//! Turning pest failures into diagnostics that speak the language's words.
//!
//! pest reports the farthest position at which some rule failed and the rules it tried
//! there ("positives"). Every token of the grammar is a named rule, so the positives say
//! exactly what could come next. Each rule maps to a phrase and a class:
//!
//! - tokens (`` `=` ``, `` `in` ``) and things ("an expression", "a unit, like `m/s`") are
//!   listed;
//! - operators are folded into "an operator", shown only next to "the end of the member";
//! - optional continuations (`[` after a name, a unit after a number) are shown only when
//!   nothing else was expected.
//!
//! The message names what was found (the next token, or "end of file"), and a help line is
//! added for a few known mistakes.

use super::grammar::Rule;
use super::scan;
use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::Span;

/// How a rule is reported.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// A literal token or keyword.
    Token,
    /// A category such as an expression.
    Thing,
    /// The end of a member, item or file.
    End,
    /// A binary operator that could continue an expression.
    Op,
    /// An optional continuation, shown only if nothing else is expected.
    Cont,
}

const MEMBER: &str =
    "a member such as `param`, `state`, `der`, an instance `name = Node()`, or `}`";
const EXPRESSION: &str = "an expression";
const UNIT: &str = "a unit, like `m/s`";

/// The phrase and class of a rule. Exhaustive on purpose: a new rule must get words.
fn describe(rule: Rule) -> (&'static str, Class) {
    use Class::*;
    match rule {
        Rule::kw_use => ("`use`", Token),
        Rule::kw_unit => ("`unit`", Token),
        Rule::kw_node => ("`node`", Token),
        Rule::kw_plant => ("`plant`", Token),
        Rule::kw_param => ("`param`", Token),
        Rule::kw_in => ("`in`", Token),
        Rule::kw_out => ("`out`", Token),
        Rule::kw_state => ("`state`", Token),
        Rule::kw_der => ("`der`", Token),
        Rule::kw_next => ("`next`", Token),
        Rule::kw_let => ("`let`", Token),
        Rule::kw_bond => ("`bond`", Token),
        Rule::kw_for => ("`for`", Token),
        Rule::kw_dt => ("`dt`", Token),
        Rule::kw_decide => ("`decide`", Token),
        Rule::kw_every => ("`every`", Token),
        Rule::kw_when => ("`when`", Token),
        Rule::kw_integrator => ("`integrator`", Token),
        Rule::kw_action => ("`action`", Token),
        Rule::kw_observe => ("`observe`", Token),
        Rule::kw_reward => ("`reward`", Token),
        Rule::kw_agent => ("`agent`", Token),
        Rule::kw_terminate => ("`terminate`", Token),
        Rule::kw_truncate => ("`truncate`", Token),
        Rule::kw_after => ("`after`", Token),
        Rule::kw_steps => ("`steps`", Token),
        Rule::kw_on => ("`on`", Token),
        Rule::kw_if => ("`if`", Token),
        Rule::kw_then => ("`then`", Token),
        Rule::kw_else => ("`else`", Token),
        Rule::kw_bool => ("`bool`", Token),
        Rule::kw_choice => ("`choice`", Token),
        Rule::kw_mask => ("`mask`", Token),
        Rule::kw_noise => ("`noise`", Token),
        Rule::kw_normalized => ("`normalized`", Token),
        Rule::kw_sum => ("`sum`", Token),

        Rule::ident => ("a name", Thing),
        Rule::number => ("a number", Thing),
        Rule::colon => ("`:`", Token),
        Rule::path_sep => ("`::`", Token),
        Rule::eq => ("`=`", Token),
        Rule::comma => ("`,`", Token),
        Rule::semi => ("`;`", Token),
        Rule::lparen => ("`(`", Cont),
        Rule::rparen => ("`)`", Token),
        Rule::lbracket => ("`[`", Cont),
        Rule::rbracket => ("`]`", Token),
        Rule::lbrace => ("`{`", Token),
        Rule::rbrace => ("`}`", Token),
        Rule::arrow => ("`->`", Token),
        Rule::range_op => ("`..`", Token),
        Rule::dot => ("`.`", Cont),
        Rule::glob => ("`*`", Token),
        Rule::infix_op | Rule::pow_op | Rule::unit_op => ("an operator", Op),
        Rule::prefix_op => (EXPRESSION, Thing),

        Rule::exponent => ("an exponent, like `2`, `-1` or `(1/2)`", Thing),
        Rule::unit_name | Rule::compact_atom | Rule::compact_unit => (UNIT, Cont),
        Rule::exponent_body => ("an exponent, like `2`, `-1` or `(1/2)`", Thing),
        Rule::type_unit_name | Rule::simple_unit => (UNIT, Thing),
        Rule::unit_decl_name => ("a name", Thing),
        Rule::unit_expr | Rule::unit_factor | Rule::unit_paren | Rule::unit_value | Rule::ty => {
            (UNIT, Thing)
        }

        Rule::number_lit
        | Rule::expr
        | Rule::operand
        | Rule::if_expr
        | Rule::ref_expr
        | Rule::paren => (EXPRESSION, Thing),
        Rule::call_args => ("`(`", Cont),
        Rule::path | Rule::path_seg => ("a name", Thing),
        Rule::index | Rule::array_size => ("`[`", Cont),

        Rule::doc => ("a doc comment", End),
        Rule::item_start | Rule::item_head | Rule::item => {
            ("an item: `use`, `unit`, `node` or `plant`", Thing)
        }
        Rule::item_end => ("the end of the item", End),
        Rule::use_decl => ("`use`", Token),
        Rule::use_group => ("`{`", Token),
        Rule::unit_decl => ("`unit`", Token),
        Rule::node_head => ("`node`", Token),
        Rule::plant_head => ("`plant`", Token),

        Rule::member_start | Rule::member_end => ("the end of the member", End),
        Rule::bounds => ("`in`", Token),
        Rule::args => ("`(`", Cont),
        Rule::arg => ("an argument, like `name: value`", Thing),
        Rule::action_kind | Rule::continuous_kind | Rule::choice_kind => (
            "an action kind: `bool`, `choice N`, or a unit with bounds like `rpm in 0 rpm .. 10 rpm`",
            Thing,
        ),
        Rule::mask_list => ("`[`", Token),
        Rule::param_decl
        | Rule::in_port
        | Rule::out_port
        | Rule::state_decl
        | Rule::let_decl
        | Rule::equation
        | Rule::instance_decl
        | Rule::bond_decl
        | Rule::dt_decl
        | Rule::decide_decl
        | Rule::integrator_decl
        | Rule::action_decl
        | Rule::observe_decl
        | Rule::reward_decl
        | Rule::terminate_decl
        | Rule::truncate_decl
        | Rule::for_head
        | Rule::agent_head
        | Rule::when_head
        | Rule::on_decide_head
        | Rule::member_head
        | Rule::member
        | Rule::member_body => (MEMBER, Thing),
        Rule::assign_start | Rule::assign_item | Rule::assign_body => {
            ("an assignment, like `x = 0 m`, or `}`", Thing)
        }
        Rule::assign_end => ("the end of the assignment", End),
        Rule::file => ("an item: `use`, `unit`, `node` or `plant`", Thing),
        Rule::EOI => ("end of file", End),
        // Silent rules: never reported by pest, listed for exhaustiveness.
        Rule::WHITESPACE | Rule::doc_line | Rule::inline_ws => ("a space", Cont),
        Rule::ident_char | Rule::keyword => ("a name", Thing),
        Rule::unit_start | Rule::unit_char => (UNIT, Cont),
        Rule::simple_member | Rule::block_head => (MEMBER, Thing),
    }
}

/// Joins phrases as "a", "a or b", "a, b or c".
fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The token found at `pos`, described for a message, and its span (empty at the end).
pub(super) fn found_token(text: &str, pos: usize) -> (String, Span) {
    let b = text.as_bytes();
    let mut pos = pos.min(b.len());
    while pos < b.len() && (b[pos] == b' ' || b[pos] == b'\t' || b[pos] == scan::FILLER) {
        pos += 1;
    }
    if pos >= b.len() {
        return ("end of file".to_string(), Span::new(b.len(), b.len()));
    }
    let rest = &text[pos..];
    if rest.starts_with('\n') || rest.starts_with("\r\n") {
        return ("the end of the line".to_string(), Span::new(pos, pos + 1));
    }
    if scan::is_doc_at(text, pos) {
        let end = scan::line_end(text, pos);
        return ("a doc comment `///`".to_string(), Span::new(pos, end));
    }
    let c = rest.chars().next().unwrap_or(' ');
    let len = if c.is_ascii_digit() {
        number_len(rest)
    } else if c.is_alphanumeric() || c == '_' || "µμ°Ω".contains(c) {
        rest.char_indices()
            .find(|&(_, ch)| !(ch.is_alphanumeric() || ch == '_' || "µμ°Ω".contains(ch)))
            .map_or(rest.len(), |(i, _)| i)
    } else {
        const MULTI: &[&str] = &["==", "!=", "<=", ">=", "->", "..", "::", "/*", "*/"];
        MULTI
            .iter()
            .find(|m| rest.starts_with(**m))
            .map_or(c.len_utf8(), |m| m.len())
    };
    let tok = &rest[..len];
    let shown = if tok.chars().count() > 30 {
        let cut: String = tok.chars().take(30).collect();
        format!("`{cut}…`")
    } else if tok == "`" {
        "a backtick".to_string()
    } else {
        format!("`{tok}`")
    };
    (shown, Span::new(pos, pos + len))
}

fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(0);
    if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        i = digits(i + 1);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    i
}

/// Where the parser was when it failed, for context-specific help.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Context {
    Item,
    Member,
    Assign,
}

/// A syntax error at `pos` given the rules pest tried there.
pub(super) fn syntax_error(
    file: &str,
    text: &str,
    start: usize,
    pos: usize,
    positives: &[Rule],
    ctx: Context,
) -> Diagnostic {
    let (found, found_span) = found_token(text, pos);
    let mut main: Vec<(&'static str, Class)> = Vec::new();
    let mut cont: Vec<(&'static str, Class)> = Vec::new();
    let mut has_op = false;
    for &rule in positives {
        let (phrase, class) = describe(rule);
        match class {
            Class::Op => has_op = true,
            Class::Cont => {
                if !cont.iter().any(|(p, _)| *p == phrase) {
                    cont.push((phrase, Class::Token));
                }
            }
            _ => {
                if !main.iter().any(|(p, _)| *p == phrase) {
                    main.push((phrase, class));
                }
            }
        }
    }
    if main.is_empty() {
        main = cont;
    }
    // A name is an expression too.
    if main.iter().any(|(p, _)| *p == EXPRESSION) {
        main.retain(|(p, _)| *p != "a name");
    }
    let only_ends = !main.is_empty() && main.iter().all(|(_, c)| *c == Class::End);
    if has_op && (main.is_empty() || only_ends) {
        main.insert(0, ("an operator", Class::Token));
    }
    let rank = |c: Class| match c {
        Class::Token => 0,
        Class::Thing => 1,
        _ => 2,
    };
    main.sort_by_key(|(_, c)| rank(*c));
    let mut phrases: Vec<&str> = main.iter().map(|(p, _)| *p).collect();
    phrases.truncate(4);
    if pos <= start {
        // Nothing of the member (item, assignment) could be read: say what may start one.
        phrases = vec![match ctx {
            Context::Item => "an item: `use`, `unit`, `node` or `plant`",
            Context::Member => MEMBER,
            Context::Assign => "an assignment, like `x = 0 m`, or `}`",
        }];
    }

    let (message, label) = if phrases.is_empty() {
        (format!("unexpected {found}"), format!("unexpected {found}"))
    } else {
        let expected = join_or(&phrases);
        (
            format!("expected {expected}, found {found}"),
            format!("expected {expected}"),
        )
    };
    let mut diag = Diagnostic::error(codes::SYNTAX, message, file, found_span, label);
    if let Some(help) = help_for(text, start, pos, found_span, positives, has_op, ctx) {
        diag = diag.with_help(help);
    }
    diag
}

fn help_for(
    text: &str,
    start: usize,
    pos: usize,
    found: Span,
    positives: &[Rule],
    has_op: bool,
    ctx: Context,
) -> Option<String> {
    let tok = &text[found.range()];
    let has = |r: Rule| positives.contains(&r);
    let after_value = has_op
        || has(Rule::member_end)
        || has(Rule::assign_end)
        || has(Rule::item_end)
        || has(Rule::rparen);
    let word = scan::word_at(text, found.start as usize);

    if ctx == Context::Assign && pos <= start && scan::is_member_start(text, pos) {
        return Some(
            "`when` and `on decide` blocks hold only assignments `path = value`; is a `}` missing?"
                .into(),
        );
    }
    if ctx == Context::Item && pos <= start && scan::is_member_start(text, pos) {
        return Some("members belong inside a `node` or `plant` body".into());
    }
    if tok == "=" && has_op {
        return Some("to compare two values, write `==`".into());
    }
    if tok == "==" && has(Rule::eq) {
        return Some("use a single `=` here; `==` compares values".into());
    }
    if !word.is_empty() && scan::is_keyword(word) && (has(Rule::ident) || has(Rule::path)) {
        return Some(format!(
            "`{word}` is a reserved word and cannot be used as a name"
        ));
    }
    if unit_on_next_line(text, pos, found) && after_value {
        return Some(
            "a number's unit must be on the same line as the number, like `9.81 m/s^2`".into(),
        );
    }
    let first = scan::word_at(text, start);
    let declares = matches!(first, "param" | "in" | "out" | "state" | "let" | "action");
    if has(Rule::colon) && declares && !word.is_empty() && !scan::is_keyword(word) {
        return Some("a declared unit follows a `:`, like `param area: m^2 = 1 m^2`".into());
    }
    if has(Rule::colon) || (has(Rule::ident) && has(Rule::rparen)) {
        return Some("arguments are written `name: value`, like `Tank(area: 2 m^2)`".into());
    }
    if ctx == Context::Member
        && has(Rule::ident)
        && !first.is_empty()
        && !scan::is_keyword(first)
        && first != "on"
    {
        return Some(
            "an instance is written `name = Node(arg: value)`; a definition is `let name = value`"
                .into(),
        );
    }
    if tok == "->" && has(Rule::eq) {
        return Some("a bond is written `bond source -> target`".into());
    }
    let digits = text[found.end as usize..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if tok == "." && digits > 0 {
        let end = found.end as usize + digits;
        return Some(format!(
            "a number needs a digit before the decimal point: write `0{}`",
            &text[found.start as usize..end]
        ));
    }
    None
}

/// True when the found token is on a later line than a preceding number, and looks like a
/// unit (`9.81` newline `m/s`).
fn unit_on_next_line(text: &str, pos: usize, found: Span) -> bool {
    let tok = &text[found.range()];
    let first = tok.chars().next().unwrap_or(' ');
    let unit_like = (first.is_alphabetic() || "µμ°Ω%".contains(first))
        && !scan::is_keyword(scan::word_at(text, found.start as usize));
    if !unit_like {
        return false;
    }
    let before = &text[..pos.min(text.len())];
    let trimmed = before.trim_end_matches([' ', '\t', '\r', '\n', '\u{1}']);
    if !before[trimmed.len()..].contains('\n') {
        return false;
    }
    let run_start = trimmed
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        .last()
        .map(|(i, _)| i);
    match run_start {
        Some(i) => trimmed[i..].starts_with(|c: char| c.is_ascii_digit()),
        None => false,
    }
}

/// A diagnostic for an expression or block nested beyond the limit.
pub(super) fn too_deep(file: &str, span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        codes::SYNTAX,
        format!("{what} nested too deeply"),
        file,
        span,
        "too deeply nested",
    )
    .with_note(format!(
        "the parser accepts at most {} levels of nesting (a chain like `a + b + c` counts \
         one level per operator)",
        super::MAX_DEPTH
    ))
    .with_help("split it into smaller pieces, for example with `let` definitions")
}
