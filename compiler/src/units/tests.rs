//! Tests of unit-expression evaluation: composition with user units, errors and their spans,
//! and that no input makes the dimension algebra panic.

use super::*;
use crate::syntax::ast::Rational;

fn sp(start: usize, end: usize) -> Span {
    Span::new(start, end)
}

fn name(n: &str) -> UnitExpr {
    UnitExpr {
        kind: UnitExprKind::Name(n.to_string()),
        span: sp(0, n.len()),
    }
}

fn num(x: f64) -> UnitExpr {
    UnitExpr {
        kind: UnitExprKind::Number(x),
        span: sp(0, 1),
    }
}

fn mul(a: UnitExpr, b: UnitExpr) -> UnitExpr {
    let span = a.span.to(b.span);
    UnitExpr {
        kind: UnitExprKind::Mul(Box::new(a), Box::new(b)),
        span,
    }
}

fn div(a: UnitExpr, b: UnitExpr) -> UnitExpr {
    let span = a.span.to(b.span);
    UnitExpr {
        kind: UnitExprKind::Div(Box::new(a), Box::new(b)),
        span,
    }
}

fn pow(a: UnitExpr, num: i64, den: i64) -> UnitExpr {
    let span = a.span;
    UnitExpr {
        kind: UnitExprKind::Pow(Box::new(a), Rational { num, den }),
        span,
    }
}

fn at(mut e: UnitExpr, start: usize, end: usize) -> UnitExpr {
    e.span = sp(start, end);
    e
}

