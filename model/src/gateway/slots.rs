//! Tickets for queued requests: a generation-checked slab, so that cancelling a request deep
//! in a queue is O(1) (its slot is marked free; the queue skips it when it reaches the front)
//! and no hashing is needed on the hot path.

/// Names one request inside one policy.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ticket {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

impl Ticket {
    /// A ticket no policy ever issues (a placeholder for drivers).
    pub const NONE: Ticket = Ticket {
        index: u32::MAX,
        generation: u32::MAX,
    };

    /// The slot index: dense, so drivers can keep per-ticket data in a Vec.
    pub fn index(self) -> usize {
        self.index as usize
    }

    /// A stable number for logs and maps.
    pub fn as_u64(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.index)
    }
}

#[derive(Clone, Debug)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// A slab of values addressed by [`Ticket`].
#[derive(Clone, Debug)]
pub struct Slots<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Slots<T> {
    pub fn insert(&mut self, value: T) -> Ticket {
        self.live += 1;
        if let Some(index) = self.free.pop() {
            let s = &mut self.slots[index as usize];
            s.value = Some(value);
            return Ticket {
                index,
                generation: s.generation,
            };
        }
        let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.slots.push(Slot {
            generation: 0,
            value: Some(value),
        });
        Ticket { index, generation: 0 }
    }

    pub fn get(&self, t: Ticket) -> Option<&T> {
        self.slots
            .get(t.index as usize)
            .filter(|s| s.generation == t.generation)
            .and_then(|s| s.value.as_ref())
    }

    pub fn get_mut(&mut self, t: Ticket) -> Option<&mut T> {
        self.slots
            .get_mut(t.index as usize)
            .filter(|s| s.generation == t.generation)
            .and_then(|s| s.value.as_mut())
    }

    pub fn remove(&mut self, t: Ticket) -> Option<T> {
        let s = self.slots.get_mut(t.index as usize)?;
        if s.generation != t.generation {
            return None;
        }
        let v = s.value.take()?;
        s.generation = s.generation.wrapping_add(1);
        self.free.push(t.index);
        self.live -= 1;
        Some(v)
    }

    pub fn len(&self) -> usize {
        self.live
    }

    /// The values held, in slot order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| s.value.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_tickets_do_not_reach_new_values() {
        let mut s = Slots::default();
        let a = s.insert("a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_eq!(a.index, b.index, "the slot is reused");
        assert_eq!(s.get(a), None);
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.len(), 1);
    }
}
