//! The engine's event queue: a binary min-heap ordered by (time, sequence number).
//!
//! `std::collections::BinaryHeap<Reverse<(Time, u64, Ev)>>` compares tuples field by field
//! through `Ord` on every sift step. Here the (time, seq) pair is packed into one `u128` (time in
//! the high half), so each comparison is a single integer compare. Sequence numbers are unique,
//! so keys never tie and the pop order is exactly the (time, seq) order the tuple heap gave: the
//! payload is never compared.

use model::Time;

/// A min-heap of `T` keyed by (time, seq).
pub(crate) struct EventHeap<T> {
    items: Vec<(u128, T)>,
}

#[inline]
pub(crate) fn key(at: Time, seq: u64) -> u128 {
    (u128::from(at.0) << 64) | u128::from(seq)
}

/// The time half of a [`key`].
#[inline]
pub(crate) fn key_time(k: u128) -> Time {
    Time((k >> 64) as u64)
}

impl<T: Copy> EventHeap<T> {
    pub(crate) fn new() -> Self {
        EventHeap { items: Vec::new() }
    }

    /// The (time, seq) key of the earliest event, as [`key`] packs it.
    #[inline]
    pub(crate) fn peek_key(&self) -> Option<u128> {
        self.items.first().map(|(k, _)| *k)
    }

    #[inline]
    pub(crate) fn push(&mut self, at: Time, seq: u64, item: T) {
        let k = key(at, seq);
        self.items.push((k, item));
        // Sift the new last element up: move parents down into the hole until its place. On a
        // slice, not the Vec: its length and pointer stay in registers across the stores, where
        // the Vec's were reloaded after each (a store through its buffer might, as far as the
        // compiler knows, change them).
        let items = &mut self.items[..];
        let mut i = items.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if items[parent].0 <= k {
                break;
            }
            items[i] = items[parent];
            i = parent;
        }
        items[i] = (k, item);
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(Time, T)> {
        let last = self.items.pop()?;
        let Some(&top) = self.items.first() else {
            return Some((Time((last.0 >> 64) as u64), last.1));
        };
        // Sift the former last element down from the root (on a slice, as in `push`).
        let items = &mut self.items[..];
        let n = items.len();
        let mut i = 0;
        loop {
            let mut child = 2 * i + 1;
            if child >= n {
                break;
            }
            if child + 1 < n && items[child + 1].0 < items[child].0 {
                child += 1;
            }
            if last.0 <= items[child].0 {
                break;
            }
            items[i] = items[child];
            i = child;
        }
        items[i] = last;
        Some((Time((top.0 >> 64) as u64), top.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// Same pops, in the same order, as the std heap of (time, seq, payload) it replaces.
    #[test]
    fn pops_in_time_then_sequence_order_like_the_std_heap() {
        let mut ours = EventHeap::new();
        let mut std_heap = BinaryHeap::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut seq = 0u64;
        let mut popped = 0;
        for round in 0..20_000u32 {
            // Few distinct times, so ties on time (broken by seq) are common.
            if rand() % 3 != 0 || round < 10 {
                seq += 1;
                let at = Time(rand() % 50 + u64::from(round / 100) * 10);
                ours.push(at, seq, round);
                std_heap.push(Reverse((at, seq, round)));
            } else {
                let a = ours.pop();
                let b = std_heap.pop().map(|Reverse((t, _, v))| (t, v));
                assert_eq!(a, b);
                popped += 1;
            }
            assert_eq!(
                ours.peek_key().map(key_time),
                std_heap.peek().map(|Reverse((t, _, _))| *t)
            );
        }
        while let Some(b) = std_heap.pop() {
            assert_eq!(ours.pop(), Some((b.0 .0, b.0 .2)));
        }
        assert_eq!(ours.pop(), None);
        assert!(popped > 1000);
        // The extremes of the time range keep their order.
        ours.push(Time::MAX, 1, 0);
        ours.push(Time::ZERO, 2, 1);
        ours.push(Time::MAX, 0, 2);
        assert_eq!(ours.pop(), Some((Time::ZERO, 1)));
        assert_eq!(ours.pop(), Some((Time::MAX, 2)));
        assert_eq!(ours.pop(), Some((Time::MAX, 0)));
    }
}
