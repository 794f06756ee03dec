use super::grammar::{PlantParser, Rule};
use super::*;
use crate::diagnostics::Severity;
use crate::syntax::ast::*;
use pest::Parser as _;

const SAMPLE: &str = r#"use std::bulk::{Silo, Hopper}
unit rpm = 1/min
/// A belt conveyor.
node Belt {
    param k: L/rpm/s = 0.01 L/min/rpm
    in speed: rpm
    out flow: L/s = k * speed
}
node Tank {
    param area: m^2 = 1.5 m^2
    param h0: m = uniform(0.2 m, 0.8 m)
    in inflow: m^3/s sum
    in outflow: m^3/s = 0 m^3/s
    state h: m = h0
    der h = (inflow - outflow) / area
    out level: m = h
    state x[4]: 1 = 0
    for i in 1 .. 4 { next x[i] = x[i - 1] }
    when h > 2 m { h = 2 m; }
}
plant Line {
    dt 0.1 s
    decide every 1 s
    integrator rk45(rtol: 1e-6, atol: 1e-9)
    belt = Belt()
    tank = Tank(area: 2 m^2)
    bond belt.flow -> tank.inflow
    bond 0.001 m^3/s -> tank.outflow
    action speed: rpm in 0 rpm .. 1800 rpm normalized -> belt.speed
    action dir: choice 3 mask [true, tank.level > 1 m, not (tank.level > 1 m)]
    observe tank.level in 0 m .. 2 m noise normal(0 m, 0.01 m)
    observe rel = tank.level / 2 m
    reward = -abs(tank.level - 1 m) / 1 m
    terminate when tank.level > 2 m or tank.level < 0 m
    truncate after 500 steps
    on decide { tank.h = if speed > 10 rpm then tank.h else 0 m }
    agent a { action on: bool -> x.on  observe tank.level  reward = 1 }
}
"#;

// ---- helpers ---------------------------------------------------------------------------

fn render(src: &str, diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            format!(
                "{} {} {} at {:?} `{}` help={:?}",
                d.severity.as_str(),
                d.code,
                d.message,
                d.primary.span,
                src.get(d.primary.span.range()).unwrap_or("?"),
                d.help
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_ok(src: &str) -> File {
    let p = parse("test.plant", src);
    assert!(
        p.diagnostics.is_empty(),
        "unexpected diagnostics:\n{}",
        render(src, &p.diagnostics)
    );
    p.file
}

fn errors(src: &str) -> Vec<Diagnostic> {
    parse("test.plant", src).diagnostics
}

/// The single diagnostic of `src`.
fn one_error(src: &str) -> Diagnostic {
    let d = errors(src);
    assert_eq!(d.len(), 1, "expected one diagnostic:\n{}", render(src, &d));
    d.into_iter().next().unwrap()
}

fn members(body: &str) -> Vec<Member> {
    let src = format!("node N {{\n{body}\n}}\n");
    let file = parse_ok(&src);
    match file.items.into_iter().next() {
        Some(Item::Node(n)) => n.members,
        other => panic!("not a node: {other:?}"),
    }
}

fn member(body: &str) -> MemberKind {
    let mut m = members(body);
    assert_eq!(m.len(), 1, "{m:#?}");
    m.remove(0).kind
}

/// The expression `src` as an s-expression.
fn ex(src: &str) -> String {
    match member(&format!("let v = {src}")) {
        MemberKind::Let(l) => show(&l.value),
        other => panic!("{other:?}"),
    }
}

fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number { value, unit } => match unit {
            Some(u) => format!("{value}[{}]", unit_str(u)),
            None => format!("{value}"),
        },
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Path(p) => path_str(p),
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Not => "not",
            };
            format!("({op} {})", show(operand))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), show(lhs), show(rhs))
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => format!("(if {} {} {})", show(cond), show(then), show(otherwise)),
        ExprKind::Call { func, args } => format!(
            "{}({})",
            func.name,
            args.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Paren(inner) => format!("[{}]", show(inner)),
    }
}

