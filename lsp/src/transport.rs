//! The wire: `Content-Length` framed JSON-RPC on a pair of byte streams.
//!
//! This replaces `tower_lsp_server::Server` because that transport stops reading for good
//! after one undecodable message (its framed reader ends on a decode error), so a client
//! sending one malformed body would silently kill the server. Here every bad frame is
//! answered (JSON-RPC `-32700` parse error or `-32600` invalid request, `id: null` when none
//! can be read) and the next frame is read as usual.
//!
//! Requests and notifications are handled one at a time, in arrival order (edits,
//! diagnostics and answers never overtake each other), while responses from the client to
//! the server's own requests keep flowing.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tower::Service;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{ClientSocket, LspService};

use crate::Backend;

/// Bodies larger than this are refused (and skipped).
const MAX_BODY: usize = 256 << 20;

enum Frame {
    Body(Vec<u8>),
    /// Headers without a usable `Content-Length`: why.
    Bad(String),
    Eof,
}

async fn read_frame<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> Frame {
    let mut len: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        match r.read_line(&mut line).await {
            Ok(0) => return Frame::Eof,
            Ok(_) => {}
            Err(e) => {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    return Frame::Bad("a header is not UTF-8".to_string());
                }
                return Frame::Eof;
            }
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !saw_header {
                continue; // stray blank line between messages
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                len = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("invalid Content-Length `{}`", value.trim())),
                );
            }
        } else {
            return Frame::Bad(format!(
                "not a header: `{}`",
                line.chars().take(40).collect::<String>()
            ));
        }
    }
    let len = match len {
        None => return Frame::Bad("missing Content-Length header".to_string()),
        Some(Err(e)) => return Frame::Bad(e),
        Some(Ok(n)) => n,
    };
    if len > MAX_BODY {
        // Skip it without keeping it.
        let mut left = len as u64;
        let mut sink = tokio::io::sink();
        let mut take = (&mut *r).take(left);
        left -= tokio::io::copy(&mut take, &mut sink).await.unwrap_or(left);
        if left > 0 {
            return Frame::Eof;
        }
        return Frame::Bad(format!("message of {len} bytes is too large"));
    }
    let mut body = vec![0; len];
    if r.read_exact(&mut body).await.is_err() {
        return Frame::Eof;
    }
    Frame::Body(body)
}

fn error_json(id: Value, code: i64, message: &str) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } }).to_string()
}

/// Serve the protocol on a pair of streams until the client sends `exit` or the input ends.
pub async fn serve<I, O>(input: I, output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let (service, socket): (LspService<Backend>, ClientSocket) = LspService::build(Backend::new)
        .custom_method("plant/executionLog", Backend::execution_log)
        .finish();
    let (mut to_client, mut from_client) = socket.split();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (task_tx, mut task_rx) = tokio::sync::mpsc::unbounded_channel::<Request>();

    let write = async move {
        let mut output = output;
        while let Some(body) = out_rx.recv().await {
            let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
            if output.write_all(frame.as_bytes()).await.is_err() || output.flush().await.is_err() {
                break; // the client is gone
            }
        }
    };

    let out = out_tx.clone();
    let server_requests = async move {
        while let Some(req) = to_client.next().await {
            if let Ok(s) = serde_json::to_string(&req) {
                let _ = out.send(s);
            }
        }
    };

    let out = out_tx.clone();
    let process = async move {
        let mut service = service;
        while let Some(req) = task_rx.recv().await {
            let exit = req.method() == "exit";
            if futures::future::poll_fn(|cx| service.poll_ready(cx))
                .await
                .is_err()
            {
                break;
            }
            if let Ok(Some(resp)) = service.call(req).await
                && let Ok(s) = serde_json::to_string(&resp)
            {
                let _ = out.send(s);
            }
            if exit {
                break;
            }
        }
    };

    let out = out_tx;
    let read = async move {
        let mut input = BufReader::new(input);
        loop {
            let body = match read_frame(&mut input).await {
                Frame::Eof => break,
                Frame::Bad(why) => {
                    let _ = out.send(error_json(Value::Null, -32700, &why));
                    continue;
                }
                Frame::Body(b) => b,
            };
            let value: Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => {
                    let _ = out.send(error_json(
                        Value::Null,
                        -32700,
                        &format!("parse error: {e}"),
                    ));
                    continue;
                }
            };
            let id = value.get("id").cloned().unwrap_or(Value::Null);
            if value.get("method").is_some() {
                match serde_json::from_value::<Request>(value) {
                    Ok(req) => {
                        let exit = req.method() == "exit";
                        if task_tx.send(req).is_err() || exit {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = out.send(error_json(id, -32600, &format!("invalid request: {e}")));
                    }
                }
            } else if value.get("result").is_some() || value.get("error").is_some() {
                // A response we cannot read has nobody to answer.
                if let Ok(resp) = serde_json::from_value::<Response>(value)
                    && from_client.send(resp).await.is_err()
                {
                    break;
                }
            } else {
                let _ = out.send(error_json(id, -32600, "invalid request: no method"));
            }
        }
    };

    tokio::join!(write, server_requests, process, read);
}
