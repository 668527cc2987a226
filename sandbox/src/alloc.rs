//! A call's memory, counted against one limit: the JavaScript heap (QuickJS allocates through
//! [`MiAlloc`], which counts every block and refuses one that would go over the limit) and the
//! HTTP response bodies the call's requests are receiving (counted by the request tasks, see
//! [`Budget::hold`]). Without the second, concurrent large answers grew the process far beyond
//! the limit while they were read (issue 17: 60 of them took it to 3.5 GB).
//!
//! QuickJS's memory goes through mimalloc, the allocator of Ferry's binaries, rather than the C
//! library's `malloc`: a call allocates and frees tens of thousands of small blocks, on
//! whichever blocking thread runs it, and mimalloc's thread-local free lists serve that pattern
//! faster (measured in BENCHMARKS.md, first logins).
//!
//! rquickjs takes the allocator as a trait whose methods are raw pointer operations, so this
//! module (with `bytecode.rs` and `lazy.rs`) is allowed `unsafe`.
#![allow(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The memory of one call.
#[derive(Debug)]
pub(crate) struct Budget {
    /// Bytes the call may use (`usize::MAX`: no limit).
    limit: usize,
    /// The JavaScript heap: written by the call's thread only (its allocator), read by the
    /// request tasks.
    heap: AtomicUsize,
    /// Response bodies being received or waiting to be handed to the script.
    held: AtomicUsize,
}

