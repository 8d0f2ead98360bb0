//! What commands do, as functions of typed inputs returning typed results (cargo's `ops`).
//! The CLI parses arguments, calls these, and renders what they return. Mutating ops build a
//! `plan::Plan` (one CIB change); the CLI shows, confirms and applies it.

pub mod attribute;
pub mod check;
pub mod cleanup;
pub mod config;
pub mod config_init;
pub mod node;
pub mod plan;
pub mod problems;
pub mod rebuild;
pub mod resource;
pub mod status;
pub mod verify;
pub mod wait;
