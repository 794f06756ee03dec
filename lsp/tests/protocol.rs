//! The language server driven through the protocol (the real wire format over in-memory
//! pipes, see `plant_lsp::harness`) on the real example files: open, change, diagnostics,
//! hover, definition, references, rename, completion, formatting, symbols, tokens, inlay
//! hints, folding, code actions, UTF-16 positions, and bad input.

use std::path::PathBuf;

use plant_lsp::harness::{Harness, file_uri, find, pos};
use serde_json::{Value, json};

fn examples() -> PathBuf {
    std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples")).unwrap()
}

fn tank() -> (PathBuf, String, String) {
    let path = examples().join("tank.plant");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = file_uri(&path);
    (path, text, uri)
}

/// A fresh temporary directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("plant-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::canonicalize(&d).unwrap()
}

fn at(uri: &str, p: (u32, u32)) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos(p.0, p.1) })
}

fn hover_text(h: &mut Harness, uri: &str, p: (u32, u32)) -> String {
    let r = h.request("textDocument/hover", at(uri, p)).unwrap();
    r["contents"]["value"].as_str().unwrap_or("").to_string()
}

#[test]
fn open_change_and_diagnostics() {
    let (_, text, uri) = tank();
    let mut h = Harness::initialized(Some(&examples()));
    h.open(&uri, &text);
    assert!(h.diagnostics(&uri).is_empty(), "the example is clean");

    // A unit error: `k * speed` is L/s; make the out port a length.
    let broken = text.replace("out flow: L/s = k * speed", "out flow: m = k * speed");
    h.change_full(&uri, 2, &broken);
    let d = h.diagnostics(&uri);
    // The port's definition, and the bond from it into the tank.
    let codes: Vec<&str> = d.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["E0204", "E0304"], "{d:#?}");
    assert_eq!(d[0]["source"], "plantc");
    assert_eq!(
        d[0]["message"],
        "port `flow` is in `m` (length), but this value is in `m^3/s` (volume flow)"
    );
    let line = broken
        .lines()
        .position(|l| l.contains("out flow: m"))
        .unwrap() as u64;
    assert_eq!(d[0]["range"]["start"]["line"], line);

    // Fix it with an incremental edit: replace `m` by `L/s`.
    let (l, c) = find(&broken, "out flow: m", "out flow: ".len() as u32);
    h.change_range(&uri, 3, (l, c), (l, c + 1), "L/s");
    assert!(h.diagnostics(&uri).is_empty());
    h.shutdown();
}

/// The diagnostics of every file of the UI corpus are those of `plantc check` (the same
/// session code): code, message and range.
#[test]
fn diagnostics_match_plantc_check_on_the_corpus() {
    let root = std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/../compiler/tests/ui"))
        .unwrap();
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "plant") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() > 100);
    let mut h = Harness::initialized(None);
    let mut compared = 0;
    for (n, path) in files.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // the corpus has a non-UTF-8 file on purpose
        };
        let p = path.to_string_lossy().to_string();
        // What `plantc check FILE` reports for this file.
        let mut s = plantc::driver::Session::new();
        let f = s.load(&p).unwrap();
        let expected: Vec<(String, String, Value)> = s
            .diagnostics(f)
            .into_iter()
            .filter(|d| d.primary.file == p)
            .map(|d| {
                let ix = plant_lsp::line_index::LineIndex::new(&text);
                let r = ix.range(&text, d.primary.span);
                (
                    d.code.to_string(),
                    d.message.clone(),
                    serde_json::to_value(r).unwrap(),
                )
            })
            .collect();
        let uri = file_uri(path);
        h.open(&uri, &text);
        let got: Vec<(String, String, Value)> = h
            .diagnostics(&uri)
            .into_iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["message"].as_str().unwrap().to_string(),
                    d["range"].clone(),
                )
            })
            .collect();
        assert_eq!(got, expected, "{p}");
        h.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
        compared += expected.len();
        if n % 50 == 49 {
            h.drain();
        }
    }
    assert!(compared > 100, "compared {compared} diagnostics");
    h.shutdown();
}