fn no_user(_: &str) -> Option<Unit> {
    None
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

#[test]
fn units_eval_simple() {
    assert_eq!(eval(&name("m"), &no_user), Ok(Unit::si(Dim::LENGTH)));
    assert_eq!(eval(&num(1.0), &no_user), Ok(Unit::ONE));
    let per_s = div(num(1.0), name("s"));
    assert_eq!(eval(&per_s, &no_user), Ok(Unit::si(Dim::FREQUENCY)));
    let flow = div(pow(name("m"), 3, 1), name("s"));
    assert_eq!(eval(&flow, &no_user).unwrap().to_string(), "m^3/s");
    let force = div(mul(name("kg"), name("m")), pow(name("s"), 2, 1));
    assert_eq!(eval(&force, &no_user), Ok(Unit::si(Dim::FORCE)));
    let root = pow(name("m"), 1, 2);
    assert_eq!(eval(&root, &no_user).unwrap().dim.to_string(), "m^(1/2)");
    let dozen = num(12.0);
    assert_eq!(
        eval(&dozen, &no_user),
        Ok(Unit::new(Dim::DIMENSIONLESS, 12.0))
    );
    let psi = mul(num(6894.757), name("Pa"));
    assert_eq!(eval(&psi, &no_user), Ok(Unit::new(Dim::PRESSURE, 6894.757)));
    let pct = name("%");
    assert_eq!(eval(&pct, &no_user).unwrap().scale, 0.01);
    assert_eq!(
        eval_builtin(&name("kPa")),
        Ok(Unit::new(Dim::PRESSURE, 1e3))
    );
}

#[test]
fn units_eval_rational_powers() {
    // sqrt(m^2) = m, (m^3)^(1/3) = m, (L)^(1/3) = 0.1 m.
    let sq = pow(pow(name("m"), 2, 1), 1, 2);
    assert_eq!(eval(&sq, &no_user), Ok(Unit::si(Dim::LENGTH)));
    let cube = pow(pow(name("m"), 3, 1), 1, 3);
    assert_eq!(eval(&cube, &no_user), Ok(Unit::si(Dim::LENGTH)));
    let edge = eval(&pow(name("L"), 1, 3), &no_user).unwrap();
    assert_eq!(edge.dim, Dim::LENGTH);
    assert!(close(edge.scale, 0.1));
    // Exponents are normalised: m^(2/4) is m^(1/2), m^(3/-1) is 1/m^3.
    let half = eval(&pow(name("m"), 2, 4), &no_user).unwrap();
    assert_eq!(half.dim, Dim::LENGTH.pow(Ratio::HALF).unwrap());
    let inv = eval(&pow(name("m"), 3, -1), &no_user).unwrap();
    assert_eq!(inv.dim.to_string(), "1/m^3");
    let km2 = eval(&pow(name("km"), 2, 1), &no_user).unwrap();
    assert_eq!(km2, Unit::new(Dim::AREA, 1e6));
    let zero = eval(&pow(name("km"), 0, 5), &no_user).unwrap();
    assert_eq!(zero, Unit::ONE);
}

#[test]
fn units_eval_with_user_units() {
    // unit rpm = 1/min
    let rpm = eval(&div(num(1.0), name("min")), &no_user).unwrap();
    assert_eq!(rpm.dim, Dim::FREQUENCY);
    assert!(close(rpm.scale, 1.0 / 60.0));
    let user = move |n: &str| (n == "rpm").then_some(rpm);
    // L/rpm/s: litres per revolution per second, i.e. (m^3 * min) / s ... dimension m^3.
    let e = div(div(name("L"), name("rpm")), name("s"));
    let u = eval(&e, &user).unwrap();
    assert_eq!(u.dim, Dim::VOLUME);
    assert!(close(u.scale, 1e-3 * 60.0));
    // 0.01 L/min/rpm
    let e = mul(num(0.01), div(div(name("L"), name("min")), name("rpm")));
    let u = eval(&e, &user).unwrap();
    assert_eq!(u.dim, Dim::VOLUME);
    assert!(close(u.scale, 0.01 * 1e-3 / 60.0 * 60.0));
    // rpm^2 and a user unit shadowing a built-in name.
    let u = eval(&pow(name("rpm"), 2, 1), &user).unwrap();
    assert_eq!(u.dim.to_string(), "1/s^2");
    let shadow = |n: &str| (n == "t").then_some(Unit::new(Dim::TIME, 1.0));
    assert_eq!(eval(&name("t"), &shadow).unwrap().dim, Dim::TIME);
    assert_eq!(eval(&name("t"), &no_user).unwrap().dim, Dim::MASS);
    // Prefixes apply to built-in units only.
    assert!(eval(&name("krpm"), &user).is_err());
}

#[test]
fn units_eval_unknown_names() {
    let e = div(at(name("m"), 0, 1), at(name("secnd"), 2, 7));
    let err = eval(&e, &no_user).unwrap_err();
    assert_eq!(err.span, sp(2, 7));
    assert_eq!(
        err.kind,
        UnitErrorKind::Unknown {
            name: "secnd".into(),
            suggestion: Some("s".into()),
            hint: None,
        }
    );
    assert_eq!(err.to_string(), "unknown unit `secnd`");
    let err = eval(&name("metre"), &no_user).unwrap_err();
    let metre = Some("m".to_string());
    assert!(matches!(err.kind, UnitErrorKind::Unknown { suggestion, .. } if suggestion == metre));
    let err = eval(&name("°C"), &no_user).unwrap_err();
    match err.kind {
        UnitErrorKind::Unknown {
            suggestion, hint, ..
        } => {
            assert_eq!(suggestion, None);
            assert!(hint.unwrap().contains("use `K`"));
        }
        other => panic!("{other:?}"),
    }
    let err = eval(&name("rpm"), &no_user).unwrap_err();
    assert!(matches!(
        err.kind,
        UnitErrorKind::Unknown {
            suggestion: None,
            hint: Some(_),
            ..
        }
    ));
}

#[test]
fn units_eval_bad_exponents_and_scales() {
    let e = at(pow(name("m"), 1, 0), 3, 9);
    assert_eq!(
        eval(&e, &no_user).unwrap_err(),
        UnitError {
            span: sp(3, 9),
            kind: UnitErrorKind::BadExponent
        }
    );
    let e = pow(name("m"), i64::MIN, -1);
    assert_eq!(
        eval(&e, &no_user).unwrap_err().kind,
        UnitErrorKind::Overflow
    );
    let e = pow(pow(name("m"), i64::MAX, 1), 2, 1);
    assert_eq!(
        eval(&e, &no_user).unwrap_err().kind,
        UnitErrorKind::Overflow
    );
    let e = mul(pow(name("m"), i64::MAX, 1), name("km"));
    assert_eq!(
        eval(&e, &no_user).unwrap_err().kind,
        UnitErrorKind::Overflow
    );
    let e = pow(name("km"), 400, 1);
    assert_eq!(
        eval(&e, &no_user).unwrap_err().kind,
        UnitErrorKind::NonFiniteScale
    );
    let e = div(num(1.0), num(0.0));
    assert_eq!(
        eval(&e, &no_user).unwrap_err().kind,
        UnitErrorKind::NonFiniteScale
    );
    let e = num(f64::NAN);
    assert_eq!(
        eval(&e, &no_user).unwrap_err().kind,
        UnitErrorKind::NonFiniteScale
    );
    let e = pow(num(-8.0), 1, 3);
    assert_eq!(
        eval(&e, &no_user).unwrap_err().kind,
        UnitErrorKind::NonFiniteScale
    );
    let bad_user = |_: &str| Some(Unit::new(Dim::LENGTH, f64::INFINITY));
    assert_eq!(
        eval(&name("x"), &bad_user).unwrap_err().kind,
        UnitErrorKind::NonFiniteScale
    );
    // Huge exponents that stay representable are fine.
    let e = pow(name("m"), i64::MAX, 1);
    assert_eq!(eval(&e, &no_user).unwrap().scale, 1.0);
    let e = pow(name("m"), 1, i64::MAX);
    assert!(eval(&e, &no_user).is_ok());
}

/// A tiny deterministic generator (xorshift) so the never-panic test needs no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const EDGE_INTS: [i64; 12] = [
    0,
    1,
    -1,
    2,
    -2,
    3,
    7,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    1 << 40,
    -(1 << 33),
];

