//! Behaviour of the whole pipeline on small programs: flattening of arrays, loops,
//! summing junctions and agents; imports across files; and salsa incrementality.

use plantc::diagnostics::has_errors;
use plantc::driver::Session;
use plantc::ir::{ActionSpace, Expr, StateUpdate, VarKind};

fn model(src: &str) -> std::sync::Arc<plantc::ir::Model> {
    match plantc::lower_str("test.plant", src) {
        Ok(mut ms) => ms.remove(0),
        Err(e) => panic!("does not compile:\n{e}"),
    }
}

fn codes(src: &str) -> Vec<&'static str> {
    let mut s = Session::new();
    let f = s.set_source("test.plant", src.to_string());
    s.diagnostics(f).iter().map(|d| d.code).collect()
}

#[test]
fn arrays_and_for_loops_unroll() {
    let m = model(
        "node Chain {
            param n: int = 4
            param k: 1/s = 0.5 s^-1
            state x[n]: 1 = 1
            der x[0] = -k * x[0]
            for i in 1 .. n { der x[i] = k * (x[i - 1] - x[i]) }
            out last: 1 = x[3]
        }
        plant P { dt 1 s  c = Chain(n: 4)  observe c.last }",
    );
    let names: Vec<&str> = m
        .states
        .iter()
        .map(|s| m.var(s.var).name.as_str())
        .collect();
    assert_eq!(names, ["c.x[0]", "c.x[1]", "c.x[2]", "c.x[3]"]);
    assert!(
        m.states
            .iter()
            .all(|s| matches!(s.update, StateUpdate::Der(_)))
    );
    let der2 = match &m.states[2].update {
        StateUpdate::Der(e) => m.expr_to_string(e),
        _ => unreachable!(),
    };
    assert_eq!(der2, "c.k * (c.x[1] - c.x[2])");
}

#[test]
fn out_of_range_loop_index_is_reported_when_flattening() {
    let c = codes(
        "node Chain {
            state x[3]: 1 = 1
            for i in 0 .. 3 { next x[i] = x[i + 1] }
        }
        plant P { dt 1 s  c = Chain() }",
    );
    assert!(c.contains(&"E0119"), "{c:?}");
}

#[test]
fn summing_junction_adds_every_bond() {
    let m = model(
        "use std::process::{Tank, Valve}
        plant P {
            dt 1 s
            tank = Tank()
            a = Valve()
            b = Valve(max_flow: 2 L/s)
            bond a.flow -> tank.inflow
            bond b.flow -> tank.inflow
            observe tank.level
        }",
    );
    let inflow = m.find("tank.inflow").unwrap();
    let a = m.algebraic.iter().find(|a| a.var == inflow).unwrap();
    assert_eq!(m.expr_to_string(&a.value), "a.flow + b.flow");
    // A summing port with no bond is zero.
    let outflow = m.find("tank.outflow").unwrap();
    let o = m.algebraic.iter().find(|a| a.var == outflow).unwrap();
    assert_eq!(o.value, Expr::Const(0.0));
}

#[test]
fn agents_own_their_actions_observations_and_rewards() {
    let m = model(
        "use std::process::Valve
        plant P {
            dt 1 s
            decide every 5 s
            v1 = Valve()
            v2 = Valve()
            agent left {
                action open: 1 in 0 .. 1 -> v1.opening
                observe v1.flow
                reward = -v1.flow / 1 L/s
            }
            agent right {
                action go: choice 3 mask [true, true, v1.flow > 1 L/s] -> v2.opening
                observe v2.flow
                reward = 1
            }
        }",
    );
    assert!(m.agents_declared);
    assert_eq!(m.agents.len(), 2);
    assert_eq!(m.agents[1].name, "right");
    assert_eq!(m.agents[1].actions, vec![1]);
    assert!(matches!(&m.actions[1].space, ActionSpace::Choice { n: 3, masks } if masks.len() == 3));
    assert_eq!(m.var(m.actions[0].var).kind, VarKind::Action);
}

