//! A real client: headless Neovim with `editors/nvim` talks to the real `plantc lsp`
//! (`editors/nvim/test/headless.lua` drives the session). It opens a file with a unit
//! error and must show the diagnostic with its code and range, answer a hover with a
//! unit, and clear the diagnostic once the line is fixed.
//!
//! Needs `nvim` (Debian's `neovim`, 0.7.2 or later); `.ci/run` installs it. Without it the
//! test fails on CI and is skipped (with a message) elsewhere.

use std::process::Command;
use std::time::{Duration, Instant};

const BAD: &str = "use std::process::Tank

plant P {
    dt 0.1 s
    tank = Tank()
    terminate when tank.level > 2
}
";

#[test]
fn neovim_shows_and_clears_a_unit_error_through_plantc_lsp() {
    if Command::new("nvim").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "nvim is missing on CI (.ci/run installs Debian's neovim)"
        );
        eprintln!("nvim not found: skipped (apt-get install neovim)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("plantc-nvim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.plant");
    std::fs::write(&file, BAD).unwrap();
    let out = dir.join("session.json");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rtp = root.join("editors/nvim");
    let script = rtp.join("test/headless.lua");

    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-u"])
        .arg(&script)
        .env("PLANTC", env!("CARGO_BIN_EXE_plantc"))
        .env("PLANT_FILE", &file)
        .env("PLANT_OUT", &out)
        .env("PLANT_RTP", &rtp)
        .env("PLANT_HOVER_LINE", "5")
        .env("PLANT_HOVER_COL", "26")
        .env("PLANT_FIX_LINE", "5")
        .env("PLANT_FIX_TEXT", "    terminate when tank.level > 2 m")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start nvim");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&out).expect("the session wrote its results");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["error"].is_null(), "{text}");
    assert_eq!(v["filetype"], "plant", "{text}");
    assert_eq!(v["got_diagnostics"], true, "{text}");
    let d = &v["diagnostics"][0];
    // Identical to `plantc check`: E0210 on the comparison `tank.level > 2`.
    let (_, _, check) = {
        let o = Command::new(env!("CARGO_BIN_EXE_plantc"))
            .args(["check", "--color", "never"])
            .arg(&file)
            .output()
            .unwrap();
        (
            o.status,
            (),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let code = d["code"].as_str().unwrap_or_default();
    assert!(
        !code.is_empty() && check.contains(&format!("error[{code}]")),
        "{text}\n{check}"
    );
    assert_eq!(code, "E0210", "{text}");
    assert_eq!(d["lnum"], 5, "{text}");
    let (col, end) = (d["col"].as_u64().unwrap(), d["end_col"].as_u64().unwrap());
    let line = BAD.lines().nth(5).unwrap();
    // The primary label is on the unitless `2` (UTF-16 columns; ASCII here).
    assert_eq!(&line[col as usize..end as usize], "2", "{text}");
    let hover = v["hover"].as_str().unwrap_or_default();
    assert!(
        hover.contains("level: m (out port of Tank)"),
        "hover shows the unit: {text}"
    );
    assert_eq!(v["cleared"], true, "{text}");
}