#[test]
fn hover_definition_and_references() {
    let (_, text, uri) = tank();
    let mut h = Harness::initialized(Some(&examples()));
    h.open(&uri, &text);
    h.diagnostics(&uri);

    // A port through an instance: declared unit, kind and owner.
    let hv = hover_text(&mut h, &uri, find(&text, "belt.flow", 6));
    assert!(hv.contains("flow: L/s (out port of Belt)"), "{hv}");
    assert!(hv.contains("SI: m^3/s, volume flow"), "{hv}");

    // A stdlib node: its doc, and its definition in the stdlib copy.
    let hv = hover_text(&mut h, &uri, find(&text, "Tank(area", 1));
    assert!(hv.contains("node Tank"), "{hv}");
    assert!(hv.contains("free surface"), "the doc comment: {hv}");
    let def = h
        .request(
            "textDocument/definition",
            at(&uri, find(&text, "Tank(area", 1)),
        )
        .unwrap();
    let target = def["uri"].as_str().unwrap();
    assert!(target.ends_with("/process.plant"), "{def}");
    let path = target.strip_prefix("file://").unwrap();
    let std_text = std::fs::read_to_string(path).unwrap();
    let line = def["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(std_text.lines().nth(line).unwrap().contains("node Tank"));

    // An expression: the inferred unit.
    let hv = hover_text(&mut h, &uri, find(&text, "- 1 m) / 1 m", 0));
    assert!(hv.contains(": m"), "{hv}");

    // A parameter used in the node, in an instantiation and declared: all references.
    let refs = h
        .request(
            "textDocument/references",
            json!({
                "textDocument": { "uri": uri },
                "position": pos(find(&text, "k * speed", 0).0, find(&text, "k * speed", 0).1),
                "context": { "includeDeclaration": true }
            }),
        )
        .unwrap();
    let lines: Vec<u64> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    let decl = find(&text, "param k:", 6).0 as u64;
    let use_ = find(&text, "k * speed", 0).0 as u64;
    let arg = find(&text, "Belt(k:", 5).0 as u64;
    for l in [decl, use_, arg] {
        assert!(lines.contains(&l), "line {l} in {lines:?}");
    }

    // References to a stdlib node across files: the example and the stdlib itself.
    let refs = h
        .request(
            "textDocument/references",
            json!({
                "textDocument": { "uri": uri },
                "position": pos(find(&text, "Tank(area", 1).0, find(&text, "Tank(area", 1).1),
                "context": { "includeDeclaration": true }
            }),
        )
        .unwrap();
    let uris: Vec<&str> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap())
        .collect();
    assert!(uris.iter().any(|u| u.ends_with("/process.plant")));
    assert!(uris.iter().any(|u| u.ends_with("/tank.plant")));
    h.shutdown();
}

#[test]
fn rename_and_refusal() {
    let (_, text, uri) = tank();
    let mut h = Harness::initialized(Some(&examples()));
    h.open(&uri, &text);
    h.diagnostics(&uri);
    let p = find(&text, "belt = Belt", 0);
    let prep = h
        .request("textDocument/prepareRename", at(&uri, p))
        .unwrap();
    assert_eq!(prep["start"]["line"], p.0);
    let edit = h
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": pos(p.0, p.1), "newName": "conveyor" }),
        )
        .unwrap();
    let edits = edit["changes"][&uri].as_array().unwrap();
    // `belt = Belt(...)`, `bond belt.flow`, `-> belt.speed`.
    assert_eq!(edits.len(), 3, "{edit:#}");
    assert!(edits.iter().all(|e| e["newText"] == "conveyor"));

    // Stdlib symbols are refused, with a reason.
    let p = find(&text, "Tank(area", 1);
    let err = h
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": pos(p.0, p.1), "newName": "Vessel" }),
        )
        .unwrap_err();
    assert!(err.message.contains("standard library"), "{err:?}");
    let err = h
        .request("textDocument/prepareRename", at(&uri, p))
        .unwrap_err();
    assert!(err.message.contains("cannot be renamed"), "{err:?}");
    // Not a name.
    let p = find(&text, "belt = Belt", 0);
    let err = h
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri }, "position": pos(p.0, p.1), "newName": "when" }),
        )
        .unwrap_err();
    assert!(err.message.contains("not a valid name"), "{err:?}");
    h.shutdown();
}

