//! Embedding a plant in a Rust program: compile `examples/cartpole.plant` to native code,
//! then balance the pole with a hand-written controller through the environment API.
//!
//! Run: `cargo run --release -p plantc --example embed`

use plant_runtime::{Env, ResetOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/cartpole.plant");
    // Checked and JIT-compiled; a compile error carries rendered diagnostics.
    let model = plantc::compile_file(path)?;
    let info = model.info();
    println!(
        "{}: {} observations ({}), {} action(s)",
        info.name,
        info.observations.len(),
        info.observations
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        info.actions.len()
    );

    let mut env = Env::new(model);
    // Start from a tilted pole: any parameter or initial state can be overridden.
    let tilted = ResetOptions::new().set("cart.theta", 0.1);
    let mut obs = env.reset(Some(42), Some(&tilted))?.to_vec();
    let mut total = 0.0;
    for step in 1..=500 {
        // Push towards the side the pole is falling to, and gently back to the centre
        // (a linear rule on the four states).
        let [x, x_dot, theta, theta_dot] = [obs[0], obs[1], obs[2], obs[3]];
        let u = 0.1 * x + 0.2 * x_dot + 3.0 * theta + 0.8 * theta_dot;
        let push = if u > 0.0 { 1.0 } else { 0.0 };
        let s = env.step(&[push])?;
        total += s.reward();
        obs.copy_from_slice(s.obs);
        if s.terminated || s.truncated {
            println!(
                "episode ended after {step} steps (t = {:.2} s): terminated {}, truncated {}",
                s.info.time, s.terminated, s.truncated
            );
            break;
        }
    }
    println!("return {total}");
    Ok(())
}