fn path_str(p: &Path) -> String {
    p.segments
        .iter()
        .map(|s| match &s.index {
            Some(i) => format!("{}<{}>", s.name.name, show(i)),
            None => s.name.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn unit_str(u: &UnitExpr) -> String {
    match &u.kind {
        UnitExprKind::Name(n) => n.clone(),
        UnitExprKind::Number(v) => v.to_string(),
        UnitExprKind::Mul(a, b) => format!("({}*{})", unit_str(a), unit_str(b)),
        UnitExprKind::Div(a, b) => format!("({}/{})", unit_str(a), unit_str(b)),
        UnitExprKind::Pow(a, r) if r.den == 1 => format!("{}^{}", unit_str(a), r.num),
        UnitExprKind::Pow(a, r) => format!("{}^({}/{})", unit_str(a), r.num, r.den),
    }
}

fn ty_str(t: &Ty) -> String {
    match &t.kind {
        TyKind::Bool => "bool".into(),
        TyKind::Int => "int".into(),
        TyKind::Quantity(u) => unit_str(u),
    }
}

fn text(src: &str, span: Span) -> &str {
    &src[span.range()]
}

/// Every span in a file, to check they are in bounds and on char boundaries.
fn all_spans(file: &File) -> Vec<Span> {
    fn e(x: &Expr, out: &mut Vec<Span>) {
        out.push(x.span);
        match &x.kind {
            ExprKind::Number { unit, .. } => {
                if let Some(u) = unit {
                    un(u, out)
                }
            }
            ExprKind::Bool(_) => {}
            ExprKind::Path(p) => pa(p, out),
            ExprKind::Unary { operand, .. } => e(operand, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                e(lhs, out);
                e(rhs, out)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                e(cond, out);
                e(then, out);
                e(otherwise, out)
            }
            ExprKind::Call { func, args } => {
                out.push(func.span);
                args.iter().for_each(|a| e(a, out))
            }
            ExprKind::Paren(i) => e(i, out),
        }
    }
    fn un(u: &UnitExpr, out: &mut Vec<Span>) {
        out.push(u.span);
        match &u.kind {
            UnitExprKind::Mul(a, b) | UnitExprKind::Div(a, b) => {
                un(a, out);
                un(b, out)
            }
            UnitExprKind::Pow(a, _) => un(a, out),
            _ => {}
        }
    }
    fn pa(p: &Path, out: &mut Vec<Span>) {
        out.push(p.span);
        for s in &p.segments {
            out.push(s.name.span);
            if let Some(i) = &s.index {
                e(i, out)
            }
        }
    }
    fn ty(t: &Ty, out: &mut Vec<Span>) {
        out.push(t.span);
        if let TyKind::Quantity(u) = &t.kind {
            un(u, out)
        }
    }
    fn args(a: &[Arg], out: &mut Vec<Span>) {
        for a in a {
            out.push(a.span);
            out.push(a.name.span);
            e(&a.value, out)
        }
    }
    fn bounds(b: &Bounds, out: &mut Vec<Span>) {
        out.push(b.span);
        e(&b.lo, out);
        e(&b.hi, out)
    }
    fn mem(m: &Member, out: &mut Vec<Span>) {
        out.push(m.span);
        if let Some(d) = &m.doc {
            out.push(d.span)
        }
        match &m.kind {
            MemberKind::Param(p) => {
                out.push(p.name.span);
                p.array.iter().for_each(|x| e(x, out));
                p.ty.iter().for_each(|t| ty(t, out));
                p.default.iter().for_each(|x| e(x, out));
                p.bounds.iter().for_each(|b| bounds(b, out));
            }
            MemberKind::Port(p) => {
                out.push(p.name.span);
                p.array.iter().for_each(|x| e(x, out));
                ty(&p.ty, out);
                p.value.iter().for_each(|x| e(x, out));
                out.extend(p.sum);
            }
            MemberKind::State(s) => {
                out.push(s.name.span);
                s.array.iter().for_each(|x| e(x, out));
                ty(&s.ty, out);
                e(&s.init, out)
            }
            MemberKind::Let(l) => {
                out.push(l.name.span);
                l.array.iter().for_each(|x| e(x, out));
                l.ty.iter().for_each(|t| ty(t, out));
                e(&l.value, out)
            }
            MemberKind::Equation(q) => {
                out.push(q.keyword);
                pa(&q.target, out);
                e(&q.value, out)
            }
            MemberKind::Instance(i) => {
                out.push(i.name.span);
                out.push(i.node.span);
                out.push(i.call_span);
                i.array.iter().for_each(|x| e(x, out));
                args(&i.args, out)
            }
            MemberKind::Bond(b) => {
                e(&b.source, out);
                pa(&b.target, out)
            }
            MemberKind::For(f) => {
                out.push(f.var.span);
                e(&f.lo, out);
                e(&f.hi, out);
                f.members.iter().for_each(|m| mem(m, out))
            }
            MemberKind::Dt(x)
            | MemberKind::DecideEvery(x)
            | MemberKind::DecideWhen(x)
            | MemberKind::Reward(x)
            | MemberKind::Terminate(x) => e(x, out),
            MemberKind::Integrator(i) => {
                out.push(i.name.span);
                args(&i.options, out)
            }
            MemberKind::Action(a) => {
                out.push(a.name.span);
                match &a.kind {
                    ActionKind::Continuous {
                        ty: t,
                        bounds: b,
                        normalized,
                    } => {
                        ty(t, out);
                        bounds(b, out);
                        out.extend(*normalized)
                    }
                    ActionKind::Bool(s) => out.push(*s),
                    ActionKind::Choice { count, masks, span } => {
                        out.push(*span);
                        e(count, out);
                        masks.iter().flatten().for_each(|x| e(x, out))
                    }
                }
                a.target.iter().for_each(|p| pa(p, out))
            }
            MemberKind::Observe(o) => {
                o.name.iter().for_each(|n| out.push(n.span));
                e(&o.value, out);
                o.bounds.iter().for_each(|b| bounds(b, out));
                o.noise.iter().for_each(|x| e(x, out))
            }
            MemberKind::Agent(a) => {
                out.push(a.name.span);
                a.members.iter().for_each(|m| mem(m, out))
            }
            MemberKind::Truncate(t) => {
                e(&t.value, out);
                out.extend(t.steps)
            }
            MemberKind::When(w) => {
                e(&w.cond, out);
                for a in &w.body {
                    out.push(a.span);
                    pa(&a.target, out);
                    e(&a.value, out)
                }
            }
            MemberKind::OnDecide(body) => {
                for a in body {
                    out.push(a.span);
                    pa(&a.target, out);
                    e(&a.value, out)
                }
            }
        }
    }
    let mut out = Vec::new();
    for item in &file.items {
        out.push(item.span());
        match item {
            Item::Use(u) => {
                u.module.iter().for_each(|i| out.push(i.span));
                u.names.iter().for_each(|i| out.push(i.span));
            }
            Item::Unit(u) => {
                out.push(u.name.span);
                un(&u.value, &mut out);
                u.doc.iter().for_each(|d| out.push(d.span));
            }
            Item::Node(n) => {
                out.push(n.name.span);
                n.doc.iter().for_each(|d| out.push(d.span));
                n.members.iter().for_each(|m| mem(m, &mut out))
            }
            Item::Plant(p) => {
                out.push(p.name.span);
                p.doc.iter().for_each(|d| out.push(d.span));
                p.members.iter().for_each(|m| mem(m, &mut out))
            }
        }
    }
    out
}

fn check_spans(src: &str, p: &Parsed) {
    let ok = |s: Span| {
        s.start <= s.end
            && (s.end as usize) <= src.len()
            && src.is_char_boundary(s.start as usize)
            && src.is_char_boundary(s.end as usize)
    };
    for s in all_spans(&p.file) {
        assert!(ok(s), "bad AST span {s:?} in {src:?}");
    }
    for d in &p.diagnostics {
        assert!(
            ok(d.primary.span),
            "bad span {:?} in {src:?}",
            d.primary.span
        );
        for l in &d.secondary {
            assert!(ok(l.span), "bad secondary span {:?} in {src:?}", l.span);
        }
    }
}

/// Rule names that must never reach a message.
fn assert_words(d: &Diagnostic) {
    let mut texts = vec![d.message.clone(), d.primary.message.clone()];
    texts.extend(d.help.clone());
    texts.extend(d.notes.clone());
    texts.extend(d.secondary.iter().map(|l| l.message.clone()));
    for t in texts {
        for rule in Rule::all_rules() {
            let name = format!("{rule:?}");
            let technical = name.contains('_') || name.chars().all(|c| c.is_ascii_uppercase());
            if technical {
                assert!(!t.contains(&name), "rule name `{name}` in message: {t}");
            }
        }
        for word in ["Rule", "positives", "expr`", "`ident", "EOI", "SOI", "pest"] {
            assert!(!t.contains(word), "`{word}` in message: {t}");
        }
    }
}

// ---- the sample --------------------------------------------------------------------------

#[test]
fn sample_parses_without_diagnostics() {
    let file = parse_ok(SAMPLE);
    let kinds: Vec<String> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Use(_) => "use".to_string(),
            Item::Unit(u) => format!("unit {}", u.name.name),
            Item::Node(n) => format!("node {} {}", n.name.name, n.members.len()),
            Item::Plant(p) => format!("plant {} {}", p.name.name, p.members.len()),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "use",
            "unit rpm",
            "node Belt 3",
            "node Tank 10",
            "plant Line 16"
        ]
    );
    let p = parse("test.plant", SAMPLE);
    check_spans(SAMPLE, &p);
}

#[test]
fn sample_matches_whole_file_rule() {
    // The `file` rule describes the whole language in one piece.
    let with_comments = format!("// A comment.\n{SAMPLE}/* the end */\n");
    let text = scan::blank_comments(&with_comments);
    let pairs = PlantParser::parse(Rule::file, &text);
    assert!(pairs.is_ok(), "{pairs:?}");
}

#[test]
fn sample_member_spans_cover_their_text() {
    let file = parse_ok(SAMPLE);
    let Item::Plant(plant) = &file.items[4] else {
        panic!()
    };
    let texts: Vec<&str> = plant.members.iter().map(|m| text(SAMPLE, m.span)).collect();
    assert_eq!(texts[0], "dt 0.1 s");
    assert_eq!(texts[2], "integrator rk45(rtol: 1e-6, atol: 1e-9)");
    assert_eq!(texts[4], "tank = Tank(area: 2 m^2)");
    assert_eq!(texts[13], "truncate after 500 steps");
    assert_eq!(
        texts[14],
        "on decide { tank.h = if speed > 10 rpm then tank.h else 0 m }"
    );
    assert_eq!(
        texts[15],
        "agent a { action on: bool -> x.on  observe tank.level  reward = 1 }"
    );
    let Item::Node(tank) = &file.items[3] else {
        panic!()
    };
    assert_eq!(
        text(SAMPLE, tank.members[8].span),
        "for i in 1 .. 4 { next x[i] = x[i - 1] }"
    );
    assert_eq!(
        text(SAMPLE, tank.members[9].span),
        "when h > 2 m { h = 2 m; }"
    );
    assert_eq!(text(SAMPLE, file.items[1].span()), "unit rpm = 1/min");
    assert_eq!(
        text(SAMPLE, file.items[0].span()),
        "use std::bulk::{Silo, Hopper}"
    );
    assert!(text(SAMPLE, tank.span).starts_with("node Tank {"));
    assert!(text(SAMPLE, tank.span).ends_with("h = 2 m; }\n}"));
}

// ---- items -----------------------------------------------------------------------------

#[test]
fn use_forms() {
    let file = parse_ok("use std::bulk::{Silo, Hopper,}\nuse lib::tanks::Tank\nuse tanks::*\n");
    let uses: Vec<&UseDecl> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Use(u) => u,
            _ => panic!(),
        })
        .collect();
    assert_eq!(uses[0].module_path(), "std::bulk");
    assert_eq!(
        uses[0]
            .names
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        ["Silo", "Hopper"]
    );
    assert!(!uses[0].glob);
    assert_eq!(uses[1].module_path(), "lib::tanks");
    assert_eq!(uses[1].names[0].name, "Tank");
    assert_eq!(uses[2].module_path(), "tanks");
    assert!(uses[2].glob && uses[2].names.is_empty());
}

#[test]
fn unit_declarations() {
    let src = "unit rpm = 1/min\nunit psi = 6894.757 Pa\nunit dozen = 12\nunit tonne = 1000 kg\nunit µrpm = 1e-6 rpm\nunit flux = 2 kg*m/s^2\n";
    let file = parse_ok(src);
    let vals: Vec<String> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Unit(u) => format!("{}={}", u.name.name, unit_str(&u.value)),
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        vals,
        [
            "rpm=(1/min)",
            "psi=(6894.757*Pa)",
            "dozen=12",
            "tonne=(1000*kg)",
            "µrpm=(0.000001*rpm)",
            "flux=(2*((kg*m)/s^2))"
        ]
    );
}

