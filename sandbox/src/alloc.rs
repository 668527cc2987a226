//! QuickJS's memory through mimalloc, the allocator of Ferry's binaries, rather than the C
//! library's `malloc`: a call allocates and frees tens of thousands of small blocks, on
//! whichever blocking thread runs it, and mimalloc's thread-local free lists serve that
//! pattern faster (measured in BENCHMARKS.md, first logins). The memory limit is unchanged:
//! QuickJS counts what `usable_size` reports.
//!
//! rquickjs takes the allocator as a trait whose methods are raw pointer operations, so this
//! module (with `bytecode.rs` and `lazy.rs`) is allowed `unsafe`.
#![allow(unsafe_code)]

unsafe extern "C" {
    /// mimalloc's (not exported by `libmimalloc-sys` without its `extended` feature).
    fn mi_usable_size(p: *const std::ffi::c_void) -> usize;
}

/// The allocator given to every call's runtime.
pub(crate) struct MiAlloc;

// SAFETY: mimalloc's functions meet the trait's contract (usize-aligned blocks, null on failure,
// `mi_usable_size` of its own blocks).
unsafe impl rquickjs::allocator::Allocator for MiAlloc {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        // SAFETY: plain allocation.
        unsafe { libmimalloc_sys::mi_malloc(size).cast() }
    }
    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        match count.checked_mul(size) {
            // SAFETY: plain allocation.
            Some(total) => unsafe { libmimalloc_sys::mi_zalloc(total).cast() },
            None => std::ptr::null_mut(),
        }
    }
    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        // SAFETY: `ptr` came from this allocator (trait contract).
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }
    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator (trait contract).
        unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast() }
    }
    unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: `ptr` came from this allocator (trait contract).
        unsafe { mi_usable_size(ptr.cast()) }
    }
}
