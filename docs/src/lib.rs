//! The msrp-rs guide.
//!
//! Each chapter is a markdown file in `docs/guide/`, included here as a
//! module so that `cargo test` compiles and runs every code block in it: the
//! guide cannot drift from the code.

#[doc = include_str!("../guide/01-wire-format.md")]
pub mod wire_format {}

#[doc = include_str!("../guide/02-connection.md")]
pub mod connection {}

#[doc = include_str!("../guide/03-endpoints.md")]
pub mod endpoints {}

#[doc = include_str!("../guide/04-chat.md")]
pub mod chat {}

#[doc = include_str!("../guide/05-files.md")]
pub mod files {}

#[doc = include_str!("../guide/06-relay.md")]
pub mod relay {}