#[test]
fn type_position_units() {
    let cases = [
        ("m^3/s", "(m^3/s)"),
        ("1/s", "(1/s)"),
        ("L/rpm/s", "((L/rpm)/s)"),
        ("kg*m/s^2", "((kg*m)/s^2)"),
        ("m^(1/2)", "m^(1/2)"),
        ("m^(-1)", "m^-1"),
        ("s^-1", "s^-1"),
        ("1", "1"),
        ("%", "%"),
        ("µm", "µm"),
        ("°C", "°C"),
        ("kΩ", "kΩ"),
        ("(m/s)^2", "(m/s)^2"),
        ("m ^ 2 / s", "(m^2/s)"),
        ("bool", "bool"),
        ("int", "int"),
    ];
    for (written, expected) in cases {
        match member(&format!("param p: {written}")) {
            MemberKind::Param(p) => assert_eq!(ty_str(p.ty.as_ref().unwrap()), expected),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn rational_exponent_sign_is_normalized() {
    match member("param p: m^(1/-2)") {
        MemberKind::Param(p) => assert_eq!(ty_str(&p.ty.unwrap()), "m^(-1/2)"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn node_and_plant_docs() {
    let src = "/// A tank.\n///   Holds water.\n///\n///no space\nnode Tank {}\n// plain\n/// The plant.\nplant P {}\n";
    let file = parse_ok(src);
    let Item::Node(n) = &file.items[0] else {
        panic!()
    };
    let doc = n.doc.as_ref().unwrap();
    assert_eq!(doc.text, "A tank.\n  Holds water.\n\nno space");
    assert_eq!(
        text(src, doc.span),
        "/// A tank.\n///   Holds water.\n///\n///no space"
    );
    let Item::Plant(p) = &file.items[1] else {
        panic!()
    };
    assert_eq!(p.doc.as_ref().unwrap().text, "The plant.");
}

#[test]
fn four_slashes_is_a_plain_comment() {
    let file = parse_ok("//// not a doc\nnode A {}\n");
    let Item::Node(n) = &file.items[0] else {
        panic!()
    };
    assert!(n.doc.is_none());
}

#[test]
fn crlf_line_endings() {
    let src = SAMPLE.replace('\n', "\r\n");
    let p = parse("test.plant", &src);
    assert!(p.diagnostics.is_empty(), "{}", render(&src, &p.diagnostics));
    let Item::Node(n) = &p.file.items[2] else {
        panic!()
    };
    assert_eq!(n.doc.as_ref().unwrap().text, "A belt conveyor.");
}

// ---- members -----------------------------------------------------------------------------

#[test]
fn param_forms() {
    match member("param k: L/rpm/s = 0.01 L/min/rpm in 0 L/min/rpm .. 1 L/min/rpm") {
        MemberKind::Param(p) => {
            assert_eq!(p.name.name, "k");
            assert_eq!(ty_str(p.ty.as_ref().unwrap()), "((L/rpm)/s)");
            assert_eq!(show(p.default.as_ref().unwrap()), "0.01[((L/min)/rpm)]");
            let b = p.bounds.unwrap();
            assert_eq!(show(&b.lo), "0[((L/min)/rpm)]");
            assert_eq!(show(&b.hi), "1[((L/min)/rpm)]");
        }
        other => panic!("{other:?}"),
    }
    match member("param n") {
        MemberKind::Param(p) => {
            assert!(p.ty.is_none() && p.default.is_none() && p.bounds.is_none());
        }
        other => panic!("{other:?}"),
    }
    match member("param c = 10 in 1 .. 100") {
        MemberKind::Param(p) => {
            assert!(p.ty.is_none());
            assert_eq!(show(&p.default.unwrap()), "10");
            assert!(p.bounds.is_some());
        }
        other => panic!("{other:?}"),
    }
    match member("param w[3]: kg = 1 kg") {
        MemberKind::Param(p) => assert_eq!(show(&p.array.unwrap()), "3"),
        other => panic!("{other:?}"),
    }
    // Bounds may go on the next line.
    match member("param c: 1 = 10\n    in 1 .. 100") {
        MemberKind::Param(p) => assert!(p.bounds.is_some()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn port_forms() {
    let ms = members(
        "in speed: rpm\nin inflow: m^3/s sum\nin outflow: m^3/s = 0 m^3/s\nin q[2]: L/s\nout flow: L/s = k * speed",
    );
    let ports: Vec<&PortDecl> = ms
        .iter()
        .map(|m| match &m.kind {
            MemberKind::Port(p) => p,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ports[0].dir, PortDir::In);
    assert!(ports[0].value.is_none() && ports[0].sum.is_none());
    assert!(ports[1].sum.is_some());
    assert_eq!(show(ports[2].value.as_ref().unwrap()), "0[(m^3/s)]");
    assert_eq!(show(ports[3].array.as_ref().unwrap()), "2");
    assert_eq!(ports[4].dir, PortDir::Out);
    assert_eq!(show(ports[4].value.as_ref().unwrap()), "(* k speed)");
}

#[test]
fn state_let_and_equations() {
    let ms = members(
        "state h: m = h0\nstate x[4]: 1 = 0\nlet a: m^2 = w * w\nlet b = 2\nder h = (inflow - outflow) / area\nnext x[i] = x[i - 1]\nder tray[i + 1].x = 0 m/s",
    );
    match &ms[0].kind {
        MemberKind::State(s) => {
            assert_eq!(s.name.name, "h");
            assert_eq!(ty_str(&s.ty), "m");
            assert_eq!(show(&s.init), "h0");
        }
        other => panic!("{other:?}"),
    }
    match &ms[1].kind {
        MemberKind::State(s) => assert_eq!(show(s.array.as_ref().unwrap()), "4"),
        other => panic!("{other:?}"),
    }
    match &ms[2].kind {
        MemberKind::Let(l) => {
            assert_eq!(ty_str(l.ty.as_ref().unwrap()), "m^2");
            assert_eq!(show(&l.value), "(* w w)");
        }
        other => panic!("{other:?}"),
    }
    match &ms[3].kind {
        MemberKind::Let(l) => assert!(l.ty.is_none()),
        other => panic!("{other:?}"),
    }
    match &ms[4].kind {
        MemberKind::Equation(q) => {
            assert_eq!(q.kind, EquationKind::Der);
            assert_eq!(q.target.dotted(), "h");
            assert_eq!(show(&q.value), "(/ [(- inflow outflow)] area)");
        }
        other => panic!("{other:?}"),
    }
    match &ms[5].kind {
        MemberKind::Equation(q) => {
            assert_eq!(q.kind, EquationKind::Next);
            assert_eq!(path_str(&q.target), "x<i>");
            assert_eq!(show(&q.value), "x<(- i 1)>");
        }
        other => panic!("{other:?}"),
    }
    match &ms[6].kind {
        MemberKind::Equation(q) => {
            assert_eq!(path_str(&q.target), "tray<(+ i 1)>.x");
            assert_eq!(q.target.dotted(), "tray.x");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn instances() {
    let ms = members(
        "belt = Belt()\ntank = Tank(area: 2 m^2, h0: 1 m,)\ntray[32] = Tray(\n    n: 3,\n)",
    );
    match &ms[0].kind {
        MemberKind::Instance(i) => {
            assert_eq!(
                (i.name.name.as_str(), i.node.name.as_str()),
                ("belt", "Belt")
            );
            assert!(i.args.is_empty() && i.array.is_none());
        }
        other => panic!("{other:?}"),
    }
    match &ms[1].kind {
        MemberKind::Instance(i) => {
            let args: Vec<String> = i
                .args
                .iter()
                .map(|a| format!("{}={}", a.name.name, show(&a.value)))
                .collect();
            assert_eq!(args, ["area=2[m^2]", "h0=1[m]"]);
        }
        other => panic!("{other:?}"),
    }
    match &ms[2].kind {
        MemberKind::Instance(i) => {
            assert_eq!(show(i.array.as_ref().unwrap()), "32");
            assert_eq!(i.args.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn instance_call_span() {
    let src = "plant P {\n    tank = Tank(area: 2 m^2)\n}\n";
    let file = parse_ok(src);
    let Item::Plant(p) = &file.items[0] else {
        panic!()
    };
    let MemberKind::Instance(i) = &p.members[0].kind else {
        panic!()
    };
    assert_eq!(text(src, i.call_span), "Tank(area: 2 m^2)");
    assert_eq!(text(src, i.args[0].span), "area: 2 m^2");
}

#[test]
fn bonds() {
    let ms =
        members("bond belt.flow -> tank.inflow\nbond 0.001 m^3/s -> tank.outflow\nbond -x -> y[2]");
    let b: Vec<String> = ms
        .iter()
        .map(|m| match &m.kind {
            MemberKind::Bond(b) => format!("{} -> {}", show(&b.source), path_str(&b.target)),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        b,
        [
            "belt.flow -> tank.inflow",
            "0.001[(m^3/s)] -> tank.outflow",
            "(neg x) -> y<2>"
        ]
    );
}

#[test]
fn for_blocks() {
    match member(
        "for i in 0 .. n - 1 {\n    next x[i] = x[i + 1]\n    for j in 0..2 { let y = j }\n}",
    ) {
        MemberKind::For(f) => {
            assert_eq!(f.var.name, "i");
            assert_eq!(show(&f.lo), "0");
            assert_eq!(show(&f.hi), "(- n 1)");
            assert_eq!(f.members.len(), 2);
            match &f.members[1].kind {
                MemberKind::For(inner) => {
                    assert_eq!((show(&inner.lo), show(&inner.hi)), ("0".into(), "2".into()));
                    assert_eq!(inner.members.len(), 1);
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn plant_settings() {
    let ms = members(
        "dt 0.1 s\ndecide every 1 s\ndecide when worker.idle\nintegrator rk4\nintegrator rk45(rtol: 1e-6, atol: 1e-9)\nreward = 1\nterminate when a > 2 m or b\ntruncate after 500 steps\ntruncate after 300 s",
    );
    let got: Vec<String> = ms
        .iter()
        .map(|m| match &m.kind {
            MemberKind::Dt(e) => format!("dt {}", show(e)),
            MemberKind::DecideEvery(e) => format!("every {}", show(e)),
            MemberKind::DecideWhen(e) => format!("when {}", show(e)),
            MemberKind::Integrator(i) => format!(
                "integrator {} {}",
                i.name.name,
                i.options
                    .iter()
                    .map(|a| format!("{}={}", a.name.name, show(&a.value)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            MemberKind::Reward(e) => format!("reward {}", show(e)),
            MemberKind::Terminate(e) => format!("terminate {}", show(e)),
            MemberKind::Truncate(t) => {
                format!("truncate {} steps={}", show(&t.value), t.steps.is_some())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            "dt 0.1[s]",
            "every 1[s]",
            "when worker.idle",
            "integrator rk4 ",
            "integrator rk45 rtol=0.000001,atol=0.000000001",
            "reward 1",
            "terminate (or (> a 2[m]) b)",
            "truncate 500 steps=true",
            "truncate 300[s] steps=false",
        ]
    );
}

#[test]
fn actions() {
    let ms = members(
        "action speed: rpm in 0 rpm .. 1800 rpm normalized -> belt.speed\naction s2: rpm in 0 rpm .. 10 rpm\naction on: bool -> pump.on\naction dir: choice 3 mask [true, tank.level > 1 m, not (tank.level > 1 m)]\naction d2: choice 2 -> x.dir\naction n: int in 0 .. 5",
    );
    match &ms[0].kind {
        MemberKind::Action(a) => {
            assert_eq!(a.name.name, "speed");
            assert_eq!(a.target.as_ref().unwrap().dotted(), "belt.speed");
            match &a.kind {
                ActionKind::Continuous {
                    ty,
                    bounds,
                    normalized,
                } => {
                    assert_eq!(ty_str(ty), "rpm");
                    assert_eq!(show(&bounds.hi), "1800[rpm]");
                    assert!(normalized.is_some());
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    match &ms[1].kind {
        MemberKind::Action(a) => {
            assert!(a.target.is_none());
            assert!(matches!(
                a.kind,
                ActionKind::Continuous {
                    normalized: None,
                    ..
                }
            ));
        }
        other => panic!("{other:?}"),
    }
    match &ms[2].kind {
        MemberKind::Action(a) => {
            assert_eq!(a.name.name, "on");
            assert!(matches!(a.kind, ActionKind::Bool(_)));
            assert_eq!(path_str(a.target.as_ref().unwrap()), "pump.on");
        }
        other => panic!("{other:?}"),
    }
    match &ms[3].kind {
        MemberKind::Action(a) => match &a.kind {
            ActionKind::Choice { count, masks, .. } => {
                assert_eq!(show(count), "3");
                let masks: Vec<String> = masks.as_ref().unwrap().iter().map(show).collect();
                assert_eq!(
                    masks,
                    ["true", "(> tank.level 1[m])", "(not [(> tank.level 1[m])])"]
                );
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    match &ms[4].kind {
        MemberKind::Action(a) => {
            assert!(matches!(a.kind, ActionKind::Choice { masks: None, .. }));
            assert!(a.target.is_some());
        }
        other => panic!("{other:?}"),
    }
    match &ms[5].kind {
        MemberKind::Action(a) => match &a.kind {
            ActionKind::Continuous { ty, .. } => assert_eq!(ty_str(ty), "int"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn observations() {
    let ms = members(
        "observe tank.level in 0 m .. 2 m noise normal(0 m, 0.01 m)\nobserve rel = tank.level / 2 m\nobserve x\nobserve y noise normal(0, 1)",
    );
    let o: Vec<&ObserveDecl> = ms
        .iter()
        .map(|m| match &m.kind {
            MemberKind::Observe(o) => o,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(o[0].name.is_none());
    assert_eq!(show(&o[0].value), "tank.level");
    assert!(o[0].bounds.is_some());
    assert_eq!(show(o[0].noise.as_ref().unwrap()), "normal(0[m], 0.01[m])");
    assert_eq!(o[1].name.as_ref().unwrap().name, "rel");
    assert_eq!(show(&o[1].value), "(/ tank.level 2[m])");
    assert!(o[2].bounds.is_none() && o[2].noise.is_none());
    assert!(o[3].bounds.is_none() && o[3].noise.is_some());
}

#[test]
fn agents() {
    match member("agent a { action on: bool -> x.on  observe tank.level  reward = 1 }") {
        MemberKind::Agent(a) => {
            assert_eq!(a.name.name, "a");
            assert_eq!(a.members.len(), 3);
            assert!(matches!(a.members[2].kind, MemberKind::Reward(_)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn event_blocks() {
    let ms = members(
        "when h > 2 m { h = 2 m; }\nwhen done {\n    tank.h = 0 m\n    x[1] = 2; y = 3\n}\non decide { tank.h = if speed > 10 rpm then tank.h else 0 m }\non decide {}",
    );
    match &ms[0].kind {
        MemberKind::When(w) => {
            assert_eq!(show(&w.cond), "(> h 2[m])");
            assert_eq!(w.body.len(), 1);
            assert_eq!(show(&w.body[0].value), "2[m]");
        }
        other => panic!("{other:?}"),
    }
    match &ms[1].kind {
        MemberKind::When(w) => {
            let body: Vec<String> = w
                .body
                .iter()
                .map(|a| format!("{}={}", path_str(&a.target), show(&a.value)))
                .collect();
            assert_eq!(body, ["tank.h=0[m]", "x<1>=2", "y=3"]);
        }
        other => panic!("{other:?}"),
    }
    match &ms[2].kind {
        MemberKind::OnDecide(body) => {
            assert_eq!(show(&body[0].value), "(if (> speed 10[rpm]) tank.h 0[m])");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&ms[3].kind, MemberKind::OnDecide(b) if b.is_empty()));
}

#[test]
fn on_is_a_contextual_keyword() {
    let ms = members("on = Switch()\non decide { on.level = 1 }\nlet y = on.level");
    assert!(matches!(&ms[0].kind, MemberKind::Instance(i) if i.name.name == "on"));
    assert!(matches!(&ms[1].kind, MemberKind::OnDecide(_)));
    assert!(matches!(&ms[2].kind, MemberKind::Let(l) if show(&l.value) == "on.level"));
}

#[test]
fn separators_and_same_line_members() {
    let ms = members("param a = 1; param b = 2;; state c: m = 0 m  der c = 0 m/s");
    assert_eq!(ms.len(), 4);
}

#[test]
fn member_docs() {
    let src = "node N {\n    /// The area.\n    /// In m^2.\n    param area: m^2 = 1 m^2\n    // plain\n    state h: m = 0 m\n    agent a {\n        /// Obs.\n        observe h\n    }\n}\n";
    let file = parse_ok(src);
    let Item::Node(n) = &file.items[0] else {
        panic!()
    };
    assert_eq!(
        n.members[0].doc.as_ref().unwrap().text,
        "The area.\nIn m^2."
    );
    assert!(n.members[1].doc.is_none());
    let MemberKind::Agent(a) = &n.members[2].kind else {
        panic!()
    };
    assert_eq!(a.members[0].doc.as_ref().unwrap().text, "Obs.");
    // The member's span starts at its keyword; the doc has its own span.
    assert_eq!(text(src, n.members[0].span), "param area: m^2 = 1 m^2");
}

// ---- expressions -------------------------------------------------------------------------

#[test]
fn precedence() {
    let cases = [
        ("-x^2", "(neg (^ x 2))"),
        ("a + b * c", "(+ a (* b c))"),
        ("a * b + c", "(+ (* a b) c)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b / c", "(/ (/ a b) c)"),
        ("2^3^4", "(^ 2 (^ 3 4))"),
        ("x^-2", "(^ x (neg 2))"),
        ("-a * b", "(* (neg a) b)"),
        ("a * -b", "(* a (neg b))"),
        ("a - -b", "(- a (neg b))"),
        ("a < b + c", "(< a (+ b c))"),
        ("not a and b", "(and (not a) b)"),
        ("not a == b", "(not (== a b))"),
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c", "(or (and a b) c)"),
        ("a >= b and c != d", "(and (>= a b) (!= c d))"),
        ("not not a", "(not (not a))"),
        ("(a + b) * c", "(* [(+ a b)] c)"),
        ("if c then a else b + 1", "(if c a (+ b 1))"),
        ("1 + if c then a else b", "(+ 1 (if c a b))"),
        ("if a then if b then 1 else 2 else 3", "(if a (if b 1 2) 3)"),
        (
            "if a > 1 then 1 else if a > 0 then 2 else 3",
            "(if (> a 1) 1 (if (> a 0) 2 3))",
        ),
        ("true or false", "(or true false)"),
        ("max(a, min(b, c),)", "max(a, min(b, c))"),
        ("f()", "f()"),
        ("tray[i + 1].x", "tray<(+ i 1)>.x"),
        ("a.b.c", "a.b.c"),
        ("x[i][j]", "__error__"),
    ];
    for (src, expected) in cases {
        if expected == "__error__" {
            assert!(
                !errors(&format!("node N {{ let v = {src} }}")).is_empty(),
                "{src}"
            );
            continue;
        }
        assert_eq!(ex(src), expected, "{src}");
    }
}

#[test]
fn literal_units() {
    let cases = [
        ("x / 2 s", "(/ x 2[s])"),
        ("2 m * x", "(* 2[m] x)"),
        ("9.81 m/s^2", "9.81[(m/s^2)]"),
        ("17.42 L", "17.42[L]"),
        ("0.01 L/min/rpm", "0.01[((L/min)/rpm)]"),
        ("2 m^2", "2[m^2]"),
        ("5 s^-1", "5[s^-1]"),
        ("50 %", "50[%]"),
        ("50%", "50[%]"),
        ("1 kg*m/s^2", "1[((kg*m)/s^2)]"),
        ("3 µs", "3[µs]"),
        ("20 °C", "20[°C]"),
        ("1e-6", "0.000001"),
        ("2.5E3 m", "2500[m]"),
        ("2 m / 1 s", "(/ 2[m] 1[s])"),
        ("2^2", "(^ 2 2)"),
        ("2 m ^ 2", "(^ 2[m] 2)"),
        ("1 m+2 m", "(+ 1[m] 2[m])"),
        ("-1 m", "(neg 1[m])"),
        ("2\t m", "2[m]"),
        ("0", "0"),
    ];
    for (src, expected) in cases {
        assert_eq!(ex(src), expected, "{src}");
    }
}

#[test]
fn literal_unit_not_taken_from_keywords_or_next_line() {
    assert_eq!(ex("if x > 1 then 2 else 3"), "(if (> x 1) 2 3)");
    match member("truncate after 500 steps") {
        MemberKind::Truncate(t) => {
            assert_eq!(show(&t.value), "500");
            assert!(t.steps.is_some());
        }
        other => panic!("{other:?}"),
    }
    // The unit must be on the same line: here `m` starts the next member.
    let ms = members("let a = 2\nm = Meter()");
    assert_eq!(ms.len(), 2);
    match &ms[0].kind {
        MemberKind::Let(l) => assert_eq!(show(&l.value), "2"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ranges_with_dots() {
    match member("for i in 0..32 { }") {
        MemberKind::For(f) => assert_eq!((show(&f.lo), show(&f.hi)), ("0".into(), "32".into())),
        other => panic!("{other:?}"),
    }
    match member("param p = 1 in 0..1.5") {
        MemberKind::Param(p) => assert_eq!(show(&p.bounds.unwrap().hi), "1.5"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn expression_spans() {
    let src = "node N {\n    let v = -abs(tank.level - 1 m) / 1 m\n}\n";
    let file = parse_ok(src);
    let Item::Node(n) = &file.items[0] else {
        panic!()
    };
    let MemberKind::Let(l) = &n.members[0].kind else {
        panic!()
    };
    assert_eq!(text(src, l.value.span), "-abs(tank.level - 1 m) / 1 m");
    let ExprKind::Binary { lhs, rhs, .. } = &l.value.kind else {
        panic!()
    };
    assert_eq!(text(src, lhs.span), "-abs(tank.level - 1 m)");
    assert_eq!(text(src, rhs.span), "1 m");
    let ExprKind::Number { unit: Some(u), .. } = &rhs.kind else {
        panic!()
    };
    assert_eq!(text(src, u.span), "m");
    let ExprKind::Unary { operand, .. } = &lhs.kind else {
        panic!()
    };
    let ExprKind::Call { args, .. } = &operand.kind else {
        panic!()
    };
    assert_eq!(text(src, args[0].span), "tank.level - 1 m");
}

#[test]
fn comments_inside_members() {
    let ms = members(
        "param a: m /* unit */ = 1 m // trailing\nstate b: m = /* start */ 2 m\nout c: m = a +\n    // more\n    b",
    );
    assert_eq!(ms.len(), 3);
    match &ms[2].kind {
        MemberKind::Port(p) => assert_eq!(show(p.value.as_ref().unwrap()), "(+ a b)"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn multi_line_expressions() {
    let ms = members(
        "terminate when a > 1 m or\n    tank.level < 0 m\nlet t = x[0]\n    + x[1]\nreward = -abs(\n    a\n)",
    );
    assert_eq!(ms.len(), 3);
    match &ms[0].kind {
        MemberKind::Terminate(e) => assert_eq!(show(e), "(or (> a 1[m]) (< tank.level 0[m]))"),
        other => panic!("{other:?}"),
    }
    match &ms[1].kind {
        MemberKind::Let(l) => assert_eq!(show(&l.value), "(+ x<0> x<1>)"),
        other => panic!("{other:?}"),
    }
}

// ---- numbers -----------------------------------------------------------------------------

#[test]
fn non_finite_number() {
    let d = one_error("node N { param x = 1e999 }");
    assert_eq!(d.code, codes::BAD_NUMBER);
    assert_eq!(d.primary.span, Span::new(19, 24));
    let d = one_error("unit big = 1e400 m");
    assert_eq!(d.code, codes::BAD_NUMBER);
    let d = one_error("node N { param x: 1e999 }");
    assert_eq!(d.code, codes::BAD_NUMBER);
}

#[test]
fn zero_exponent_denominator() {
    let src = "node N { param k: m^(1/0) = 1 m }";
    let d = one_error(src);
    assert_eq!(d.code, codes::BAD_EXPONENT);
    assert_eq!(text(src, d.primary.span), "(1/0)");
    let d = one_error("node N { param k = 1 m^(2/0) }");
    assert_eq!(d.code, codes::BAD_EXPONENT);
    let d = one_error("node N { param k: m^99999999999999999999 }");
    assert_eq!(d.code, codes::BAD_EXPONENT);
}

// ---- diagnostics ---------------------------------------------------------------------------

#[test]
fn message_missing_unit() {
    let src = "node Tank {\n    param area: = 2 m^2\n}\n";
    let d = one_error(src);
    assert_eq!(d.code, codes::SYNTAX);
    assert_eq!(d.message, "expected a unit, like `m/s`, found `=`");
    assert_eq!(text(src, d.primary.span), "=");
}

#[test]
fn message_missing_expression() {
    let d = one_error("node N {\n    out y: m =\n}\n");
    assert_eq!(d.message, "expected an expression, found `}`");
    let d = one_error("node N { der x = 1 + }");
    assert_eq!(d.message, "expected an expression, found `}`");
}

#[test]
fn message_missing_name() {
    let d = one_error("node N { param : m }");
    assert_eq!(d.message, "expected a name, found `:`");
    let d = one_error("node { }");
    assert_eq!(d.message, "expected a name, found `{`");
}

#[test]
fn message_missing_close_brace() {
    let d = one_error("use a::{B, C\nnode N {}");
    assert_eq!(d.message, "expected `,` or `}`, found `node`");
}

#[test]
fn message_member_expected() {
    let d = one_error("node N {\n    42\n}\n");
    assert_eq!(
        d.message,
        "expected a member such as `param`, `state`, `der`, an instance `name = Node()`, or `}`, found `42`"
    );
    let d = one_error("node N { then }");
    assert!(
        d.message.starts_with("expected a member such as"),
        "{}",
        d.message
    );
}

#[test]
fn message_alternatives() {
    let d = one_error("node N { param x m }");
    assert_eq!(
        d.message,
        "expected `:`, `=`, `in` or the end of the member, found `m`"
    );
    let d = one_error("node N { for i (0 .. 3) { } }");
    assert_eq!(d.message, "expected `in`, found `(`");
    let d = one_error("plant P { decide x }");
    assert_eq!(d.message, "expected `every` or `when`, found `x`");
    let d = one_error("plant P { bond a b }");
    assert_eq!(d.message, "expected `->`, found `b`");
    let d = one_error("plant P { reward = a b }");
    assert_eq!(
        d.message,
        "expected an operator or the end of the member, found `b`"
    );
    let d = one_error("plant P { action s: rpm in 0 rpm 10 rpm }");
    assert_eq!(d.message, "expected `..`, found `10`");
    let d = one_error("plant P { tank = Tank }");
    assert_eq!(d.message, "expected `(`, found `}`");
    let d = one_error("node N { reward = f(a, }");
    assert_eq!(d.message, "expected `)` or an expression, found `}`");
    let d = one_error("garbage\n");
    assert_eq!(
        d.message,
        "expected an item: `use`, `unit`, `node` or `plant`, found `garbage`"
    );
    let d = one_error("node N { when x { state y: m = 0 m } }");
    assert!(
        d.message.starts_with("expected an assignment"),
        "{}",
        d.message
    );
    assert!(d.help.unwrap().contains("is a `}` missing?"));
}

#[test]
fn message_found_end_of_file() {
    let d = one_error("use a::");
    assert_eq!(d.message, "expected `{`, `*` or a name, found end of file");
    assert_eq!(d.primary.span, Span::new(7, 7));
}

#[test]
fn help_unit_on_next_line() {
    let src = "node N {\n    param g: m/s^2 = 9.81\n        m/s^2\n}\n";
    let d = one_error(src);
    assert_eq!(text(src, d.primary.span), "m");
    assert!(d.help.unwrap().contains("same line"));
}

#[test]
fn help_assignment_versus_comparison() {
    let d = one_error("plant P { terminate when x = 2 m }");
    assert_eq!(d.help.as_deref(), Some("to compare two values, write `==`"));
    let d = one_error("node N { when h = 2 m { h = 0 m } }");
    assert_eq!(d.help.as_deref(), Some("to compare two values, write `==`"));
    let d = one_error("plant P { reward == 1 }");
    assert_eq!(d.message, "expected `=`, found `==`");
    assert!(d.help.is_some());
}

#[test]
fn help_missing_colon() {
    let d = one_error("node N { in inflow m^3/s }");
    assert_eq!(d.message, "expected `:`, found `m`");
    assert!(d.help.unwrap().contains("`:`"));
}

#[test]
fn chained_comparisons_are_errors() {
    let src = "plant P { terminate when a < b < c }";
    let d = one_error(src);
    assert_eq!(d.code, codes::SYNTAX);
    assert_eq!(text(src, d.primary.span), "<");
    assert_eq!(d.primary.span.start, 31);
    assert!(d.help.unwrap().contains("and"));
    parse_ok("plant P { terminate when (a < b) == c }");
}

#[test]
fn reserved_words_are_not_names() {
    let src = "node N { param in: m }";
    let d = one_error(src);
    assert_eq!(d.message, "expected a name, found `in`");
    assert_eq!(text(src, d.primary.span), "in");
    assert!(d.help.unwrap().contains("reserved"));
    let d = one_error("node N { let x = 1 + steps }");
    assert!(d.message.contains("`steps`"), "{}", d.message);
    let d = one_error("node N { param p: sum = 1 }");
    assert!(d.message.starts_with("expected a unit"), "{}", d.message);
    let d = one_error("node then { }");
    assert_eq!(d.message, "expected a name, found `then`");
}

#[test]
fn messages_never_name_grammar_rules() {
    let bad = [
        "node",
        "node A",
        "node A {",
        "node A { param",
        "node A { param x:",
        "node A { param x: m =",
        "node A { param x: m = 1 in",
        "node A { param x: m = 1 in 0 ..",
        "node A { in }",
        "node A { in x }",
        "node A { out x: m }",
        "node A { state }",
        "node A { let = 2 }",
        "node A { der = 2 }",
        "node A { der x 2 }",
        "node A { next x[ = 2 }",
        "node A { t = T(a: ) }",
        "node A { t = T(a 1) }",
        "node A { t[ = T() }",
        "node A { bond -> x }",
        "node A { bond 1 -> }",
        "node A { for }",
        "node A { for i in 0 { } }",
        "node A { for i in 0 .. 2 }",
        "node A { dt }",
        "node A { decide }",
        "node A { decide every }",
        "node A { integrator }",
        "node A { integrator rk4(",
        "node A { action }",
        "node A { action a }",
        "node A { action a: }",
        "node A { action a: choice }",
        "node A { action a: choice 2 mask }",
        "node A { action a: choice 2 mask [ }",
        "node A { action a: bool -> }",
        "node A { observe }",
        "node A { observe x in }",
        "node A { observe x noise }",
        "node A { reward }",
        "node A { reward = }",
        "node A { agent }",
        "node A { agent a }",
        "node A { terminate }",
        "node A { terminate when }",
        "node A { truncate }",
        "node A { truncate after }",
        "node A { when }",
        "node A { when x }",
        "node A { when x { a } }",
        "node A { when x { a = } }",
        "node A { on }",
        "node A { on decide }",
        "node A { on decide { = } }",
        "node A { let x = (1 }",
        "node A { let x = 1) }",
        "node A { let x = [1] }",
        "node A { let x = 1 ^ }",
        "node A { let x = not }",
        "node A { let x = if }",
        "node A { let x = if a }",
        "node A { let x = if a then }",
        "node A { let x = if a then b }",
        "node A { let x = if a then b else }",
        "node A { let x = a.b. }",
        "node A { let x = 1 m^ }",
        "node A { param x: m^ }",
        "node A { param x: m^(1/ }",
        "node A { param x: (m }",
        "node A { param x: m/ }",
        "node A { x }",
        "node A { x. }",
        "node A { 1 }",
        "node A { ; ] }",
        "use",
        "use a",
        "use a::",
        "use a::{",
        "use a::{b",
        "use a::{b,",
        "use a::b c",
        "unit",
        "unit x",
        "unit x =",
        "unit x = m m",
        "unit x = (m",
        "plant",
        "plant P",
        "plant P {",
        "}",
        "{",
        "=",
        "é",
        "µ",
        "node A { param x: m = 1 € }",
        "node A { param x = \"s\" }",
        "node A { param x = 'c' }",
        "node A { param x = `c` }",
    ];
    for src in bad {
        let p = parse("test.plant", src);
        assert!(
            p.diagnostics.iter().any(|d| d.is_error()),
            "no error for {src:?}"
        );
        for d in &p.diagnostics {
            assert_words(d);
            assert!(!d.message.is_empty());
        }
        check_spans(src, &p);
    }
}

#[test]
fn primary_label_is_the_found_token() {
    let src = "node A {\n    param x: m = 1 m foo\n}\n";
    let d = one_error(src);
    assert_eq!(text(src, d.primary.span), "foo");
    assert!(d.message.ends_with("found `foo`"), "{}", d.message);
}

// ---- recovery ------------------------------------------------------------------------------

#[test]
fn two_bad_members_two_errors_good_members_kept() {
    let src = "node Tank {\n    param a: m = 1 m\n    param b: = 2 m\n    state h: m = 0 m\n    der h = (1 m/s\n    out level: m = h\n}\n";
    let p = parse("test.plant", src);
    let errs: Vec<&Diagnostic> = p.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errs.len(), 2, "{}", render(src, &p.diagnostics));
    let Item::Node(n) = &p.file.items[0] else {
        panic!()
    };
    let names: Vec<String> = n
        .members
        .iter()
        .map(|m| match &m.kind {
            MemberKind::Param(p) => p.name.name.clone(),
            MemberKind::State(s) => s.name.name.clone(),
            MemberKind::Port(p) => p.name.name.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["a", "h", "level"]);
}

#[test]
fn bad_item_between_good_nodes() {
    let src = "node A { param x = 1 }\nnod B { param y = 2 }\nnode C { param z = 3 }\n";
    let p = parse("test.plant", src);
    assert_eq!(p.diagnostics.len(), 1, "{}", render(src, &p.diagnostics));
    let names: Vec<&str> = p
        .file
        .items
        .iter()
        .map(|i| i.name().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["A", "C"]);
}

#[test]
fn garbage_at_top_level_is_reported_once() {
    let src = "this is not\n   a plant file\n 1 2 3 {\n  x }\nnode A {}\n";
    let p = parse("test.plant", src);
    assert_eq!(p.diagnostics.len(), 1, "{}", render(src, &p.diagnostics));
    assert_eq!(p.file.items.len(), 1);
}

#[test]
fn error_in_nested_blocks_keeps_the_rest() {
    let src = "plant P {\n    when x > 1 m {\n        a = \n        b = 2\n    }\n    for i in 0 .. 3 {\n        param = 1\n        param q = 2\n    }\n    agent a { observe ; reward = 1 }\n    dt 1 s\n}\n";
    let p = parse("test.plant", src);
    let errs = p.diagnostics.iter().filter(|d| d.is_error()).count();
    assert_eq!(errs, 3, "{}", render(src, &p.diagnostics));
    let Item::Plant(pl) = &p.file.items[0] else {
        panic!()
    };
    assert_eq!(pl.members.len(), 4);
    assert!(matches!(&pl.members[0].kind, MemberKind::When(w) if w.body.len() == 1));
    assert!(matches!(&pl.members[1].kind, MemberKind::For(f) if f.members.len() == 1));
    assert!(matches!(&pl.members[2].kind, MemberKind::Agent(a) if a.members.len() == 1));
    assert!(matches!(&pl.members[3].kind, MemberKind::Dt(_)));
}

#[test]
fn bad_block_header_skips_its_body() {
    let src =
        "node N {\n    when > 1 {\n        h = 0 m\n        k = 1\n    }\n    param p = 1\n}\n";
    let p = parse("test.plant", src);
    assert_eq!(p.diagnostics.len(), 1, "{}", render(src, &p.diagnostics));
    let Item::Node(n) = &p.file.items[0] else {
        panic!()
    };
    assert_eq!(n.members.len(), 1);
}

#[test]
fn unclosed_brace_at_end_of_file() {
    let src = "node Tank {\n    state h: m = 0 m\n";
    let d = one_error(src);
    assert_eq!(d.code, codes::UNCLOSED_DELIMITER);
    assert_eq!(text(src, d.primary.span), "{");
    assert_eq!(d.primary.span, Span::new(10, 11));
    assert_eq!(d.secondary.len(), 1);
    assert_eq!(d.secondary[0].span, Span::new(src.len(), src.len()));
    // The members before the end are kept.
    let p = parse("test.plant", src);
    let Item::Node(n) = &p.file.items[0] else {
        panic!()
    };
    assert_eq!(n.members.len(), 1);
}

#[test]
fn unclosed_brace_before_next_item() {
    let src = "node A {\n    param x = 1\n\n/// B.\nnode B { param y = 2 }\n";
    let p = parse("test.plant", src);
    assert_eq!(p.diagnostics.len(), 1, "{}", render(src, &p.diagnostics));
    let d = &p.diagnostics[0];
    assert_eq!(d.code, codes::UNCLOSED_DELIMITER);
    assert_eq!(text(src, d.primary.span), "{");
    assert_eq!(text(src, d.secondary[0].span), "node");
    assert_eq!(p.file.items.len(), 2);
    let Item::Node(b) = &p.file.items[1] else {
        panic!()
    };
    assert_eq!(b.doc.as_ref().unwrap().text, "B.");
}

#[test]
fn unclosed_paren_at_end_of_file() {
    let src = "node A {\n    out y: m = (a + b\n";
    let p = parse("test.plant", src);
    let codes_: Vec<&str> = p.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes_,
        [codes::UNCLOSED_DELIMITER, codes::UNCLOSED_DELIMITER]
    );
    assert_eq!(text(src, p.diagnostics[0].primary.span), "(");
    assert_eq!(text(src, p.diagnostics[1].primary.span), "{");
}

#[test]
fn unclosed_nested_block() {
    let src = "plant P {\n    agent a {\n        reward = 1\n";
    let p = parse("test.plant", src);
    assert_eq!(p.diagnostics.len(), 2, "{}", render(src, &p.diagnostics));
    assert!(
        p.diagnostics
            .iter()
            .all(|d| d.code == codes::UNCLOSED_DELIMITER)
    );
    assert!(p.diagnostics[0].message.contains("agent `a`"));
    assert!(p.diagnostics[1].message.contains("plant `P`"));
}

#[test]
fn unterminated_comment() {
    let src = "node A { param x = 1 }\n/* note\nnode B {}\n";
    let d = one_error(src);
    assert_eq!(d.code, codes::UNTERMINATED_COMMENT);
    assert_eq!(d.primary.span, Span::new(23, 25));
    assert_eq!(parse("test.plant", src).file.items.len(), 1);
    // `/*` inside a line comment does not open a block comment.
    parse_ok("// a /* b\nnode A {}\n");
    // Nor does a closed one.
    parse_ok("/* a */ node A { /* b\n c */ param x = 1 }\n");
}

#[test]
fn stray_doc_comments() {
    let d = one_error("node A { param x = 1 }\n/// left over\n");
    assert_eq!(d.code, codes::STRAY_DOC);
    assert_eq!(d.severity, Severity::Warning);
    let src = "node A {\n    param x = 1\n    /// nothing follows\n}\n";
    let p = parse("test.plant", src);
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.diagnostics[0].code, codes::STRAY_DOC);
    assert_eq!(
        text(src, p.diagnostics[0].primary.span),
        "/// nothing follows"
    );
    assert!(!crate::diagnostics::has_errors(&p.diagnostics));
    // A `///` block at the top of a file documents the file.
    let p = parse("test.plant", "/// The file.\nuse a::B\n");
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(
        p.file.doc.as_ref().map(|d| d.text.as_str()),
        Some("The file.")
    );
    let p = parse("test.plant", "/// Header.\n\n/// Tank.\nnode Tank { }\n");
    assert_eq!(
        p.file.doc.as_ref().map(|d| d.text.as_str()),
        Some("Header.")
    );
    match &p.file.items[0] {
        ast::Item::Node(n) => assert_eq!(n.doc.as_ref().map(|d| d.text.as_str()), Some("Tank.")),
        other => panic!("{other:?}"),
    }
    let d = one_error("node A { }\n/// doc\nuse a::B\n");
    assert_eq!(d.code, codes::STRAY_DOC);
    let d = one_error("node A { when x { /// doc\n a = 1 } }");
    assert_eq!(d.code, codes::STRAY_DOC);
}

// ---- robustness ----------------------------------------------------------------------------

#[test]
fn never_panics_on_prefixes_of_the_sample() {
    let sample = format!("{SAMPLE}// µs °C Ω ✓ 🚀\nunit µrpm = 1e-6 rpm\n/* done */\n");
    for (i, _) in sample.char_indices() {
        let prefix = &sample[..i];
        let p = parse("test.plant", prefix);
        check_spans(prefix, &p);
        for d in &p.diagnostics {
            assert_words(d);
        }
    }
}

#[test]
fn never_panics_on_suffixes_and_mutations() {
    let sample = format!("{SAMPLE}// µs °C Ω ✓\n");
    let chars: Vec<(usize, char)> = sample.char_indices().collect();
    for &(i, _) in chars.iter().step_by(3) {
        let suffix = &sample[i..];
        check_spans(suffix, &parse("test.plant", suffix));
    }
    let junk = [
        "}", "{", "(", ")", "[", "]", "=", "..", "->", "/*", "///", "µ", "\"", "if", ";",
    ];
    for (k, &(i, _)) in chars.iter().step_by(7).enumerate() {
        let j = junk[k % junk.len()];
        let mutated = format!("{}{}{}", &sample[..i], j, &sample[i..]);
        check_spans(&mutated, &parse("test.plant", &mutated));
        // Deleting a character.
        let end = chars.get(k * 7 + 1).map_or(sample.len(), |c| c.0);
        let deleted = format!("{}{}", &sample[..i], &sample[end..]);
        check_spans(&deleted, &parse("test.plant", &deleted));
    }
}

#[test]
fn non_ascii_everywhere() {
    let src = "// Größe: µ, °, Ω — ✓\n/// Ünïcödé doc ✓\nnode A { /* ü */ param t: µs = 3 µs // ✓\n param c: °C = 20 °C }\n";
    let file = parse_ok(src);
    let Item::Node(n) = &file.items[0] else {
        panic!()
    };
    assert_eq!(n.doc.as_ref().unwrap().text, "Ünïcödé doc ✓");
    match &n.members[0].kind {
        MemberKind::Param(p) => assert_eq!(show(p.default.as_ref().unwrap()), "3[µs]"),
        other => panic!("{other:?}"),
    }
    // Non-ASCII garbage gets a message with a span on char boundaries.
    for src in [
        "node A { param x = 1 ✓ }",
        "✓✓✓",
        "node A { ü = 1 }",
        "node Ä {}",
    ] {
        let p = parse("test.plant", src);
        assert!(!p.diagnostics.is_empty(), "{src}");
        check_spans(src, &p);
        let d = &p.diagnostics[0];
        assert!(!d.primary.span.is_empty(), "{src}: {:?}", d.primary.span);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for n in [300usize, 100_000] {
        let src = format!("node A {{ let x = {}1{} }}", "(".repeat(n), ")".repeat(n));
        let p = parse("test.plant", &src);
        assert!(
            p.diagnostics
                .iter()
                .any(|d| d.message.contains("nested too deeply")),
            "{n}: {}",
            render("", &p.diagnostics)
        );
        let src = format!("node A {{ let x = {}1 }}", "(".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ let x = {}1 }}", "-".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ let x = {}1 }}", "not ".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ let x = {}1 }}", "if a then 1 else ".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ let x = 1{} }}", " + 1".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ let x = 2{} }}", "^2".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ let x = a{} }}", "[1]".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ let x = {}1{} }}", "f(".repeat(n), ")".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ param p: {}m{} }}", "(".repeat(n), ")".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ param p: m{} }}", "*m".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ {} }}", "for i in 0 .. 1 { ".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = "{".repeat(n);
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
        let src = format!("node A {{ {} }}", "when x { ".repeat(n));
        assert!(!parse("test.plant", &src).diagnostics.is_empty());
    }
}

#[test]
fn moderate_nesting_is_fine() {
    let src = format!("node A {{ let x = {}1{} }}", "(".repeat(40), ")".repeat(40));
    parse_ok(&src);
    let src = format!("node A {{ let x = 1{} }}", " + 1".repeat(200));
    parse_ok(&src);
    let src = format!(
        "node A {{ {}{} }}",
        "for i in 0 .. 1 { ".repeat(20),
        "}".repeat(20)
    );
    parse_ok(&src);
}

#[test]
fn byte_order_mark_is_skipped() {
    let file = parse_ok("\u{feff}node A { param x = 1 }\n");
    assert_eq!(file.items.len(), 1);
}

#[test]
fn empty_and_trivia_only_files() {
    for src in ["", "\n\n", "// c\n", "/* c */", "  \t\r\n"] {
        let p = parse("test.plant", src);
        assert!(
            p.diagnostics.is_empty() && p.file.items.is_empty(),
            "{src:?}"
        );
    }
}

#[test]
fn many_members_scale_linearly() {
    // A smoke test for accidental quadratic behaviour (the release-mode benchmark is
    // `bench_100k_members`): 20 000 members, half of them broken.
    let mut src = String::from("node Big {\n");
    for i in 0..10_000 {
        src.push_str(&format!(
            "    param p{i}: m = {i} m\n    state s{i}: m = = 0\n"
        ));
    }
    src.push_str("}\n");
    let start = std::time::Instant::now();
    let p = parse("big.plant", &src);
    let elapsed = start.elapsed();
    assert_eq!(p.diagnostics.len(), 10_000);
    let Item::Node(n) = &p.file.items[0] else {
        panic!()
    };
    assert_eq!(n.members.len(), 10_000);
    // Generous even for debug builds on slow machines.
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");
}

/// `cargo test --release -p plantc --lib bench_100k_members -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_100k_members() {
    let kinds = [
        "param p{i}: m = 1 m",
        "state s{i}: m = 0 m",
        "der s{i} = (a - b) / area",
        "out o{i}: L/s = k * speed",
        "let l{i} = 2 * x + 1",
        "t{i} = Tank(area: 2 m^2)",
        "bond t{i}.flow -> u.inflow",
        "in q{i}: m^3/s sum",
    ];
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut src = String::from("plant Big {\n");
    for i in 0..n {
        src.push_str("    ");
        src.push_str(&kinds[i % kinds.len()].replace("{i}", &i.to_string()));
        src.push('\n');
    }
    src.push_str("}\n");
    let start = std::time::Instant::now();
    let p = parse("big.plant", &src);
    let good = start.elapsed();
    assert!(p.diagnostics.is_empty());
    if std::env::var("GOOD_ONLY").is_ok() {
        return;
    }
    let bad_src = src.replace(" = ", " = = ");
    let start = std::time::Instant::now();
    let p = parse("big.plant", &bad_src);
    let bad = start.elapsed();
    println!(
        "100k members, {} bytes: {good:?}; all broken: {bad:?} ({} diagnostics)",
        src.len(),
        p.diagnostics.len()
    );
}

#[test]
fn nesting_just_under_the_limit() {
    // Either parses or reports "nested too deeply"; never overflows the stack (test threads
    // have small stacks).
    for n in [120usize, 250, 256, 257] {
        let src = format!("node A {{ let x = {}1{} }}", "(".repeat(n), ")".repeat(n));
        let p = parse("test.plant", &src);
        for d in &p.diagnostics {
            assert!(
                d.message.contains("nested too deeply"),
                "{n}: {}",
                d.message
            );
        }
        let src = format!("node A {{ let x = {}1{} }}", "f(".repeat(n), ")".repeat(n));
        let p = parse("test.plant", &src);
        for d in &p.diagnostics {
            assert!(
                d.message.contains("nested too deeply"),
                "{n}: {}",
                d.message
            );
        }
        let src = format!("node A {{ param p: {}m{} }}", "(".repeat(n), ")".repeat(n));
        let p = parse("test.plant", &src);
        for d in &p.diagnostics {
            assert!(
                d.message.contains("nested too deeply"),
                "{n}: {}",
                d.message
            );
        }
        let src = format!(
            "node A {{ let x = {}1{} }}",
            "if a then 1 else ".repeat(n),
            ""
        );
        let p = parse("test.plant", &src);
        for d in &p.diagnostics {
            assert!(
                d.message.contains("nested too deeply"),
                "{n}: {}",
                d.message
            );
        }
    }
}

#[test]
fn small_stacks_do_not_overflow() {
    // Deep but legal nesting on a thread with a small stack: parsed or reported, no crash.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            for src in [
                format!(
                    "node A {{ let x = {}1{} }}",
                    "(".repeat(250),
                    ")".repeat(250)
                ),
                format!("node A {{ let x = {}1 }}", "if a then 1 else ".repeat(250)),
                format!(
                    "node A {{ param p: {}m{} }}",
                    "(".repeat(250),
                    ")".repeat(250)
                ),
                format!(
                    "node A {{ {}{} }}",
                    "for i in 0 .. 1 { ".repeat(60),
                    "}".repeat(60)
                ),
            ] {
                let p = parse("test.plant", &src);
                check_spans(&src, &p);
            }
        })
        .unwrap();
    assert!(handle.join().is_ok());
}

#[test]
fn help_for_arguments_and_instances() {
    let d = one_error("plant P { tank = Tank(area 2 m^2) }");
    assert_eq!(d.message, "expected `:`, found `2`");
    assert!(d.help.unwrap().contains("name: value"));
    let d = one_error("plant P { tank = Tank(2 m^2) }");
    assert!(d.help.unwrap().contains("name: value"));
    let d = one_error("node N { x = 1 }");
    assert_eq!(d.message, "expected a name, found `1`");
    assert!(d.help.unwrap().contains("let name = value"));
    let d = one_error("param x = 1\n");
    assert_eq!(
        d.help.as_deref(),
        Some("members belong inside a `node` or `plant` body")
    );
}

/// Members reused from the memo are moved to their new place: every span of a parse after
/// an edit that shifts the rest of the file equals a fresh parse's.
#[test]
fn memo_moves_reused_members() {
    let mut memo = MemberMemo::default();
    let a = parse_reusing("memo.plant", SAMPLE, &mut memo);
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    // One more character in the first node's first line moves everything after it.
    let edited = SAMPLE.replacen("0.01 L/min/rpm", "0.015 L/min/rpm", 1);
    let b = parse_reusing("memo.plant", &edited, &mut memo);
    assert_eq!(b, parse("memo.plant", &edited));
    // The other members came from the memo, which now holds this text's members only.
    assert!(memo.len() > 20, "{}", memo.len());
    let again = parse_reusing("memo.plant", SAMPLE, &mut memo);
    assert_eq!(again, a);
}

mod random {
    use super::*;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "node",
        "plant",
        "use",
        "unit",
        "param",
        "in",
        "out",
        "state",
        "der",
        "next",
        "let",
        "bond",
        "for",
        "dt",
        "decide",
        "every",
        "when",
        "integrator",
        "action",
        "observe",
        "reward",
        "agent",
        "terminate",
        "truncate",
        "after",
        "steps",
        "on",
        "if",
        "then",
        "else",
        "and",
        "or",
        "not",
        "true",
        "false",
        "bool",
        "int",
        "choice",
        "mask",
        "noise",
        "normalized",
        "sum",
        "x",
        "tank",
        "level",
        "Tank",
        "m",
        "s",
        "µs",
        "%",
        "1",
        "2.5",
        "1e999",
        "0..3",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        ";",
        ":",
        "::",
        "=",
        "==",
        "<",
        "->",
        "..",
        ".",
        "+",
        "-",
        "*",
        "/",
        "^",
        "\n",
        " ",
        "// c\n",
        "/* c */",
        "/*",
        "///",
        "é",
        "\t",
        "\r\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(300)
        ))]
        #[test]
        fn token_soup_never_panics(idx in proptest::collection::vec(0..TOKENS.len(), 0..60)) {
            let src: String = idx.iter().map(|&i| TOKENS[i]).collect::<Vec<_>>().join(" ");
            let p = parse("soup.plant", &src);
            check_spans(&src, &p);
            for d in &p.diagnostics {
                assert_words(d);
            }
        }

        /// A parse that reuses the members of earlier parses (as the language server does
        /// after each edit) equals a fresh parse, whatever the edits.
        #[test]
        fn memoised_parse_equals_fresh_parse(
            edits in proptest::collection::vec((0usize..10_000, 0usize..12, 0..TOKENS.len()), 1..12)
        ) {
            let mut text = SAMPLE.to_string();
            let mut memo = MemberMemo::default();
            let first = parse_reusing("memo.plant", &text, &mut memo);
            prop_assert_eq!(&first, &parse("memo.plant", &text));
            for (at, del, tok) in edits {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + del).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, TOKENS[tok]);
                let memoised = parse_reusing("memo.plant", &text, &mut memo);
                prop_assert_eq!(&memoised, &parse("memo.plant", &text), "after editing to:\n{}", text);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
            let p = parse("any.plant", &src);
            check_spans(&src, &p);
        }
    }
}
