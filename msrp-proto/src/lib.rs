//! Sans-IO MSRP (RFC 4975, RFC 4976).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The fuzz oracles: compiled in every build so the harness is type-checked
// and run by `cargo test` on stable (see the module docs).
#[doc(hidden)]
pub mod fuzzing;
pub mod ident;
pub mod path;
pub mod uri;
pub mod wire;

pub use path::Path;
pub use uri::{MsrpUri, Scheme};
