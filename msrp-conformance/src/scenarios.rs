//! The scenarios, each an `async fn name<R: Runtime>(rt: R)` that panics
//! when the runtime crate misbehaves. [`conformance_suite!`](crate::conformance_suite)
//! lists them all.

mod direct;
mod drops;
mod faults;
mod hostile;
mod nickname;
mod own_relay;
mod own_relay_ws;
mod relay;
mod relay_ws;
mod server;
mod streams;

pub use direct::*;
pub use drops::*;
pub use faults::*;
pub use hostile::*;
pub use nickname::*;
pub use own_relay::*;
pub use own_relay_ws::*;
pub use relay::*;
pub use relay_ws::*;
pub use server::*;
pub use streams::*;
