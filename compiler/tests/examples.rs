//! Every file under `examples/` and `stdlib/` checks clean (no errors, no warnings), and
//! every plant in `examples/` flattens to a model.

use std::fs;

use plantc::driver::Session;

fn plant_files(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "plant") {
                out.push(p.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

fn assert_clean(s: &Session, path: &str, diags: &[plantc::diagnostics::Diagnostic]) {
    if !diags.is_empty() {
        let map = s.source_map();
        let text: String = diags.iter().map(|d| map.render(d)).collect();
        panic!("{path} is not clean:\n{text}");
    }
}

#[test]
fn examples_check_clean_and_flatten() {
    let files = plant_files("../examples");
    assert!(!files.is_empty());
    assert!(
        files.iter().filter(|f| f.contains("/ipsim/")).count() >= 6,
        "subdirectories such as examples/ipsim/ are checked too"
    );
    for path in files {
        let mut s = Session::new();
        let f = s
            .load(&path)
            .unwrap_or_else(|| panic!("cannot load {path}"));
        let diags = s.diagnostics(f);
        assert_clean(&s, &path, &diags);
        let text = fs::read_to_string(&path).unwrap();
        let plants = text
            .lines()
            .filter(|l| l.trim_start().starts_with("plant "))
            .count();
        let models = s.models(f);
        assert_eq!(
            models.len(),
            plants,
            "{path}: every plant flattens to a model"
        );
        for m in models.iter() {
            assert!(m.dt > 0.0);
            assert!(!m.agents.is_empty());
        }
    }
}

#[test]
fn stdlib_checks_clean() {
    let s = Session::new();
    for (path, _) in plantc::stdlib::FILES {
        let f = s.file(path).expect("stdlib file registered");
        let diags = s.diagnostics(f);
        assert_clean(&s, path, &diags);
    }
}

/// The embedded stdlib is exactly the `stdlib/` folder (nothing forgotten, nothing stale).
#[test]
fn stdlib_embedding_matches_the_folder() {
    let on_disk: Vec<String> = plant_files("../stdlib")
        .into_iter()
        .map(|p| p.replacen("../stdlib/", "std/", 1))
        .collect();
    let mut embedded: Vec<String> = plantc::stdlib::FILES
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
    for (path, text) in plantc::stdlib::FILES {
        let disk = fs::read_to_string(path.replacen("std/", "../stdlib/", 1)).unwrap();
        assert_eq!(&disk, text, "{path} differs from its embedded copy");
    }
}

/// The tank example's IR: the flattening a user sees with `plantc check --emit ir`.
#[test]
fn tank_ir_shape() {
    let models = plantc::lower_file("../examples/tank.plant").expect("compiles");
    let m = &models[0];
    assert_eq!(m.name, "Line");
    assert_eq!(m.dt, 0.1);
    assert_eq!(m.decide, plantc::ir::Decide::Every { ticks: 10 });
    assert_eq!(m.actions.len(), 1);
    assert_eq!(
        m.actions[0].space,
        plantc::ir::ActionSpace::Box {
            lo: 0.0,
            hi: 30.0,
            normalized: false
        }
    );
    assert_eq!(m.agents[0].actions, vec![0]);
    assert_eq!(m.agents[0].observations, vec![0]);
    assert!(m.agents[0].reward.is_some());
    assert_eq!(m.observations[0].name, "tank.level");
    // 0.5 L/min/rpm is 0.5e-3 m^3 per revolution in SI.
    let k = m.find("belt.k").unwrap();
    let a = m.params.iter().find(|a| a.var == k).unwrap();
    assert!(matches!(a.value, plantc::ir::Expr::Const(v) if (v - 0.0005).abs() < 1e-15));
    // Algebraic values come after everything they read.
    let pos = |n: &str| {
        m.algebraic
            .iter()
            .position(|a| m.var(a.var).name == n)
            .unwrap()
    };
    assert!(pos("belt.flow") < pos("tank.inflow"));
    assert!(pos("drain.flow") < pos("tank.outflow"));
}

/// `docs/diagnostics.md` documents every code exactly once, with its current title.
#[test]
fn diagnostics_index_lists_every_code() {
    let doc = fs::read_to_string("../docs/diagnostics.md").expect("docs/diagnostics.md");
    for c in plantc::diagnostics::codes::ALL {
        let heading = format!("### {}: {}\n", c.code, c.title);
        assert_eq!(
            doc.matches(&heading).count(),
            1,
            "docs/diagnostics.md needs exactly one `{}`",
            heading.trim()
        );
    }
    let headings = doc.lines().filter(|l| l.starts_with("### E0")).count();
    assert_eq!(
        headings,
        plantc::diagnostics::codes::ALL.len(),
        "stale codes in docs/diagnostics.md"
    );
}
