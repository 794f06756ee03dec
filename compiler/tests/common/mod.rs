//! Shared by the component tests (`stdlib_*.rs`, `sensors.rs`): a plant compiled for
//! each kernel, and a script run on both whose records must agree bit for bit.
#![allow(dead_code)] // each test file uses what it needs

use plant_runtime::Env;
use plantc::{Backend, Options};

pub const BACKENDS: [Backend; 2] = [Backend::Interp, Backend::Jit];

pub fn env(src: &str, backend: Backend) -> Env {
    let model = plantc::compile_str_with(
        "test.plant",
        src,
        &Options {
            backend,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Env::new(model)
}

/// Runs `script` on both kernels and checks that what it records is bit-identical;
/// returns the interpreter's record.
pub fn both(src: &str, script: impl Fn(&mut Env) -> Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let mut runs = BACKENDS.map(|b| script(&mut env(src, b)));
    for (k, (a, b)) in runs[0].iter().zip(&runs[1]).enumerate() {
        let (a, b): (Vec<u64>, Vec<u64>) = (
            a.iter().map(|x| x.to_bits()).collect(),
            b.iter().map(|x| x.to_bits()).collect(),
        );
        assert_eq!(a, b, "record {k}: the kernels differ");
    }
    assert_eq!(runs[0].len(), runs[1].len());
    std::mem::take(&mut runs[0])
}
