//! Sans-IO MSRP (RFC 4975, RFC 4976).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ident;
pub mod path;
pub mod uri;
pub mod wire;

pub use path::Path;
pub use uri::{MsrpUri, Scheme};
