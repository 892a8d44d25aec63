//! One spare byte buffer per thread, which the writers of replies take instead of allocating a
//! new one and get back once the reply has been copied into the caller's memory.
//!
//! A large reply (a megabyte of `ay`) written into fresh memory costs a page fault per 4 KiB,
//! every call, as the allocator hands freshly mapped pages out and returns them to the system
//! afterwards; the spare keeps those pages. It is kept only up to [`KEEP_MAX`] bytes, so a
//! thread holds at most that much after its largest reply.

use std::cell::Cell;

/// The largest capacity a thread keeps between calls.
pub const KEEP_MAX: usize = 16 << 20;

thread_local! {
    static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The spare buffer of this thread (empty, with whatever capacity it has), or a new one.
pub fn take() -> Vec<u8> {
    SPARE.try_with(Cell::take).unwrap_or_default()
}

/// Gives `buf` back to this thread for the next [`take`], unless it is larger than [`KEEP_MAX`]
/// or smaller than the spare already kept.
pub fn give_back(mut buf: Vec<u8>) {
    if buf.capacity() > KEEP_MAX {
        return;
    }
    buf.clear();
    let _ = SPARE.try_with(|spare| {
        let kept = spare.take();
        spare.set(if kept.capacity() >= buf.capacity() {
            kept
        } else {
            buf
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_larger_buffer_is_kept_and_comes_back_empty() {
        let mut a = take();
        a.extend_from_slice(&[1; 1000]);
        let cap = a.capacity();
        give_back(a);
        give_back(Vec::with_capacity(10));
        let b = take();
        assert!(b.is_empty());
        assert_eq!(b.capacity(), cap);
        // Taken: the thread has none until it is given back.
        assert_eq!(take().capacity(), 0);
        give_back(b);
    }

    #[test]
    fn a_buffer_over_the_limit_is_not_kept() {
        give_back(Vec::with_capacity(KEEP_MAX + 1));
        assert!(take().capacity() <= KEEP_MAX);
    }
}
