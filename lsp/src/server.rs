//! The protocol side: capabilities, and one handler per LSP method. Every handler takes the
//! world's lock, works synchronously, and lets go before talking to the client. A panic in
//! a handler (a bug) becomes an internal error answer, never a dead server.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use plantc::db::SourceFile;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::ide::{self, Text};
use crate::world::World;

pub struct Backend {
    client: Client,
    world: Arc<Mutex<World>>,
    /// The client registers file watchers on request (`workspace/didChangeWatchedFiles`).
    watch: AtomicBool,
}

fn request_failed(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::ServerError(-32803), // RequestFailed
        message: message.into().into(),
        data: None,
    }
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            world: Arc::new(Mutex::new(World::new(None))),
            watch: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A handler that panicked left the state as consistent as salsa keeps it.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run `f` on the world; a panic becomes an internal error.
    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> Result<T> {
        let mut w = self.lock();
        catch_unwind(AssertUnwindSafe(|| f(&mut w))).map_err(|p| {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            eprintln!("plant-lsp: internal error: {what}");
            Error::internal_error()
        })
    }

    /// Run `f` on a document's file and the byte offset of a position; `None` when the
    /// document is unknown.
    fn at<T>(
        &self,
        uri: &Uri,
        pos: Position,
        f: impl FnOnce(&World, SourceFile, usize) -> Option<T>,
    ) -> Result<Option<T>> {
        self.with(|w| {
            let path = w.path_of(uri);
            let file = w.file(&path)?;
            let offset = Text::new(file.text(&w.session.db)).offset(pos);
            f(w, file, offset)
        })
    }

    fn file_of(&self, uri: &Uri) -> Result<Option<SourceFile>> {
        self.with(|w| {
            let path = w.path_of(uri);
            w.file(&path)
        })
    }

    /// Publish the diagnostics of every open document (and the files they import).
    async fn publish(&self) {
        let batches = self.with(|w| {
            let by_file = w.diagnostics();
            by_file
                .into_iter()
                .filter_map(|(path, diags)| {
                    let uri = w.uri_of(&path)?;
                    let version = w.docs.get(&path).map(|d| d.version);
                    let diags = diags.iter().map(|d| ide::to_lsp_diagnostic(w, d)).collect();
                    Some((uri, diags, version))
                })
                .collect::<Vec<_>>()
        });
        if let Ok(batches) = batches {
            for (uri, diags, version) in batches {
                self.client.publish_diagnostics(uri, diags, version).await;
            }
        }
    }

    /// `plant/executionLog`: the salsa queries executed since the last call, and the
    /// database ids of the files (to show that an edit re-checks only what depends on it).
    pub async fn execution_log(&self) -> Result<Value> {
        self.with(|w| {
            let log = w.session.db.take_execution_log();
            let files: serde_json::Map<String, Value> = w
                .files()
                .iter()
                .map(|f| {
                    (
                        f.path(&w.session.db).clone(),
                        Value::String(format!("{:?}", salsa::plumbing::AsId::as_id(f))),
                    )
                })
                .collect();
            serde_json::json!({ "executed": log, "files": files })
        })
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let mut roots = Vec::new();
        for f in params.workspace_folders.iter().flatten() {
            if let Some(p) = f.uri.to_file_path() {
                roots.push(p.into_owned());
            }
        }
        #[allow(deprecated)] // older clients send only `rootUri`
        if roots.is_empty()
            && let Some(p) = params.root_uri.as_ref().and_then(|u| u.to_file_path())
        {
            roots.push(p.into_owned());
        }
        self.with(|w| {
            w.std_dir = crate::stdlib::materialize();
            w.roots = roots;
            w.scan();
        })?;
        let watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        self.watch.store(watch, Ordering::Relaxed);
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "plant-lsp".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(PositionEncodingKind::UTF16),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        ..Default::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![
                        ".".to_string(),
                        ":".to_string(),
                        "(".to_string(),
                        ",".to_string(),
                    ]),
                    ..Default::default()
                }),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: crate::tokens::legend(),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            work_done_progress_options: Default::default(),
                        },
                    ),
                ),
                inlay_hint_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..Default::default()
                    },
                )),
                ..Default::default()
            },
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if self.watch.load(Ordering::Relaxed) {
            let options = serde_json::json!({
                "watchers": [{ "globPattern": "**/*.plant" }]
            });
            let _ = self
                .client
                .register_capability(vec![Registration {
                    id: "plant-watch".to_string(),
                    method: "workspace/didChangeWatchedFiles".to_string(),
                    register_options: Some(options),
                }])
                .await;
        }
        self.client
            .log_message(
                MessageType::INFO,
                format!("plant-lsp {} ready", env!("CARGO_PKG_VERSION")),
            )
            .await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let d = params.text_document;
        let _ = self.with(|w| w.open(d.uri, d.version, d.text));
        self.publish().await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let d = params.text_document;
        let _ = self.with(|w| w.change(&d.uri, d.version, params.content_changes));
        self.publish().await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let _ = self.with(|w| w.close(&params.text_document.uri));
        self.publish().await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let _ = self.with(|w| {
            let paths: Vec<String> = params.changes.iter().map(|c| w.path_of(&c.uri)).collect();
            let structural = params
                .changes
                .iter()
                .any(|c| c.typ != FileChangeType::CHANGED);
            w.disk_changed(&paths, structural);
        });
        self.publish().await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        self.at(&p.text_document.uri, p.position, |w, f, o| {
            ide::hover(w, f, o)
        })
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        self.at(&p.text_document.uri, p.position, |w, f, o| {
            ide::definition(w, f, o).map(GotoDefinitionResponse::Scalar)
        })
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let include = params.context.include_declaration;
        self.at(&p.text_document.uri, p.position, |w, f, o| {
            Some(ide::references(w, f, o, include))
        })
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        match self.at(&params.text_document.uri, params.position, |w, f, o| {
            Some(ide::prepare_rename(w, f, o))
        })? {
            Some(Ok(range)) => Ok(Some(PrepareRenameResponse::Range(range))),
            Some(Err(why)) => Err(request_failed(why)),
            None => Ok(None),
        }
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let name = params.new_name;
        match self.at(&p.text_document.uri, p.position, |w, f, o| {
            Some(ide::rename(w, f, o, &name))
        })? {
            Some(Ok(edit)) => Ok(Some(edit)),
            Some(Err(why)) => Err(request_failed(why)),
            None => Ok(None),
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        self.at(&p.text_document.uri, p.position, |w, f, o| {
            Some(CompletionResponse::Array(crate::completion::completion(
                w, f, o,
            )))
        })
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.with(|w| {
            let path = w.path_of(&params.text_document.uri);
            let f = w.file(&path)?;
            Some(DocumentSymbolResponse::Nested(ide::document_symbols(w, f)))
        })
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        self.with(|w| {
            Some(WorkspaceSymbolResponse::Flat(ide::workspace_symbols(
                w,
                &params.query,
            )))
        })
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.with(|w| {
            let path = w.path_of(&params.text_document.uri);
            let f = w.file(&path)?;
            Some(SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data: crate::tokens::semantic_tokens(w, f),
            }))
        })
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.with(|w| {
            let path = w.path_of(&params.text_document.uri);
            let f = w.file(&path)?;
            let t = Text::new(f.text(&w.session.db));
            let span = t.index.span(t.text, params.range);
            Some(ide::inlay_hints(w, f, Some(span)))
        })
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let f = self.file_of(&params.text_document.uri)?;
        match f {
            Some(f) => self.with(|w| Some(ide::folding_ranges(w, f))),
            None => Ok(None),
        }
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let r = self.with(|w| {
            let path = w.path_of(&params.text_document.uri);
            let doc = w.docs.get(&path)?;
            if doc.readonly {
                return Some(Err(format!("`{path}` is part of the standard library")));
            }
            Some(ide::formatting(&path, &doc.text))
        })?;
        match r {
            None => Ok(None),
            Some(Ok(edits)) => Ok(Some(edits)),
            Some(Err(why)) => Err(request_failed(why)),
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.with(|w| {
            let path = w.path_of(&params.text_document.uri);
            let f = w.file(&path)?;
            let t = Text::new(f.text(&w.session.db));
            let span = t.index.span(t.text, params.range);
            Some(ide::code_actions(w, f, span))
        })
    }
}