fn labels(r: &Value) -> Vec<String> {
    let items = if r.is_array() { r } else { &r["items"] };
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion_contexts() {
    let (_, text, uri) = tank();
    let mut h = Harness::initialized(Some(&examples()));
    // Members after `tank.`.
    let edited = text.replace("observe tank.level", "observe tank.");
    h.open(&uri, &edited);
    h.diagnostics(&uri);
    let p = find(&edited, "observe tank.", "observe tank.".len() as u32);
    let r = h.request("textDocument/completion", at(&uri, p)).unwrap();
    let l = labels(&r);
    for want in ["level", "volume", "inflow", "area"] {
        assert!(l.contains(&want.to_string()), "{want} in {l:?}");
    }

    // Units after `:`.
    let edited = text.replace("    in speed: rpm", "    in speed: ");
    h.change_full(&uri, 2, &edited);
    let p = find(&edited, "    in speed: ", "    in speed: ".len() as u32);
    let l = labels(&h.request("textDocument/completion", at(&uri, p)).unwrap());
    for want in ["rpm", "m", "L", "kPa"] {
        assert!(l.contains(&want.to_string()), "{want} in units");
    }

    // Parameter names inside an instantiation.
    let edited = text.replace("drain = Valve(max_flow: 5 L/s)", "drain = Valve()");
    h.change_full(&uri, 3, &edited);
    let p = find(&edited, "Valve()", "Valve(".len() as u32);
    let r = h.request("textDocument/completion", at(&uri, p)).unwrap();
    assert_eq!(labels(&r), vec!["max_flow"]);
    assert_eq!(r[0]["insertText"], "max_flow: ");

    // Keywords and node types at the start of a member.
    let p = find(&edited, "    drain = Valve()", 4);
    let l = labels(&h.request("textDocument/completion", at(&uri, p)).unwrap());
    for want in ["param", "bond", "Tank", "Belt", "sqrt"] {
        assert!(l.contains(&want.to_string()), "{want} in {l:?}");
    }
    h.shutdown();
}

#[test]
fn formatting_and_refusal() {
    let (_, text, uri) = tank();
    let mut h = Harness::initialized(None);
    let messy = text
        .replace("    dt 0.1 s", "  dt   0.1   s")
        .replace("k * speed", "k*speed");
    h.open(&uri, &messy);
    h.diagnostics(&uri);
    let r = h
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
        )
        .unwrap();
    let edits = r.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], text.as_str());
    // Formatted already: no edits.
    h.change_full(&uri, 2, &text);
    let r = h
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
        )
        .unwrap();
    assert_eq!(r, json!([]));
    // Syntax errors: refused with a message.
    h.change_full(&uri, 3, "node N { param }\n");
    let e = h
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
        )
        .unwrap_err();
    assert!(e.message.contains("syntax error"), "{e:?}");
    h.shutdown();
}

#[test]
fn outline_tokens_hints_folding() {
    let path = examples().join("cascade.plant");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = file_uri(&path);
    let mut h = Harness::initialized(Some(&examples()));
    h.open(&uri, &text);
    h.diagnostics(&uri);
    let doc = json!({ "textDocument": { "uri": uri } });

    let syms = h
        .request("textDocument/documentSymbol", doc.clone())
        .unwrap();
    let names: Vec<&str> = syms
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Cascade", "Tanks"]);
    let children: Vec<&str> = syms[1]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        children.contains(&"cascade") && children.contains(&"supervisor"),
        "{children:?}"
    );

    let ws = h
        .request("workspace/symbol", json!({ "query": "tank" }))
        .unwrap();
    let names: Vec<&str> = ws
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Tank") && names.contains(&"Tanks"),
        "{names:?}"
    );

    let toks = h
        .request("textDocument/semanticTokens/full", doc.clone())
        .unwrap();
    let data = toks["data"].as_array().unwrap();
    assert!(data.len() > 100 && data.len().is_multiple_of(5));

    let folds = h.request("textDocument/foldingRange", doc.clone()).unwrap();
    assert!(folds.as_array().unwrap().len() >= 4);

    // An untyped `let` gets its inferred unit as a hint.
    let with_let = text.replace(
        "    out first: m = h[0]",
        "    let drop = h[0] - h[1]\n    out first: m = h[0]",
    );
    h.change_full(&uri, 2, &with_let);
    h.diagnostics(&uri);
    let r = h
        .request(
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": uri }, "range": { "start": pos(0, 0), "end": pos(999, 0) } }),
        )
        .unwrap();
    let hints = r.as_array().unwrap();
    assert_eq!(hints.len(), 1, "{r:#}");
    assert_eq!(hints[0]["label"], ": m");
    assert_eq!(
        hints[0]["position"]["line"],
        find(&with_let, "let drop", 0).0
    );
    h.shutdown();
}

