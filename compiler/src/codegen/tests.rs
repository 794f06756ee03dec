//! Malformed models are errors, not panics; the kernel can be shared between threads.

use super::*;
use crate::ir::{Assignment, BinOp, Expr, Func, VarId};
use crate::layout;

const SRC: &str = r#"
plant P {
    dt 0.1 s
    integrator rk4
    param k: 1 = 2
    state x: 1 = 1
    state n: 1 = 0
    der x = -k * x / 1 s
    next n = n + 1
    let y: 1 = x * 2
    let z: 1 = y + 1
    action pick: choice 2 mask [x > 0, n < 5]
    when x < 0.5 { x = 1 }
    observe z
    reward = y
}
"#;

fn model() -> Model {
    let models = crate::lower_str("t.plant", SRC).unwrap_or_else(|e| panic!("{e}"));
    (*models[0]).clone()
}

fn compile_err(m: &Model) -> CodegenError {
    let plan = layout::plan(m);
    let clif = emit_clif(m, &plan);
    match compile(m, &plan) {
        Ok(_) => panic!("compiled a malformed model"),
        Err(e) => {
            assert_eq!(clif.err(), Some(e.clone()), "emit_clif agrees");
            e
        }
    }
}

fn var(m: &Model, name: &str) -> VarId {
    m.find(name).unwrap()
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

#[test]
fn the_base_model_compiles() {
    let m = model();
    let plan = layout::plan(&m);
    assert!(compile(&m, &plan).is_ok());
    assert!(emit_clif(&m, &plan).unwrap().contains("; plant_step"));
    let asm = emit_asm(&m, &plan).unwrap();
    assert!(asm.contains("; plant_step: "), "{asm}");
    assert!(asm.contains("ret"), "{asm}");
}

#[test]
fn kernels_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<JitKernel>();
}

#[test]
fn malformed_models_are_errors() {
    let base = model();
    let y = base
        .algebraic
        .iter()
        .position(|a| base.var(a.var).name == "y");
    let y = y.unwrap();
    let mut cases: Vec<(&str, Model)> = Vec::new();

    let mut m = base.clone();
    m.algebraic[y].value = Expr::Uniform(bx(Expr::Const(0.0)), bx(Expr::Const(1.0)));
    cases.push(("draws", m));

    let mut m = base.clone();
    m.algebraic[y].value = Expr::Var(VarId(9999));
    cases.push(("does not exist", m));

    let mut m = base.clone();
    m.algebraic[y].value = Expr::Call(Func::Sin, vec![]);
    cases.push(("takes 1 arguments", m));

    let mut m = base.clone();
    m.algebraic[y].value = Expr::Var(var(&base, "z"));
    cases.push(("computed after it", m));

    let mut m = base.clone();
    m.events[0].assigns.push(Assignment {
        var: var(&base, "k"),
        value: Expr::Const(1.0),
        source: m.source.clone(),
    });
    cases.push(("not a state", m));

    let mut m = base.clone();
    if let crate::ir::ActionSpace::Choice { masks, .. } = &mut m.actions[0].space {
        masks.pop();
    }
    cases.push(("masks", m));

    let mut m = base.clone();
    m.dt = f64::NAN;
    cases.push(("dt", m));

    let mut m = base.clone();
    m.params[0].value = Expr::Bin(
        BinOp::Add,
        bx(Expr::Var(var(&base, "y"))),
        bx(Expr::Const(1.0)),
    );
    cases.push(("not known at reset", m));

    let mut m = base.clone();
    let x = var(&base, "x");
    m.algebraic[y].var = x;
    cases.push(("two roles", m));

    let mut m = base.clone();
    m.terminate = Some(Expr::Normal(bx(Expr::Const(0.0)), bx(Expr::Const(1.0))));
    cases.push(("draws", m));

    for (want, m) in cases {
        let e = compile_err(&m).to_string();
        assert!(e.contains(want), "{e} / {want}");
    }
}

#[test]
fn a_layout_of_another_model_is_an_error() {
    let m = model();
    let mut plan = layout::plan(&m);
    plan.info.vars.pop();
    assert!(compile(&m, &plan).is_err());
    let mut plan = layout::plan(&m);
    plan.obs_scale.clear();
    assert!(compile(&m, &plan).is_err());
    let mut plan = layout::plan(&m);
    plan.info.layout.slots = usize::MAX / 4;
    assert!(compile(&m, &plan).is_err());
}
