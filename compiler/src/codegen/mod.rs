//! Native code for a model: Cranelift JIT functions implementing
//! [`plant_runtime::Kernel`] over the memory layout of [`crate::layout`], following the
//! execution rules of docs/language.md section 12 bit for bit (the reference interpreter,
//! [`crate::interp`], is the oracle the tests compare against).
//!
//! This is the only module that imports Cranelift. [`compile`] generates five functions
//! with the host's C calling convention:
//!
//! | function | signature |
//! |---|---|
//! | `plant_reset` | `(mem: *mut f64, rng: *mut Rng, overrides: *const f64)` |
//! | `plant_tick` | `(mem: *mut f64, rng: *mut Rng) -> u32` (a [`Status`] code) |
//! | `plant_step` | `(mem: *mut f64, rng: *mut Rng) -> u32` |
//! | `plant_observe` | `(mem: *mut f64, rng: *mut Rng)` |
//! | `plant_batch` | `(mems: *mut f64, rngs: *mut Rng, status: *mut u32, n: u64)` |
//!
//! `plant_batch` calls `plant_step` on each of `n` contiguous instances whose status is
//! not [`plant_runtime::SKIP`]. Draws call `plant_rng_uniform`/`plant_rng_normal`, and the
//! math functions without a Cranelift instruction call `plant_sin` etc., shims over the
//! same Rust functions the interpreter uses (see `shims.rs`). How values are kept in SSA
//! and which algebraic values are recomputed is described in `emit.rs`.

mod analysis;
mod emit;
mod shims;

use std::collections::HashMap;
use std::fmt;

use cranelift_codegen::ir::{AbiParam, Signature, Type, UserFuncName, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, isa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};
use plant_runtime::{Kernel, Rng, Status};

use crate::ir::Model;
use crate::layout::Plan;

use analysis::Analysis;
use emit::{Fx, Symbols};

/// Why a model could not be compiled to native code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodegenError {
    /// The model is outside what the code generator accepts (a malformed IR, or a
    /// construct the checker should have rejected).
    Unsupported(String),
    /// The host is not supported, or Cranelift failed.
    Backend(String),
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::Unsupported(m) => write!(f, "cannot generate code: {m}"),
            CodegenError::Backend(m) => write!(f, "code generation failed: {m}"),
        }
    }
}

impl std::error::Error for CodegenError {}

fn backend(e: impl fmt::Display) -> CodegenError {
    CodegenError::Backend(e.to_string())
}

type ResetFn = unsafe extern "C" fn(*mut f64, *mut Rng, *const f64);
type StepFn = unsafe extern "C" fn(*mut f64, *mut Rng) -> u32;
type ObserveFn = unsafe extern "C" fn(*mut f64, *mut Rng);
type BatchFn = unsafe extern "C" fn(*mut f64, *mut Rng, *mut u32, u64);

/// A model's native code: the JIT module that owns it and the entry points.
pub struct JitKernel {
    /// Owns the executable memory the function pointers point into; freed on drop.
    module: Option<JITModule>,
    slots: usize,
    nvars: usize,
    reset: ResetFn,
    tick: StepFn,
    step: StepFn,
    observe: ObserveFn,
    batch: BatchFn,
}

// SAFETY: after `compile` returns, the `JITModule` is never touched again until `drop`
// (it only keeps the code's memory alive), so sharing or sending the kernel cannot race
// on its internals (its `RefCell` symbol cache is used only while compiling). The
// generated functions keep no state of their own: everything they read or write is
// behind the pointers each call passes, which the safe methods below derive from
// exclusive borrows.
unsafe impl Send for JitKernel {}
// SAFETY: see `Send`: `&JitKernel` only gives access to the immutable function pointers.
unsafe impl Sync for JitKernel {}

impl Drop for JitKernel {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the function pointers into this memory are private fields of `self`,
            // which is being dropped, so none can be called afterwards, and no call can be
            // running since calls borrow `self`.
            unsafe { module.free_memory() };
        }
    }
}

impl JitKernel {
    fn check_mem(&self, mem: &[f64]) {
        assert!(
            mem.len() >= self.slots,
            "instance memory has {} slots, the model needs {}",
            mem.len(),
            self.slots
        );
    }
}

impl Kernel for JitKernel {
    fn reset(&self, mem: &mut [f64], rng: &mut Rng, overrides: &[f64]) {
        self.check_mem(mem);
        let padded;
        let ov = if overrides.len() >= self.nvars {
            overrides
        } else {
            let mut v = overrides.to_vec();
            v.resize(self.nvars, f64::NAN);
            padded = v;
            &padded
        };
        // SAFETY: `mem` has at least `slots` values and `ov` at least `nvars` (checked
        // above); the generated code reads and writes only within those, and `rng` is an
        // exclusive borrow of a live generator.
        unsafe { (self.reset)(mem.as_mut_ptr(), rng, ov.as_ptr()) }
    }

    fn step(&self, mem: &mut [f64], rng: &mut Rng) -> Status {
        self.check_mem(mem);
        // SAFETY: as in `reset`.
        Status::from_code(unsafe { (self.step)(mem.as_mut_ptr(), rng) })
    }