fn random_expr(rng: &mut Rng, depth: u32) -> UnitExpr {
    let names = [
        "m", "km", "s", "L", "min", "rpm", "bogus", "%", "kg", "µm", "Ybar", "h", "°C",
    ];
    let nums = [
        1.0,
        0.0,
        -1.0,
        12.0,
        1e300,
        1e-300,
        f64::NAN,
        f64::INFINITY,
        60.0,
    ];
    let choice = if depth == 0 {
        rng.next() % 2
    } else {
        rng.next() % 5
    };
    match choice {
        0 => name(rng.pick(&names)),
        1 => num(rng.pick(&nums)),
        2 => mul(random_expr(rng, depth - 1), random_expr(rng, depth - 1)),
        3 => div(random_expr(rng, depth - 1), random_expr(rng, depth - 1)),
        _ => {
            let (n, d) = (rng.pick(&EDGE_INTS), rng.pick(&EDGE_INTS));
            pow(random_expr(rng, depth - 1), n, d)
        }
    }
}

#[test]
fn units_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let user = |n: &str| (n == "rpm").then_some(Unit::new(Dim::FREQUENCY, 1.0 / 60.0));
    for _ in 0..3000 {
        let e = random_expr(&mut rng, 5);
        if let Ok(u) = eval(&e, &user) {
            assert!(u.scale.is_finite());
            let _ = format_unit(&u);
            let _ = u.dim.describe();
        }
    }
    for _ in 0..3000 {
        let (a, b) = (rng.pick(&EDGE_INTS), rng.pick(&EDGE_INTS));
        let (c, d) = (rng.pick(&EDGE_INTS), rng.pick(&EDGE_INTS));
        if let (Some(x), Some(y)) = (Ratio::new(a, b), Ratio::new(c, d)) {
            for r in [
                x.checked_add(y),
                x.checked_sub(y),
                x.checked_mul(y),
                x.checked_div(y),
            ]
            .into_iter()
            .flatten()
            {
                assert!(r.den() > 0);
                let _ = r.to_string();
            }
            let _ = x.cmp(&y);
            let mut dim = Dim::DIMENSIONLESS;
            dim.0[(a.unsigned_abs() % 7) as usize] = x;
            dim.0[(c.unsigned_abs() % 7) as usize] = y;
            let _ = dim.to_string();
            let _ = dim.pow(y).map(|p| p.mul(dim).map(|q| q.div(dim)));
        }
        let _ = Ratio::from_f64(f64::from_bits(rng.next()));
    }
    for s in [
        "",
        "µ",
        "μμμ",
        "°",
        "ÿ",
        "a\u{0}b",
        "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
    ] {
        let _ = builtin(s);
        let _ = suggest(s, &[s]);
        let _ = closest(s, [s, "m"]);
    }
}
