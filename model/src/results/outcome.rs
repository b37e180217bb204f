//! What an attempt ended in, in the words shared by the gateway, the clients and the reports.

use serde::{Deserialize, Serialize};

/// The outcome of one attempt, from the client's side.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 2xx within the client's timeout.
    Ok,
    /// The client gave up waiting.
    Timeout,
    /// 503: queue full, limit reached, backend overloaded.
    Shed,
    /// 429.
    RateLimited,
    /// 504: the deadline passed in the queue.
    Expired,
    /// Any other failure: 5xx, 4xx, connection errors.
    Error,
}

impl Outcome {
    pub fn from_status(status: u16) -> Outcome {
        match status {
            200..=299 => Outcome::Ok,
            429 => Outcome::RateLimited,
            503 => Outcome::Shed,
            504 => Outcome::Expired,
            _ => Outcome::Error,
        }
    }

    /// The `x-spillway-outcome` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "served",
            Outcome::Timeout => "timeout",
            Outcome::Shed => "shed",
            Outcome::RateLimited => "rate-limited",
            Outcome::Expired => "expired",
            Outcome::Error => "error",
        }
    }
}
