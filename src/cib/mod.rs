//! The CIB: its XML tree (`xml`) and the typed model of its sections (`model`).
//!
//! Nothing here interprets the cluster's state or touches the terminal.

pub mod change;
pub mod model;
pub mod xml;

pub use model::*;
pub use xml::Element;
