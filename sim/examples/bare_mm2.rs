//! A reference floor for `bench/sim-vs-simpy.sh`: the M/M/2 FIFO queue of `bench/mm2-fifo.toml`
//! as the smallest event loop Rust allows, with nothing of the product in it.
//!
//! Same random numbers as the simulator (ChaCha8 streams from `model::rng`, `Exp1` draws), an
//! event heap keyed by one `u128` as in `sim`'s, a FIFO of arrival times, the mean queue wait.
//! No client model (timeouts, retries), no gateway policy, no backend model (faults, overload),
//! no windows, histograms or results file. It shows how much of the simulator's time per
//! request the queue itself needs on this machine, and so what a speed goal leaves for the
//! model around it.
//!
//!     cargo run --release -p spillway-sim --example bare_mm2 -- 1000000
//!
//! Prints one JSON line: n, mean_wait_s (Erlang C: 1.7778 s), wall_s, requests_per_s.

use model::rng::Streams;
use rand_distr::{Distribution, Exp1};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

const LAMBDA: f64 = 1.6;
const SERVERS: u32 = 2;

fn ns(secs: f64) -> u64 {
    (secs * 1e9) as u64
}

fn main() {
    let n: u64 = match std::env::args().nth(1).map(|s| s.parse()) {
        None => 1_000_000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: bare_mm2 [REQUESTS]  (a whole number above 0)");
            std::process::exit(2);
        }
    };
    let streams = Streams::new(1);
    let mut arrivals = streams.stream("arrivals");
    let mut service = streams.stream("service:s");
    let start = Instant::now();
    // Key: time (ns) in the high half, a sequence number in the low half whose lowest bit says
    // what the event is (0: arrival, 1: service completion).
    let mut heap: BinaryHeap<Reverse<u128>> = BinaryHeap::new();
    let mut queue: VecDeque<u64> = VecDeque::new();
    let key = |at: u64, seq: u64| Reverse((u128::from(at) << 64) | u128::from(seq));
    let (mut seq, mut sent, mut busy, mut served) = (0u64, 0u64, 0u32, 0u64);
    let mut waits = 0.0f64;
    let first: f64 = Exp1.sample(&mut arrivals);
    heap.push(key(ns(first / LAMBDA), 0));
    while let Some(Reverse(k)) = heap.pop() {
        let now = (k >> 64) as u64;
        let arrival_at = if k & 1 == 0 {
            sent += 1;
            if sent < n {
                let gap: f64 = Exp1.sample(&mut arrivals);
                seq += 2;
                heap.push(key(now + ns(gap / LAMBDA), seq));
            }
            if busy == SERVERS {
                queue.push_back(now);
                continue;
            }
            busy += 1;
            now
        } else {
            match queue.pop_front() {
                Some(a) => a,
                None => {
                    busy -= 1;
                    continue;
                }
            }
        };
        served += 1;
        waits += (now - arrival_at) as f64 * 1e-9;
        let work: f64 = Exp1.sample(&mut service);
        seq += 2;
        heap.push(key(now + ns(work), seq | 1));
    }
    let wall = start.elapsed().as_secs_f64();
    println!(
        "{{\"tool\":\"bare_mm2\",\"n\":{served},\"mean_wait_s\":{},\"wall_s\":{wall},\"requests_per_s\":{}}}",
        waits / served as f64,
        served as f64 / wall
    );
}
