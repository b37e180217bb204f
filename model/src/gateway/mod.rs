//! Gateway policies, sans-I/O: admission, queueing strategies, concurrency limits, priorities,
//! backend pushback, gateway retries, rate limits and auth. The reference gateway and the
//! simulator both drive these.

mod auth;
mod codel;
mod limit;
mod policy;
mod ratelimit;
mod slots;

pub use auth::{presented as presented_key, Auth};
pub use codel::Codel;
pub use limit::{AdaptiveLimit, Limiter};
pub use policy::*;
pub use ratelimit::{bucket_key, RateLimiter};
pub use slots::{Slots, Ticket};
