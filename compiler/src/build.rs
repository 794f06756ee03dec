//! From source to a runnable [`plant_runtime::Model`]: check, lower, lay out, and build a
//! kernel (native code from [`crate::codegen`] or the reference [`crate::interp`]).
//!
//! This is the embedding API: `plantc::compile_file("examples/cartpole.plant")` gives a
//! model ready for `plant_runtime::Env::new`.

use std::sync::Arc;

use plant_runtime::Model;

use crate::diagnostics::{Diagnostic, codes, has_errors};
use crate::driver::{CompileError, Session};
use crate::ir;
use crate::layout;
use crate::syntax::ast::Span;

/// Which kernel runs the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// Native code generated with Cranelift (the default).
    #[default]
    Jit,
    /// The reference interpreter (slow; the oracle the native code is tested against).
    Interp,
}

/// How to compile.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The plant to build, when the file defines several.
    pub plant: Option<String>,
    pub backend: Backend,
}

/// Compile the only plant of a file to native code.
pub fn compile_file(path: &str) -> Result<Model, CompileError> {
    compile_file_with(path, &Options::default())
}

/// Compile the only plant of some source text (`path` names it in diagnostics).
pub fn compile_str(path: &str, text: &str) -> Result<Model, CompileError> {
    compile_str_with(path, text, &Options::default())
}

pub fn compile_file_with(path: &str, options: &Options) -> Result<Model, CompileError> {
    let mut s = Session::new();
    let Some(f) = s.load(path) else {
        return Err(CompileError::new(&s, s.load_diagnostics().to_vec()));
    };
    finish(&s, f, options)
}

pub fn compile_str_with(path: &str, text: &str, options: &Options) -> Result<Model, CompileError> {
    let mut s = Session::new();
    let f = s.set_source(path, text.to_string());
    finish(&s, f, options)
}

fn finish(s: &Session, f: crate::db::SourceFile, options: &Options) -> Result<Model, CompileError> {
    let diags = s.diagnostics(f);
    if has_errors(&diags) {
        return Err(CompileError::new(s, diags));
    }
    let models = s.models(f);
    let path = f.path(&s.db).clone();
    let model = pick_plant(&models, options.plant.as_deref()).map_err(|message| {
        let mut d = Diagnostic::error(
            codes::PLANT_NOT_FOUND,
            message,
            path.clone(),
            Span { start: 0, end: 0 },
            "in this file",
        );
        let names: Vec<String> = models.iter().map(|m| format!("`{}`", m.name)).collect();
        d = d.with_help(if names.is_empty() {
            "a runnable file defines a `plant` (nodes alone cannot run)".to_string()
        } else {
            format!("the plants here are {}", names.join(", "))
        });
        CompileError::new(s, vec![d])
    })?;
    build(model, options.backend).map_err(|message| {
        let d = Diagnostic::error(
            codes::PLANT_NOT_FOUND,
            format!("internal error while generating code: {message}"),
            path,
            model_span(&models, options),
            "this plant",
        );
        CompileError::new(s, vec![d])
    })
}

fn model_span(models: &[Arc<ir::Model>], options: &Options) -> Span {
    pick_plant(models, options.plant.as_deref())
        .map(|m| m.source.span())
        .unwrap_or(Span { start: 0, end: 0 })
}

/// The plant to build: the named one, or the only one.
fn pick_plant(models: &[Arc<ir::Model>], name: Option<&str>) -> Result<Arc<ir::Model>, String> {
    match name {
        Some(n) => models
            .iter()
            .find(|m| m.name == n)
            .cloned()
            .ok_or_else(|| format!("there is no plant named `{n}`")),
        None => match models {
            [] => Err("this file defines no plant to run".into()),
            [m] => Ok(m.clone()),
            _ => Err("this file defines several plants: choose one by name".into()),
        },
    }
}

/// Lay out an IR model and build its kernel.
pub fn build(model: Arc<ir::Model>, backend: Backend) -> Result<Model, String> {
    let plan = layout::plan(&model);
    let info = plan.info.clone();
    let kernel: Arc<dyn plant_runtime::Kernel> = match backend {
        Backend::Interp => Arc::new(crate::interp::Interp::new(model, plan)),
        Backend::Jit => {
            Arc::new(crate::codegen::compile(&model, &plan).map_err(|e| e.to_string())?)
        }
    };
    Ok(Model::new(info, kernel))
}
