//! XEP-0045: each room feature is a module that owns its components and systems.

pub mod config;

use crate::engine::EngineBuilder;

/// Registers every MUC feature with the engine.
pub fn register(_engine: &mut EngineBuilder) {}
