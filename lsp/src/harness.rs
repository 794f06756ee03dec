//! An in-memory LSP client for tests and benchmarks: the real server ([`crate::serve`]) runs
//! on its own thread, connected by in-memory pipes carrying the real wire format
//! (`Content-Length` headers and JSON-RPC). Calls are synchronous, every wait has a
//! deadline, and requests the server sends to the client are answered with `null`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// How long any answer may take before a call fails (generous: debug builds, busy CI).
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Harness {
    rt: tokio::runtime::Runtime,
    reader: BufReader<tokio::io::ReadHalf<DuplexStream>>,
    writer: tokio::io::WriteHalf<DuplexStream>,
    next_id: i64,
    /// Messages from the server not consumed yet (notifications, mostly).
    pub inbox: VecDeque<Value>,
    server: Option<std::thread::JoinHandle<()>>,
}

/// A JSON-RPC error answer.
#[derive(Debug, Clone)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl Harness {
    /// Start a server (not initialized yet).
    pub fn start() -> Harness {
        let (client, server) = tokio::io::duplex(1 << 20);
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let (r, w) = tokio::io::split(server);
            rt.block_on(crate::serve(r, w));
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (r, w) = tokio::io::split(client);
        Harness {
            rt,
            reader: BufReader::new(r),
            writer: w,
            next_id: 1,
            inbox: VecDeque::new(),
            server: Some(handle),
        }
    }

    /// Start and initialize a server with the given workspace folder (if any).
    pub fn initialized(root: Option<&std::path::Path>) -> Harness {
        let mut h = Harness::start();
        let root_uri = root.map(file_uri);
        let folders = root_uri
            .as_ref()
            .map(|u| json!([{ "uri": u, "name": "root" }]))
            .unwrap_or(Value::Null);
        h.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "workspaceFolders": folders,
                "capabilities": {
                    "textDocument": { "publishDiagnostics": { "relatedInformation": true } },
                    "general": { "positionEncodings": ["utf-16"] }
                }
            }),
        )
        .expect("initialize");
        h.notify("initialized", json!({}));
        h
    }

    /// Send raw bytes (for malformed-input tests).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let w = &mut self.writer;
        self.rt.block_on(async {
            let _ = w.write_all(bytes).await;
            let _ = w.flush().await;
        });
    }

    pub fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.send_raw(framed.as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Send a request and wait for its answer.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(id)
    }

    /// Wait for the answer to request `id`.
    pub fn response(&mut self, id: i64) -> Result<Value, RpcError> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self
                .read(deadline)
                .unwrap_or_else(|| panic!("no answer to request {id} within {TIMEOUT:?}"));
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                if let Some(e) = msg.get("error") {
                    return Err(RpcError {
                        code: e["code"].as_i64().unwrap_or(0),
                        message: e["message"].as_str().unwrap_or("").to_string(),
                    });
                }
                return Ok(msg.get("result").cloned().unwrap_or(Value::Null));
            }
            self.inbox.push_back(msg);
        }
    }

    /// Wait for a notification matching `pred` (looking at the inbox first).
    pub fn notification(
        &mut self,
        method: &str,
        mut pred: impl FnMut(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(i) = self
            .inbox
            .iter()
            .position(|m| m["method"] == method && pred(&m["params"]))
        {
            return self.inbox.remove(i).map(|m| m["params"].clone());
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.read(deadline)?;
            if msg["method"] == method && pred(&msg["params"]) {
                return Some(msg["params"].clone());
            }
            self.inbox.push_back(msg);
        }
    }

    /// The next `publishDiagnostics` for a URI (its `diagnostics` array).
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let params = self
            .notification("textDocument/publishDiagnostics", |p| p["uri"] == uri)
            .unwrap_or_else(|| panic!("no diagnostics published for {uri}"));
        params["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The latest `publishDiagnostics` for a URI received so far (dropping older ones),
    /// or the next one when none is queued: the diagnostics of the document as the
    /// server holds it after every message sent before the last answered request.
    pub fn latest_diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let mut last = None;
        self.inbox.retain(|m| {
            let hit = m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri;
            if hit {
                last = Some(m["params"]["diagnostics"].clone());
            }
            !hit
        });
        match last {
            Some(d) => d.as_array().cloned().unwrap_or_default(),
            None => self.diagnostics(uri),
        }
    }

    /// Drop every queued message.
    pub fn drain(&mut self) {
        self.inbox.clear();
    }

    /// Read one message; server requests are answered with `null` here. `None` when the
    /// server closed the stream or the deadline passed.
    fn read(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reader = &mut self.reader;
            let msg = self
                .rt
                .block_on(async { tokio::time::timeout(left, read_message(reader)).await })
                .ok()??;
            if msg.get("method").is_some() && msg.get("id").is_some() {
                // A request from the server (registerCapability, ...): accept it.
                let answer = json!({ "jsonrpc": "2.0", "id": msg["id"], "result": null });
                self.send(&answer);
                continue;
            }
            return Some(msg);
        }
    }

    /// `shutdown` and `exit`, then wait for the server thread.
    pub fn shutdown(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if let Some(h) = self.server.take() {
            let _ = h.join();
        }
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "plant", "version": 1, "text": text } }),
        );
    }

    pub fn change_full(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// Replace a range (`[line, character]` pairs, UTF-16) with text.
    pub fn change_range(
        &mut self,
        uri: &str,
        version: i32,
        start: (u32, u32),
        end: (u32, u32),
        text: &str,
    ) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": {
                        "start": { "line": start.0, "character": start.1 },
                        "end": { "line": end.0, "character": end.1 }
                    },
                    "text": text
                }]
            }),
        );
    }
}

async fn read_message(reader: &mut BufReader<tokio::io::ReadHalf<DuplexStream>>) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}

/// The `file:` URI of a path (made absolute).
pub fn file_uri(path: &std::path::Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    tower_lsp_server::ls_types::Uri::from_file_path(&abs)
        .map(|u| u.as_str().to_string())
        .unwrap_or_else(|| format!("file://{}", abs.display()))
}

/// A position as JSON.
pub fn pos(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

/// The (line, UTF-16 character) of the first occurrence of `needle` in `text`, plus
/// `delta` characters.
pub fn find(text: &str, needle: &str, delta: u32) -> (u32, u32) {
    let off = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    let ix = crate::line_index::LineIndex::new(text);
    let p = ix.position(text, off);
    (p.line, p.character + delta)
}
