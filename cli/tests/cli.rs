//! The `plantc` binary as users run it: exit codes, human and JSON diagnostics, `--emit`,
//! `explain`.

use std::process::Command;

fn plantc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plantc"))
        .args(args)
        .output()
        .expect("run plantc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(name: &str, text: &str) -> String {
    let p = std::env::temp_dir().join(format!("plantc-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn clean_example_exits_zero_and_prints_nothing() {
    let (code, out, err) = plantc(&["check", "../examples/tank.plant"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty() && err.is_empty(), "{out}{err}");
}

#[test]
fn errors_exit_one_with_rendered_diagnostics() {
    let f = temp_file(
        "bad.plant",
        "use std::process::Tank\nplant P {\n    dt 0.1 s\n    tank = Tank()\n    terminate when tank.level > 2\n}\n",
    );
    let (code, _, err) = plantc(&["check", &f, "--color", "never"]);
    assert_eq!(code, 1);
    assert!(err.contains("error[E0210]"), "{err}");
    assert!(
        err.contains("help: write the unit next to the number: `2 m`"),
        "{err}"
    );
    assert!(err.contains("with 1 error"), "{err}");
}

#[test]
fn json_has_one_object_per_diagnostic() {
    let f = temp_file(
        "json.plant",
        "node A {\n    out y: m = 1 s\n    out z: m = q\n}\n",
    );
    let (code, out, _) = plantc(&["check", &f, "--format", "json"]);
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["code"], "E0204");
    assert_eq!(lines[0]["severity"], "error");
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(lines[0]["column"], 16);
    assert_eq!(lines[1]["code"], "E0100");
    assert!(lines[1]["file"].as_str().unwrap().ends_with("json.plant"));
    for key in [
        "message",
        "start",
        "end",
        "end_line",
        "end_column",
        "label",
        "help",
    ] {
        assert!(lines[0].get(key).is_some(), "missing {key}");
    }
}

#[test]
fn emit_ir_prints_the_flat_model() {
    let (code, out, _) = plantc(&["check", "../examples/tank.plant", "--emit", "ir"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("model Line"), "{out}");
    assert!(
        out.contains("der tank.h = (tank.inflow - tank.outflow) / tank.area"),
        "{out}"
    );
    let (code, out, _) = plantc(&["check", "../examples/tank.plant", "--emit", "ir-json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("ir json");
    assert_eq!(v["name"], "Line");
}

#[test]
fn emit_clif_prints_the_native_functions() {
    let (code, out, _) = plantc(&["check", "../examples/cartpole.plant", "--emit", "clif"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("; plant CartPoleV1"), "{out}");
    for f in [
        "plant_reset",
        "plant_tick",
        "plant_step",
        "plant_observe",
        "plant_batch",
    ] {
        assert!(out.contains(&format!("; {f}\n")), "{f} missing");
    }
    // CartPole's cos and sin are calls of registered libm symbols.
    assert!(out.contains("call"), "{out}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let (code, _, err) = plantc(&["check", "no/such/file.plant", "--color", "never"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("E0005") && err.contains("no/such/file.plant"),
        "{err}"
    );
}

#[test]
fn explain_prints_long_text_and_rejects_unknown_codes() {
    let (code, out, _) = plantc(&["explain", "e200"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("E0200: mismatched units (units)"), "{out}");
    assert!(out.contains("Example:"));
    let (code, out, _) = plantc(&["explain"]);
    assert_eq!(code, 0);
    assert!(out.contains("E0305  algebraic loop"), "{out}");
    let (code, _, err) = plantc(&["explain", "E9999"]);
    assert_eq!(code, 1);
    assert!(err.contains("not a plantc diagnostic code"));
}
