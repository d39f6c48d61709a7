//! Typed header values.
//!
//! The parser validates every header it knows when a head completes, so the
//! accessors of [`ChunkHead`](crate::wire::ChunkHead) never fail; the types
//! here can also be used on their own.

mod byte_range;
mod digest;
mod disposition;
mod media_type;
mod name;
pub(crate) mod number;
pub(crate) mod quoted;
mod report;
mod status;

pub use byte_range::ByteRange;
pub use digest::DigestParams;
pub use disposition::Disposition;
pub use media_type::MediaType;
pub use name::HeaderName;
pub(crate) use name::wire_rank;
pub use report::{FailureReport, SuccessReport};
pub use status::Status;
