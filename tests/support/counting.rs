//! A global allocator that counts, per thread, the allocations (and
//! reallocations) it forwards to the system allocator. Shared by the
//! benchmark and `tests/fast_path.rs` (included with `#[path]`), so the one
//! piece of `unsafe` code outside the library stands in one place.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static COUNT: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

pub struct Counting;

fn bump() {
    // `try_with` so that a thread being torn down is never a panic.
    let _ = COUNT.try_with(|c| c.set(c.get() + 1));
}

fn live(change: i64) {
    let _ = LIVE.try_with(|c| c.set(c.get() + change));
}

/// Bytes allocated on this thread and not yet freed on it (memory freed on
/// another thread is not seen).
#[allow(dead_code)]
pub fn live_bytes() -> i64 {
    LIVE.with(Cell::get)
}

/// Allocations made so far on this thread.
pub fn count() -> u64 {
    COUNT.with(Cell::get)
}

// SAFETY: every method forwards its arguments unchanged to `System`,
// which upholds the `GlobalAlloc` contract; the only addition is a
// thread-local counters in `Cell`s, which neither allocate (const
// initializers, no destructors) nor unwind.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        live(layout.size() as i64);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        live(layout.size() as i64);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        live(new_size as i64 - layout.size() as i64);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        live(-(layout.size() as i64));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}
