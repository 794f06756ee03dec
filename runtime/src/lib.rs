//! `plant-runtime`: what a compiled plant model runs in (environments, spaces, seeded RNG).
//!
//! This crate must not depend on the compiler, so programs can embed an ahead-of-time
//! compiled model without carrying the compiler. The environment API arrives with the
//! code-generation work; for now it holds the layout types shared with the compiler's IR.