    fn tick(&self, mem: &mut [f64], rng: &mut Rng) -> Status {
        self.check_mem(mem);
        // SAFETY: as in `reset`.
        Status::from_code(unsafe { (self.tick)(mem.as_mut_ptr(), rng) })
    }

    fn observe(&self, mem: &mut [f64], rng: &mut Rng) {
        self.check_mem(mem);
        // SAFETY: as in `reset`.
        unsafe { (self.observe)(mem.as_mut_ptr(), rng) }
    }

    fn step_batch(&self, mems: &mut [f64], rngs: &mut [Rng], status: &mut [u32]) {
        let n = rngs.len();
        assert!(
            mems.len() >= n * self.slots && status.len() >= n,
            "step_batch: {n} generators need {} memory slots and {n} status codes",
            n * self.slots
        );
        // SAFETY: instance `i < n` occupies `mems[i * slots .. (i + 1) * slots]`, and
        // `rngs[i]` and `status[i]` exist (checked above); the slices are exclusive
        // borrows for the whole call.
        unsafe {
            (self.batch)(
                mems.as_mut_ptr(),
                rngs.as_mut_ptr(),
                status.as_mut_ptr(),
                n as u64,
            )
        }
    }

    fn name(&self) -> &str {
        "jit"
    }
}

/// The functions of a module, as declared.
struct Declared {
    syms: Symbols,
    reset: FuncId,
    tick: FuncId,
    step: FuncId,
    observe: FuncId,
    batch: FuncId,
}

fn host_isa() -> Result<isa::OwnedTargetIsa, CodegenError> {
    let mut flags = settings::builder();
    for (k, v) in [
        ("opt_level", "speed"),
        ("use_colocated_libcalls", "false"),
        ("is_pic", "false"),
        // Cranelift's IR verifier runs in debug builds (every test) and is skipped in
        // release builds, where it took up to half of the compile time.
        (
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        ),
    ] {
        flags.set(k, v).map_err(backend)?;
    }
    let builder = cranelift_native::builder().map_err(backend)?;
    builder.finish(settings::Flags::new(flags)).map_err(backend)
}

fn new_module() -> Result<JITModule, CodegenError> {
    let mut jb = JITBuilder::with_isa(host_isa()?, default_libcall_names());
    for (name, ptr) in shims::symbols() {
        jb.symbol(name, ptr);
    }
    Ok(JITModule::new(jb))
}

fn signature(module: &JITModule, params: &[Type], ret: Option<Type>) -> Signature {
    let mut sig = module.make_signature();
    sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    sig.returns.extend(ret.map(AbiParam::new));
    sig
}

fn declare(module: &mut JITModule) -> Result<Declared, CodegenError> {
    let ptr = module.target_config().pointer_type();
    let f64s = |n: usize| vec![types::F64; n];
    let mut by_name = HashMap::new();
    for (name, _) in shims::symbols() {
        let params = match name {
            shims::UNIFORM | shims::NORMAL => vec![ptr, types::F64, types::F64],
            "plant_pow" | "plant_atan2" => f64s(2),
            _ => f64s(1),
        };
        let sig = signature(module, &params, Some(types::F64));
        let id = module
            .declare_function(name, Linkage::Import, &sig)
            .map_err(backend)?;
        by_name.insert(name, id);
    }
    let mut local = |name: &str, params: &[Type], ret: Option<Type>| {
        let sig = signature(module, params, ret);
        module
            .declare_function(name, Linkage::Local, &sig)
            .map_err(backend)
    };
    let reset = local("plant_reset", &[ptr, ptr, ptr], None)?;
    let tick = local("plant_tick", &[ptr, ptr], Some(types::I32))?;
    let step = local("plant_step", &[ptr, ptr], Some(types::I32))?;
    let observe = local("plant_observe", &[ptr, ptr], None)?;
    let batch = local("plant_batch", &[ptr, ptr, ptr, types::I64], None)?;
    Ok(Declared {
        syms: Symbols {
            by_name,
            step: Some(step),
        },
        reset,
        tick,
        step,
        observe,
        batch,
    })
}

impl Declared {
    fn id(&self, which: Which) -> FuncId {
        match which {
            Which::Reset => self.reset,
            Which::Tick => self.tick,
            Which::Step => self.step,
            Which::Observe => self.observe,
            Which::Batch => self.batch,
        }
    }
}

#[derive(Clone, Copy)]
enum Which {
    Reset,
    Tick,
    Step,
    Observe,
    Batch,
}

const ALL: [(Which, &str); 5] = [
    (Which::Reset, "plant_reset"),
    (Which::Tick, "plant_tick"),
    (Which::Step, "plant_step"),
    (Which::Observe, "plant_observe"),
    (Which::Batch, "plant_batch"),
];