impl Budget {
    /// A budget of `limit` bytes (0: no limit).
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit: if limit == 0 { usize::MAX } else { limit },
            heap: AtomicUsize::new(0),
            held: AtomicUsize::new(0),
        })
    }

    /// Bytes the call may use (`usize::MAX`: no limit).
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// The largest single response body a call accepts: a quarter of its memory, since a body
    /// is held as bytes, then as a JavaScript string (UTF-16 doubles non-ASCII text) and
    /// usually parsed into objects as well.
    pub(crate) fn max_body(&self) -> usize {
        self.limit / 4
    }

    /// Counts `bytes` more of response body against the call's memory; `false` (and nothing
    /// counted) when the call would go over its limit.
    pub(crate) fn hold(&self, bytes: usize) -> bool {
        let held = self.held.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
        if held.saturating_add(self.heap.load(Ordering::Relaxed)) > self.limit {
            self.held.fetch_sub(bytes, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Stops counting `bytes` of response body (handed over, or dropped).
    pub(crate) fn release(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Bytes of JavaScript heap the call holds now.
    pub(crate) fn heap(&self) -> usize {
        self.heap.load(Ordering::Relaxed)
    }

    /// Whether `bytes` more of heap fit the call's limit.
    fn fits(&self, bytes: usize) -> bool {
        let heap = self.heap.load(Ordering::Relaxed).saturating_add(bytes);
        heap.saturating_add(self.held.load(Ordering::Relaxed)) <= self.limit
    }

    /// Replaces `old` bytes of counted heap with `new` (single writer, the call's thread: no
    /// read-modify-write needed).
    fn adjust(&self, old: usize, new: usize) {
        let heap = self
            .heap
            .load(Ordering::Relaxed)
            .saturating_sub(old)
            .saturating_add(new);
        self.heap.store(heap, Ordering::Relaxed);
    }
}

/// Response-body bytes counted in a [`Budget`], released when dropped (a request aborted, an
/// answer handed over or discarded).
#[derive(Debug)]
pub(crate) struct Held {
    budget: Arc<Budget>,
    bytes: usize,
}

impl Held {
    pub(crate) fn new(budget: Arc<Budget>) -> Self {
        Self { budget, bytes: 0 }
    }

    /// Counts `bytes` more; `false` when the call would go over its memory limit.
    pub(crate) fn add(&mut self, bytes: usize) -> bool {
        if self.budget.hold(bytes) {
            self.bytes += bytes;
            true
        } else {
            false
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

unsafe extern "C" {
    /// mimalloc's (not exported by `libmimalloc-sys` without its `extended` feature).
    fn mi_usable_size(p: *const std::ffi::c_void) -> usize;
    /// mimalloc's option setter (the same).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

#[cfg(test)]
unsafe extern "C" {
    /// mimalloc's option getter (the same).
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// `mi_option_purge_delay` in the `mi_option_t` of the mimalloc that `libmimalloc-sys` 0.1
/// builds by default (v3, `include/mimalloc.h`: the sixteenth option, after the deprecated
/// `eager_commit_delay`); `libmimalloc-sys` exports no constant for it.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// How long mimalloc keeps memory that was freed before it hands it back to the system.
const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

/// Keeps freed memory for [`PURGE_DELAY_MS`] (mimalloc's default is 1 s) unless the
/// `MIMALLOC_PURGE_DELAY` environment variable says otherwise. Every call frees its whole
/// runtime at its end, and the next call allocates as much again; with a 1 s delay mimalloc
/// handed those pages back to the kernel and faulted them in again, zeroed, 2 MiB at a time
/// under transparent huge pages: 11,400 page faults in a 10,000-login `ferry bench
/// first-login` and 2.7 % of its CPU in the kernel's `clear_page`, against 3,800 with this
/// delay (BENCHMARKS.md, first logins). Idle memory still goes back after ten seconds.
pub(crate) fn keep_freed_pages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: setting an option of the process's mimalloc by its number, which
            // mimalloc allows at any time (the value is read when memory is purged).
            unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
        }
    });
}

/// mimalloc's current purge delay, in milliseconds.
#[cfg(test)]
fn purge_delay() -> std::ffi::c_long {
    // SAFETY: reading an option of the process's mimalloc by its number.
    unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }
}

/// The allocator given to every call's runtime: mimalloc, each block counted in the call's
/// [`Budget`] (a block that would take the call over its limit is refused: QuickJS reports
/// that as out of memory).
pub(crate) struct MiAlloc(pub(crate) Arc<Budget>);

impl MiAlloc {
    /// Counts a block just allocated, or frees it and returns null when it does not fit.
    ///
    /// # Safety
    /// `ptr` is null or a block just returned by mimalloc.
    unsafe fn admit(&self, ptr: *mut u8) -> *mut u8 {
        if ptr.is_null() {
            return ptr;
        }
        // SAFETY: per this function's contract.
        let size = unsafe { mi_usable_size(ptr.cast()) };
        if self.0.fits(size) {
            self.0.adjust(0, size);
            ptr
        } else {
            // SAFETY: the block was never handed out.
            unsafe { libmimalloc_sys::mi_free(ptr.cast()) };
            std::ptr::null_mut()
        }
    }
}

// SAFETY: mimalloc's functions meet the trait's contract (usize-aligned blocks, null on failure,
// `mi_usable_size` of its own blocks); the accounting only refuses blocks, it never hands out
// or frees one twice.
unsafe impl rquickjs::allocator::Allocator for MiAlloc {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        // SAFETY: a fresh block from mimalloc.
        unsafe { self.admit(libmimalloc_sys::mi_malloc(size).cast()) }
    }
    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        match count.checked_mul(size) {
            // SAFETY: a fresh block from mimalloc.
            Some(total) => unsafe { self.admit(libmimalloc_sys::mi_zalloc(total).cast()) },
            None => std::ptr::null_mut(),
        }
    }
    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        // SAFETY: `ptr` came from this allocator (trait contract).
        unsafe {
            self.0.adjust(mi_usable_size(ptr.cast()), 0);
            libmimalloc_sys::mi_free(ptr.cast());
        }
    }
    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is null or came from this allocator (trait contract); the block is
        // only resized when the new size fits the budget, then counted at its new usable size.
        unsafe {
            let old = mi_usable_size(ptr.cast());
            if new_size > old && !self.0.fits(new_size - old) {
                return std::ptr::null_mut();
            }
            let resized: *mut u8 = libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast();
            if !resized.is_null() {
                self.0.adjust(old, mi_usable_size(resized.cast()));
            }
            resized
        }
    }
    unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: `ptr` came from this allocator (trait contract).
        unsafe { mi_usable_size(ptr.cast()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Option 15 is the purge delay: before any sandbox sets it, it holds v3's default of
    /// 1,000 ms (no neighbouring option defaults to that), and afterwards the delay set here;
    /// a delay given in the environment is left as mimalloc read it.
    #[test]
    fn the_purge_delay_is_the_option_set() {
        let before = purge_delay();
        keep_freed_pages();
        match std::env::var("MIMALLOC_PURGE_DELAY") {
            Ok(given) => assert_eq!(purge_delay().to_string(), given.trim()),
            Err(_) => {
                assert!(before == 1_000 || before == PURGE_DELAY_MS, "option 15 held {before}");
                assert_eq!(purge_delay(), PURGE_DELAY_MS);
            }
        }
    }
}
