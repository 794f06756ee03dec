use super::*;

fn fmt(text: &str) -> String {
    let out = format("t.plant", text).unwrap_or_else(|e| panic!("{e}: {:?}", e.diagnostics));
    let again = format("t.plant", &out).unwrap_or_else(|e| panic!("reformat: {e}"));
    assert_eq!(out, again, "not idempotent");
    out
}

#[test]
fn spacing_and_indentation() {
    let src = "node  Belt{\nparam k:L/rpm/s=0.01   L/min/rpm\n  in speed : rpm\nout flow:L / s=k*speed\n}\n";
    assert_eq!(
        fmt(src),
        "node Belt {\n    param k: L/rpm/s = 0.01 L/min/rpm\n    in speed: rpm\n    out flow: L/s = k * speed\n}\n"
    );
}

#[test]
fn literals_keep_their_meaning() {
    // `2 m*k` is one literal (unit `m*k`); `x / 2 s` divides by a literal.
    let src = "node N {\nparam k: 1 = 1\nlet a = 2   m*k\nlet b = a/2s\nlet c = -x^-2\nlet d = a - -1 m\n}\n";
    assert_eq!(
        fmt(src),
        "node N {\n    param k: 1 = 1\n    let a = 2 m*k\n    let b = a / 2 s\n    let c = -x^-2\n    let d = a - -1 m\n}\n"
    );
}

#[test]
fn comments_are_kept_in_place() {
    let src = "// head   \n\n\n\nnode N { // trailing\n\n  /// doc\n  param a: m = 1 m   /* inline */ // end\n  /* block\n     kept   */\n\n\n}\n// tail\n";
    assert_eq!(
        fmt(src),
        "// head\n\nnode N { // trailing\n    /// doc\n    param a: m = 1 m /* inline */ // end\n    /* block\n     kept   */\n}\n// tail\n"
    );
}

#[test]
fn continuation_lines_and_brackets() {
    let src = "use std::process::{\nValve,\n  Pump,\n}\nplant P {\ninlet = Valve(\nmax_flow: max(\n1 L/s,\n2 L/s\n),\n)\nreward = if inlet.flow > 1 L/s\nthen 1\n        else 0\nwhen inlet.flow > 0 L/s { inlet.opening = 1 }\n}\n";
    assert_eq!(
        fmt(src),
        "use std::process::{\n    Valve,\n    Pump,\n}\nplant P {\n    inlet = Valve(\n        max_flow: max(\n            1 L/s,\n            2 L/s\n        ),\n    )\n    reward = if inlet.flow > 1 L/s\n        then 1\n        else 0\n    when inlet.flow > 0 L/s { inlet.opening = 1 }\n}\n"
    );
}

#[test]
fn blocks_nest() {
    let src = "plant P {\nagent a {\naction on: bool -> p.on\nobserve x[ 0 ] in 0 m..2 m\n}\nfor i in 0..n-1 {\nder h[i+1] = k*(h[i]-h[i+1])\n}\non decide { x = not(y) ; z = 1 }\naction c: choice 2 mask[true,false]\nintegrator rk45 (rtol: 1e-6)\n}\n";
    assert_eq!(
        fmt(src),
        "plant P {\n    agent a {\n        action on: bool -> p.on\n        observe x[0] in 0 m .. 2 m\n    }\n    for i in 0 .. n - 1 {\n        der h[i + 1] = k * (h[i] - h[i + 1])\n    }\n    on decide { x = not (y); z = 1 }\n    action c: choice 2 mask [true, false]\n    integrator rk45(rtol: 1e-6)\n}\n"
    );
}

#[test]
fn units_declarations_and_crlf() {
    let src = "unit psi = 6894.757   Pa\r\nunit rpm = 1 / min\r\nunit x = (m / s) ^ 2\r\n";
    assert_eq!(
        fmt(src),
        "unit psi = 6894.757 Pa\nunit rpm = 1/min\nunit x = (m/s)^2\n"
    );
}

#[test]
fn file_doc_blank_line_is_kept() {
    let src = "/// File doc.\n\n\nnode N {}\n";
    assert_eq!(fmt(src), "/// File doc.\n\nnode N {}\n");
    let src = "/// Node doc.\nnode N {}\n";
    assert_eq!(fmt(src), src);
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n"), "");
    assert_eq!(fmt("  // only\n\n"), "// only\n");
}

#[test]
fn syntax_errors_are_refused() {
    let e = format("bad.plant", "node N { param }\n").unwrap_err();
    assert!(!e.diagnostics.is_empty());
    let msg = e.to_string();
    assert!(msg.contains("cannot format `bad.plant`"), "{msg}");
    assert!(msg.contains("syntax error"), "{msg}");
    assert!(is_formatted("bad.plant", "node {").is_err());
}