#[test]
fn code_actions_for_checker_fixes() {
    let (_, text, uri) = tank();
    let mut h = Harness::initialized(None);
    let broken = text
        .replace(
            "bond drain.flow -> tank.outflow",
            "bond drain.flow -> tank.outflw",
        )
        .replace(
            "reward = -abs(tank.level - 1 m) / 1 m",
            "reward = -abs(tank.level - 1) / 1 m",
        );
    h.open(&uri, &broken);
    let diags = h.diagnostics(&uri);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"E0108"), "unknown member: {codes:?}");
    assert!(codes.contains(&"E0210"), "{codes:?}");
    let actions = h
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": { "start": pos(0, 0), "end": pos(999, 0) },
                "context": { "diagnostics": [] }
            }),
        )
        .unwrap();
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Replace `outflw` with `outflow`"),
        "{titles:?}"
    );
    assert!(titles.contains(&"Write `1 m`"), "{titles:?}");
    // Applying the edits fixes the file.
    let mut fixed = broken.clone();
    let mut edits: Vec<Value> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["edit"]["changes"][&uri][0].clone())
        .collect();
    edits.sort_by_key(|e| {
        std::cmp::Reverse((
            e["range"]["start"]["line"].as_u64(),
            e["range"]["start"]["character"].as_u64(),
        ))
    });
    for e in edits {
        let ix = plant_lsp::line_index::LineIndex::new(&fixed);
        let r: tower_lsp_server::ls_types::Range =
            serde_json::from_value(e["range"].clone()).unwrap();
        let span = ix.span(&fixed, r);
        fixed.replace_range(span.range(), e["newText"].as_str().unwrap());
    }
    assert_eq!(fixed, text);
    h.shutdown();
}

/// Positions are UTF-16: `µ`, `°`, an emoji and CJK comments before the error shift
/// byte offsets but not the reported columns.
#[test]
fn utf16_positions_with_non_ascii_text() {
    let dir = temp_dir("utf16");
    let text = "/// Pegel 水位 😀 — µ and °\n\nnode N {\n    param d: µm = 5 µm // 直径 😀😀\n    out y: m = d + 1 s /* ° */\n}\n";
    let path = dir.join("n.plant");
    std::fs::write(&path, text).unwrap();
    let uri = file_uri(&path);
    let mut h = Harness::initialized(None);
    h.open(&uri, text);
    let d = h.diagnostics(&uri);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0]["code"], "E0200");
    // `1 s` on line 4: column in UTF-16 units.
    let line = text.lines().nth(4).unwrap();
    let col = line[..line.find("1 s").unwrap()].encode_utf16().count();
    assert_eq!(d[0]["range"]["start"], pos(4, col as u32));
    assert_eq!(d[0]["range"]["end"], pos(4, col as u32 + 3));
    // Hover right after the emoji comment of line 3 still finds `d` on line 4.
    let hv = hover_text(&mut h, &uri, (4, line.find("d +").unwrap() as u32));
    assert!(hv.contains("d: µm (parameter of N)"), "{hv}");
    // An edit after the emoji on line 3 (UTF-16 column) lands at the right place.
    let l3 = text.lines().nth(3).unwrap();
    let end = l3.encode_utf16().count() as u32;
    h.change_range(&uri, 2, (3, end), (3, end), " 水");
    h.diagnostics(&uri);
    let syms = h
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        )
        .unwrap();
    assert_eq!(syms[0]["name"], "N");
    let hv = hover_text(&mut h, &uri, (4, line.find("d +").unwrap() as u32));
    assert!(hv.contains("d: µm"), "{hv}");
    h.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_input_gets_errors_not_crashes() {
    let mut h = Harness::initialized(None);
    // Unknown method.
    let e = h.request("plant/noSuchMethod", json!({})).unwrap_err();
    assert_eq!(e.code, -32601);
    // Invalid params.
    let e = h
        .request("textDocument/hover", json!({ "bogus": 1 }))
        .unwrap_err();
    assert_eq!(e.code, -32602);
    // Malformed JSON: a parse error, and the server goes on.
    h.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    // Requests about unknown documents: empty answers.
    let r = h
        .request("textDocument/hover", at("file:///nowhere/x.plant", (0, 0)))
        .unwrap();
    assert_eq!(r, Value::Null);
    let r = h
        .request("textDocument/definition", at("untitled:Untitled-1", (5, 5)))
        .unwrap();
    assert_eq!(r, Value::Null);
    // Positions far out of range.
    let (_, text, uri) = tank();
    h.open(&uri, &text);
    h.diagnostics(&uri);
    assert!(
        h.request("textDocument/hover", at(&uri, (99999, 99999)))
            .is_ok()
    );
    assert!(
        h.request("textDocument/completion", at(&uri, (0, 99999)))
            .is_ok()
    );
    // Changes to a document that is not open are ignored.
    h.change_full("file:///nowhere/y.plant", 2, "node {");
    assert!(h.request("textDocument/hover", at(&uri, (1, 1))).is_ok());
    h.shutdown();
}

