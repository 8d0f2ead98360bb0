//! What commands do, as functions of typed inputs returning typed results (cargo's `ops`).
//! The CLI parses arguments, calls these, and renders what they return.

pub mod check;
pub mod problems;
pub mod status;