/// Build the IR of one function into `ctx.func`.
#[allow(clippy::too_many_arguments)] // the JIT's contexts, threaded through once
fn build(
    module: &mut JITModule,
    d: &Declared,
    which: Which,
    ctx: &mut Context,
    fbc: &mut FunctionBuilderContext,
    model: &Model,
    plan: &Plan,
    an: &Analysis,
) -> Result<(), CodegenError> {
    let id = d.id(which);
    module.clear_context(ctx);
    ctx.func.signature = module
        .declarations()
        .get_function_decl(id)
        .signature
        .clone();
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let b = FunctionBuilder::new(&mut ctx.func, fbc);
    let fx = Fx::new(b, module, &d.syms, model, plan, an);
    match which {
        Which::Reset => fx.emit_reset(),
        Which::Tick => fx.emit_tick(),
        Which::Step => fx.emit_step(),
        Which::Observe => fx.emit_observe(),
        Which::Batch => fx.emit_batch(std::mem::size_of::<Rng>()),
    }
}

/// Run `f`, turning a panic inside Cranelift (or a bug here) into an error.
fn guarded<T>(f: impl FnOnce() -> Result<T, CodegenError>) -> Result<T, CodegenError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            Err(CodegenError::Backend(format!(
                "internal code generator error: {msg}"
            )))
        }
    }
}

fn define_all(
    module: &mut JITModule,
    d: &Declared,
    model: &Model,
    plan: &Plan,
    an: &Analysis,
) -> Result<(), CodegenError> {
    let mut ctx = module.make_context();
    let mut fbc = FunctionBuilderContext::new();
    for (which, _) in ALL {
        build(module, d, which, &mut ctx, &mut fbc, model, plan, an)?;
        module
            .define_function(d.id(which), &mut ctx)
            .map_err(|e| match e {
                cranelift_module::ModuleError::Compilation(c) => backend(format!("{c:?}")),
                e => backend(e),
            })?;
        module.clear_context(&mut ctx);
    }
    Ok(())
}

/// Compile `model` (laid out by `plan`) to native code.
pub fn compile(model: &Model, plan: &Plan) -> Result<JitKernel, CodegenError> {
    guarded(|| {
        let an = analysis::analyse(model, plan)?;
        let mut module = new_module()?;
        let d = declare(&mut module)?;
        let defined = define_all(&mut module, &d, model, plan, &an)
            .and_then(|()| module.finalize_definitions().map_err(backend));
        if let Err(e) = defined {
            // SAFETY: no pointer into the module's memory was taken yet.
            unsafe { module.free_memory() };
            return Err(e);
        }
        let ptr = |id: FuncId| module.get_finalized_function(id);
        // SAFETY: each pointer is the finalized code of a function declared above with
        // exactly the signature of the type it is transmuted to (pointer-sized `mem`,
        // `rng`, `overrides` and `status` parameters, `u64` count, `u32` status return,
        // the host's C calling convention), and it stays valid while `module` (moved into
        // the kernel) is alive.
        let (reset, tick, step, observe, batch) = unsafe {
            (
                std::mem::transmute::<*const u8, ResetFn>(ptr(d.reset)),
                std::mem::transmute::<*const u8, StepFn>(ptr(d.tick)),
                std::mem::transmute::<*const u8, StepFn>(ptr(d.step)),
                std::mem::transmute::<*const u8, ObserveFn>(ptr(d.observe)),
                std::mem::transmute::<*const u8, BatchFn>(ptr(d.batch)),
            )
        };
        Ok(JitKernel {
            module: Some(module),
            slots: plan.info.layout.slots,
            nvars: model.vars.len(),
            reset,
            tick,
            step,
            observe,
            batch,
        })
    })
}

/// The machine code of the model's functions after Cranelift's optimisations, as
/// Cranelift's own listing (virtual-register names, one block per basic block), for
/// `plantc check --emit asm`.
pub fn emit_asm(model: &Model, plan: &Plan) -> Result<String, CodegenError> {
    guarded(|| {
        let an = analysis::analyse(model, plan)?;
        let isa = host_isa()?;
        let mut module = new_module()?;
        let d = declare(&mut module)?;
        let mut ctx = module.make_context();
        let mut fbc = FunctionBuilderContext::new();
        let mut out = String::new();
        for (which, name) in ALL {
            build(&mut module, &d, which, &mut ctx, &mut fbc, model, plan, &an)?;
            ctx.set_disasm(true);
            let code = ctx
                .compile(&*isa, &mut Default::default())
                .map_err(|e| backend(format!("{:?}", e.inner)))?;
            let listing = code.vcode.clone().unwrap_or_default();
            out.push_str(&format!(
                "; {name}: {} bytes\n{listing}\n",
                code.code_info().total_size
            ));
            ctx.clear();
        }
        Ok(out)
    })
}

/// The Cranelift IR of the model's functions, as generated (before optimisation), for
/// `plantc check --emit clif`.
pub fn emit_clif(model: &Model, plan: &Plan) -> Result<String, CodegenError> {
    guarded(|| {
        let an = analysis::analyse(model, plan)?;
        let mut module = new_module()?;
        let d = declare(&mut module)?;
        let mut ctx = module.make_context();
        let mut fbc = FunctionBuilderContext::new();
        let mut out = String::new();
        for (which, name) in ALL {
            build(&mut module, &d, which, &mut ctx, &mut fbc, model, plan, &an)?;
            out.push_str(&format!("; {name}\n{}\n", ctx.func.display()));
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests;