#[test]
fn deleted_files_and_invalid_utf8_on_disk() {
    let dir = temp_dir("disk");
    std::fs::write(
        dir.join("lib.plant"),
        "node Pipe {\n    in q: m^3/s\n    out flow: m^3/s = q\n}\n",
    )
    .unwrap();
    // A module with invalid UTF-8 bytes.
    std::fs::write(
        dir.join("bad.plant"),
        b"node Bad {\n    param x: m = 1 m // \xff\xfe\n}\n",
    )
    .unwrap();
    let main = "use lib::Pipe\nuse bad::Bad\n\nnode M {\n    p = Pipe()\n    b = Bad()\n}\n";
    std::fs::write(dir.join("main.plant"), main).unwrap();
    let uri = file_uri(&dir.join("main.plant"));
    let bad_uri = file_uri(&dir.join("bad.plant"));
    let lib_uri = file_uri(&dir.join("lib.plant"));
    let mut h = Harness::initialized(Some(&dir));
    h.open(&uri, main);
    let bad = h.diagnostics(&bad_uri);
    assert!(bad.iter().any(|d| d["code"] == "E0004"), "{bad:#?}");

    // The imported file is deleted: the client says so; the importer reports it.
    std::fs::remove_file(dir.join("lib.plant")).unwrap();
    h.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": lib_uri, "type": 3 }] }),
    );
    let d = h
        .notification("textDocument/publishDiagnostics", |p| {
            p["uri"] == uri.as_str()
                && p["diagnostics"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|d| d["code"] == "E0103"))
        })
        .expect("missing module reported");
    assert!(!d["diagnostics"].as_array().unwrap().is_empty());

    // The open file itself is deleted on disk: it stays open and answers.
    std::fs::remove_file(dir.join("main.plant")).unwrap();
    h.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri, "type": 3 }] }),
    );
    let hv = h.request("textDocument/hover", at(&uri, (4, 4))).unwrap();
    // `Pipe` is gone with its file, but the instance is still there.
    assert!(
        hv["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("p: ? (instance of M)"),
        "{hv}"
    );
    h.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    let r = h.request("textDocument/hover", at(&uri, (4, 4))).unwrap();
    assert_eq!(r, Value::Null, "closed and gone: nothing to say");
    h.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}

/// Editing one file re-checks it and what imports it, not the other open files (shown
/// with the salsa execution log).
#[test]
fn unchanged_files_are_not_rechecked() {
    let dir = temp_dir("incr");
    let a = "node A {\n    param k: m = 1 m\n    out y: m = k\n}\n";
    let b = "node B {\n    param k: s = 1 s\n    out y: s = k\n}\n";
    let (pa, pb) = (dir.join("a.plant"), dir.join("b.plant"));
    std::fs::write(&pa, a).unwrap();
    std::fs::write(&pb, b).unwrap();
    let (ua, ub) = (file_uri(&pa), file_uri(&pb));
    let mut h = Harness::initialized(None);
    let executed = |h: &mut Harness| -> Vec<String> {
        let log = h.request("plant/executionLog", Value::Null).unwrap();
        log["executed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    // The query keys of `check_file` for a and for b, from their first checks.
    let checks = |log: &[String]| -> Vec<String> {
        log.iter()
            .filter(|e| e.starts_with("check_file("))
            .cloned()
            .collect()
    };
    executed(&mut h);
    h.open(&ua, a);
    h.diagnostics(&ua);
    let check_a = checks(&executed(&mut h));
    h.open(&ub, b);
    h.diagnostics(&ub);
    let check_b = checks(&executed(&mut h));
    assert_eq!(
        (check_a.len(), check_b.len()),
        (1, 1),
        "{check_a:?} {check_b:?}"
    );
    assert_ne!(check_a, check_b);

    h.change_full(&ua, 2, &a.replace("1 m", "2 m"));
    assert!(h.diagnostics(&ua).is_empty());
    let log = executed(&mut h);
    assert!(log.contains(&check_a[0]), "a.plant is re-checked: {log:?}");
    assert!(
        !log.contains(&check_b[0]),
        "b.plant is not re-checked: {log:?}"
    );
    assert_eq!(
        log.iter().filter(|e| e.starts_with("parse(")).count(),
        1,
        "only a.plant is parsed: {log:?}"
    );
    h.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}
