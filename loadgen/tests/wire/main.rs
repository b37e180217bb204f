//! The load generator's HTTP clients against hand-written targets on 127.0.0.1: the lean
//! HTTP/1.1 client, legacy servers' quirks, misbehaving targets, and TLS.
//!
//! One test binary rather than four: each links the generator, hyper, rustls and tokio, and
//! compiling and linking them four times cost CI about a minute and a half on 2 cores. The live
//! measurements (`live.rs`) stay in their own binary so nothing else runs beside them, and
//! `fd_limit.rs` too, since it lowers the process's limit on open files.

mod common;
mod h1;
mod h1_legacy;
mod request;
mod targets;
mod tls;
