//! Turns typed results into text for people: crm_mon's layout and comfy-table tables.
//! JSON needs no module here: it is the typed result serialised.

pub mod banner;
pub mod crm_mon;
pub mod pg_table;
pub mod verify;
