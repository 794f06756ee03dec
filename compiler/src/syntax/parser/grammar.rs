//! The pest parser generated from `plant.pest`.

#![allow(missing_docs)]

use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "syntax/plant.pest"]
pub(crate) struct PlantParser;
