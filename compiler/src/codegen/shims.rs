//! The functions generated code calls: random draws over the instance's [`Rng`] and the
//! math functions Cranelift has no instruction for. Each is an `extern "C"` shim over the
//! Rust function the interpreter calls (`f64::sin` is the C library's `sin`), registered
//! by name with the JIT, so both kernels compute the same bits.

use plant_runtime::Rng;

use crate::ir::Func;

extern "C" fn plant_rng_uniform(rng: *mut Rng, lo: f64, hi: f64) -> f64 {
    // SAFETY: generated code passes on the `rng` pointer its caller received; every
    // caller is a `JitKernel` method that got it from a live `&mut Rng` (or a slice of
    // them), exclusively borrowed for the whole call.
    unsafe { (*rng).uniform(lo, hi) }
}

extern "C" fn plant_rng_normal(rng: *mut Rng, mean: f64, sd: f64) -> f64 {
    // SAFETY: as in `plant_rng_uniform`.
    unsafe { (*rng).normal(mean, sd) }
}

macro_rules! unary {
    ($($name:ident => $method:ident),* $(,)?) => {
        $(extern "C" fn $name(x: f64) -> f64 { x.$method() })*
    };
}

unary! {
    plant_exp => exp,
    plant_log => ln,
    plant_log10 => log10,
    plant_sin => sin,
    plant_cos => cos,
    plant_tan => tan,
    plant_asin => asin,
    plant_acos => acos,
    plant_atan => atan,
    plant_sinh => sinh,
    plant_cosh => cosh,
    plant_tanh => tanh,
    plant_round => round,
    // Cranelift's fallbacks for targets without rounding instructions (libcalls).
    plant_floor => floor,
    plant_ceil => ceil,
    plant_trunc => trunc,
}

extern "C" fn plant_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

extern "C" fn plant_atan2(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

extern "C" fn plant_nearbyint(x: f64) -> f64 {
    x.round_ties_even()
}

/// The symbol of a built-in function that is a call, and its number of arguments.
pub(super) fn math_symbol(f: Func) -> Option<(&'static str, usize)> {
    Some(match f {
        Func::Exp => ("plant_exp", 1),
        Func::Log => ("plant_log", 1),
        Func::Log10 => ("plant_log10", 1),
        Func::Sin => ("plant_sin", 1),
        Func::Cos => ("plant_cos", 1),
        Func::Tan => ("plant_tan", 1),
        Func::Asin => ("plant_asin", 1),
        Func::Acos => ("plant_acos", 1),
        Func::Atan => ("plant_atan", 1),
        Func::Sinh => ("plant_sinh", 1),
        Func::Cosh => ("plant_cosh", 1),
        Func::Tanh => ("plant_tanh", 1),
        Func::Round => ("plant_round", 1),
        Func::Pow => ("plant_pow", 2),
        Func::Atan2 => ("plant_atan2", 2),
        Func::Min
        | Func::Max
        | Func::Clamp
        | Func::Abs
        | Func::Floor
        | Func::Ceil
        | Func::Sign
        | Func::Sqrt => return None,
    })
}

pub(super) const UNIFORM: &str = "plant_rng_uniform";
pub(super) const NORMAL: &str = "plant_rng_normal";
pub(super) const POW: &str = "plant_pow";

/// Every symbol generated code may reference, with its address.
pub(super) fn symbols() -> Vec<(&'static str, *const u8)> {
    type F1 = extern "C" fn(f64) -> f64;
    type F2 = extern "C" fn(f64, f64) -> f64;
    type Draw = extern "C" fn(*mut Rng, f64, f64) -> f64;
    let unary: [(&str, F1); 16] = [
        ("plant_exp", plant_exp),
        ("plant_log", plant_log),
        ("plant_log10", plant_log10),
        ("plant_sin", plant_sin),
        ("plant_cos", plant_cos),
        ("plant_tan", plant_tan),
        ("plant_asin", plant_asin),
        ("plant_acos", plant_acos),
        ("plant_atan", plant_atan),
        ("plant_sinh", plant_sinh),
        ("plant_cosh", plant_cosh),
        ("plant_tanh", plant_tanh),
        ("plant_round", plant_round),
        // Cranelift's libcall names (only used where the target lacks the instruction).
        ("floor", plant_floor),
        ("ceil", plant_ceil),
        ("trunc", plant_trunc),
    ];
    let binary: [(&str, F2); 2] = [("plant_pow", plant_pow), ("plant_atan2", plant_atan2)];
    let draws: [(&str, Draw); 2] = [(UNIFORM, plant_rng_uniform), (NORMAL, plant_rng_normal)];
    let mut out: Vec<(&'static str, *const u8)> = Vec::new();
    out.extend(unary.iter().map(|(n, f)| (*n, *f as *const u8)));
    out.push(("nearbyint", plant_nearbyint as F1 as *const u8));
    out.extend(binary.iter().map(|(n, f)| (*n, *f as *const u8)));
    out.extend(draws.iter().map(|(n, f)| (*n, *f as *const u8)));
    out
}