#[test]
fn algebraic_loops_name_the_whole_cycle() {
    let mut s = Session::new();
    let f = s.set_source(
        "test.plant",
        "node A { in u: 1  out y: 1 = u * 2 }
         plant P { dt 1 s  a = A()  b = A()  c = A()
           bond a.y -> b.u  bond b.y -> c.u  bond c.y -> a.u }"
            .to_string(),
    );
    let d = s.diagnostics(f);
    let loop_diag = d.iter().find(|d| d.code == "E0305").expect("loop reported");
    for name in ["a.y", "b.u", "b.y", "c.u", "c.y", "a.u"] {
        assert!(
            loop_diag.message.contains(&format!("`{name}`")),
            "{}",
            loop_diag.message
        );
    }
}

#[test]
fn imports_resolve_across_files_and_cycles_are_reported() {
    let dir = std::env::temp_dir().join(format!("plantc-import-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::write(
        dir.join("lib/tanks.plant"),
        "node Tank { state h: m = 0 m  der h = 0 m/s  out level: m = h }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.plant"),
        "use lib::tanks::Tank\nplant P { dt 1 s  t = Tank()  observe t.level }\n",
    )
    .unwrap();
    let main = dir.join("main.plant").to_string_lossy().into_owned();
    let models = plantc::lower_file(&main).expect("compiles");
    assert_eq!(models[0].observations[0].name, "t.level");

    std::fs::write(dir.join("a.plant"), "use b::B\nnode A { }\n").unwrap();
    std::fs::write(dir.join("b.plant"), "use a::A\nnode B { }\n").unwrap();
    let mut s = Session::new();
    let f = s.load(&dir.join("a.plant").to_string_lossy()).unwrap();
    let d = s.diagnostics(f);
    assert!(
        d.iter().any(|d| d.code == "E0107"
            && d.message.contains("a.plant")
            && d.message.contains("b.plant")),
        "{d:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn missing_and_non_utf8_files_are_clear_errors() {
    let err = plantc::lower_file("does/not/exist.plant").unwrap_err();
    assert_eq!(err.diagnostics[0].code, "E0005");
    assert!(err.rendered.contains("does/not/exist.plant"));

    let path = std::env::temp_dir().join(format!("plantc-latin1-{}.plant", std::process::id()));
    std::fs::write(&path, b"// 5 \xb5m\nnode A { }\n").unwrap();
    let err = plantc::lower_file(&path.to_string_lossy()).unwrap_err();
    assert_eq!(err.diagnostics[0].code, "E0004");
    assert_eq!(err.diagnostics[0].primary.span.start, 5);
    std::fs::remove_file(&path).ok();
}

/// Editing one file re-runs the queries of that file and of what depends on it, and
/// nothing for unrelated files.
#[test]
fn edits_recheck_only_what_changed() {
    let mut s = Session::with_database(plantc::db::Database::with_execution_log());
    let a = s.set_source(
        "a.plant",
        "node A { state x: 1 = 0  der x = 1 s^-1 }\n".into(),
    );
    let b = s.set_source(
        "b.plant",
        "node B { state y: m = 0 m  der y = 1 m/s }\n".into(),
    );
    assert!(s.diagnostics(a).is_empty());
    assert!(s.diagnostics(b).is_empty());
    s.db.take_execution_log();

    s.set_source(
        "a.plant",
        "node A { state x: 1 = 0  der x = 2 s^-1 }\n".into(),
    );
    assert!(s.diagnostics(a).is_empty());
    assert!(s.diagnostics(b).is_empty());
    let log = s.db.take_execution_log();
    let b_id = format!("{b:?}");
    assert!(log.iter().any(|e| e.starts_with("parse(")), "{log:?}");
    let reparsed = log.iter().filter(|e| e.starts_with("parse(")).count();
    assert_eq!(reparsed, 1, "only the edited file is parsed again: {log:?}");
    assert!(
        !log.iter()
            .any(|e| e.starts_with("check_file(") && e.contains(&b_id)),
        "b is not re-checked: {log:?} ({b_id})"
    );

    // An edit that introduces an error is seen.
    s.set_source("a.plant", "node A { state x: 1 = 0  der x = 1 m }\n".into());
    assert!(has_errors(&s.diagnostics(a)));
}
