//! The binary's memory allocator: size classes, per-thread free lists, and
//! bump allocation out of 64 KiB chunks.
//!
//! Why not the system's `malloc`: a render is a short process that allocates
//! about 4,000 small blocks, frees few of them before it exits, and is over in
//! a couple of milliseconds. glibc's allocator spent a quarter of a render's
//! instructions (about 230 per block, callgrind) on bins, coalescing and heap
//! growth, none of which pays off in a process this short. Here an allocation
//! is a free-list pop or a pointer bump, and a free is a push.
//!
//! The design, and what it gives up:
//! - A block's size class comes from its `Layout` alone, which Rust hands to
//!   `dealloc` and `realloc` as well, so blocks carry no header. Sizes up to
//!   128 bytes step by 16, larger ones by a quarter of their power of two, so
//!   rounding wastes at most a fifth of a block.
//! - Blocks over 32 KiB, or aligned to more than 16 bytes, go to the system
//!   allocator (the output stream is one of them, and `realloc` there can
//!   move pages instead of copying them).
//! - Each thread has its own free lists and chunk, so nothing is locked. A
//!   block freed on another thread (lint's workers hand their reports to the
//!   main thread) joins that thread's lists; a size class is the same
//!   everywhere, so it is reused like any other.
//! - Chunks are never returned: memory freed stays in its class for reuse.
//!   The peak is what the process keeps, which for a process that exits
//!   after one render or one lint run is the peak it had anyway. A thread that
//!   exits leaves its lists behind; lint starts one per core, once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;

/// The allocator. `main.rs` installs it with `#[global_allocator]`, and so do
/// the integration tests and the benchmarks, to run on what the binary runs on.
pub struct SizeClasses;

/// Blocks up to this size are served from size classes.
const MAX_SMALL: usize = 32 * 1024;

/// Every block is aligned to this, because every class size is a multiple of
/// it and chunks start aligned to it.
const ALIGN: usize = 16;

/// Classes: 16, 32, …, 128 (eight), then four per doubling up to 32 KiB.
const CLASSES: usize = 8 + 4 * 8;

/// What one refill of the bump region asks the system for.
const CHUNK: usize = 64 * 1024;

/// The size class of a small block of `size` bytes (`1..=MAX_SMALL`).
const fn class_of(size: usize) -> usize {
    if size <= 128 {
        return size.div_ceil(16) - 1;
    }
    let s = size - 1;
    let log = (usize::BITS - 1 - s.leading_zeros()) as usize;
    let quarter = (s >> (log - 2)) & 3;
    8 + (log - 7) * 4 + quarter
}

/// The bytes a block of `class` spans.
const fn class_size(class: usize) -> usize {
    if class < 8 {
        return (class + 1) * 16;
    }
    let doubling = (class - 8) / 4;
    let quarter = (class - 8) % 4;
    (128 << doubling) + (quarter + 1) * (32 << doubling)
}

fn is_small(layout: Layout) -> bool {
    layout.size() <= MAX_SMALL && layout.align() <= ALIGN
}

/// One thread's allocator state. Addresses are kept as `usize` so that the
/// state is plain data; a free block stores the next free block's address in
/// its first word.
struct Heap {
    /// The next unused byte of the current chunk, and its end.
    bump: Cell<usize>,
    end: Cell<usize>,
    /// The first free block of each class (0: none).
    free: [Cell<usize>; CLASSES],
}

thread_local! {
    // `const` and without `Drop`: reading it never allocates and still works
    // while the thread's other thread-locals are being destroyed.
    static HEAP: Heap = const {
        Heap {
            bump: Cell::new(0),
            end: Cell::new(0),
            free: [const { Cell::new(0) }; CLASSES],
        }
    };
}

impl Heap {
    /// A block of `class`, or null when the system has no memory left.
    fn alloc(&self, class: usize) -> *mut u8 {
        let head = self.free[class].get();
        if head != 0 {
            // SAFETY: `head` is a free block of this class: it was handed out
            // by `bump`, then given back to `free`, which wrote the next free
            // block's address into its first word.
            self.free[class].set(unsafe { (head as *const usize).read() });
            return head as *mut u8;
        }
        self.bump(class_size(class))
    }

    fn bump(&self, size: usize) -> *mut u8 {
        let start = self.bump.get();
        if self.end.get() - start >= size {
            self.bump.set(start + size);
            return start as *mut u8;
        }
        // The rest of the old chunk is too small for this block and stays
        // unused; at most one block's worth per refill.
        // SAFETY: CHUNK is non-zero and ALIGN a power of two.
        let chunk = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, ALIGN)) };
        if chunk.is_null() {
            return chunk;
        }
        let start = chunk as usize;
        self.bump.set(start + size);
        self.end.set(start + CHUNK);
        chunk
    }

    fn free(&self, block: *mut u8, class: usize) {
        // The block last bumped (a temporary, freed right after its use)
        // goes back to the chunk.
        if self.is_last(block, class) {
            self.bump.set(block as usize);
            return;
        }
        // SAFETY: the block is at least 16 bytes, aligned to 16, and no longer
        // in use, so its first word is ours to write.
        unsafe { (block as *mut usize).write(self.free[class].get()) };
        self.free[class].set(block as usize);
    }

    /// Grows or shrinks the block last bumped, in place, when the chunk has
    /// room: the way a `String` or `Vec` being filled usually grows.
    fn resize_last(&self, block: *mut u8, old_class: usize, new_class: usize) -> bool {
        let start = block as usize;
        if !self.is_last(block, old_class) || self.end.get() - start < class_size(new_class) {
            return false;
        }
        self.bump.set(start + class_size(new_class));
        true
    }

    /// Whether `block` is the one last bumped out of the current chunk.
    fn is_last(&self, block: *mut u8, class: usize) -> bool {
        let start = block as usize;
        // A block of an earlier chunk can never be grown into this one, even
        // if the two chunks happen to be adjacent.
        start >= self.end.get().wrapping_sub(CHUNK) && start + class_size(class) == self.bump.get()
    }
}

// SAFETY: every block handed out is at least `layout.size()` bytes, aligned to
// at least `layout.align()` (small blocks are 16-aligned and only serve
// alignments up to 16), and not handed out again until it is freed. Whether a
// block is small is decided by its layout alone, which `dealloc` and
// `realloc` receive unchanged, so a block always returns to where it came
// from.
unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !is_small(layout) {
            // SAFETY: the caller's contract, passed on.
            return unsafe { System.alloc(layout) };
        }
        HEAP.with(|heap| heap.alloc(class_of(layout.size())))
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !is_small(layout) {
            // SAFETY: as in `alloc`; the system may hand out pages that are
            // zero already instead of writing zeros.
            return unsafe { System.alloc_zeroed(layout) };
        }
        let block = HEAP.with(|heap| heap.alloc(class_of(layout.size())));
        if !block.is_null() {
            // SAFETY: the block spans at least `layout.size()` bytes.
            unsafe { ptr::write_bytes(block, 0, layout.size()) };
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if !is_small(layout) {
            // SAFETY: large blocks came from `System` with this layout.
            return unsafe { System.dealloc(block, layout) };
        }
        HEAP.with(|heap| heap.free(block, class_of(layout.size())));
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees that `new_size`, rounded up to the
        // alignment, does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_small(layout), is_small(new_layout)) {
            (true, true) => {
                let (old_class, new_class) = (class_of(layout.size()), class_of(new_size));
                if old_class == new_class || HEAP.with(|heap| heap.resize_last(block, old_class, new_class)) {
                    return block;
                }
            }
            // SAFETY: a large block stays large; it came from `System`.
            (false, false) => return unsafe { System.realloc(block, layout, new_size) },
            _ => {}
        }
        // SAFETY: `new_layout` has a non-zero size (the caller's contract);
        // the copy stays within both blocks; the old block is freed once.
        unsafe {
            let moved = self.alloc(new_layout);
            if !moved.is_null() {
                ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_small_size_gets_the_smallest_class_that_holds_it() {
        for size in 1..=MAX_SMALL {
            let class = class_of(size);
            assert!(class < CLASSES, "size {size} has class {class}");
            assert!(class_size(class) >= size, "size {size} does not fit class {class}");
            assert_eq!(class_size(class) % ALIGN, 0, "class {class} breaks the alignment");
            if class > 0 {
                assert!(class_size(class - 1) < size, "size {size} would fit class {}", class - 1);
            }
            // Rounding wastes at most a fifth of a block above 128 bytes.
            assert!(size <= 128 || class_size(class) - size < class_size(class) / 5 + 1);
        }
        assert_eq!(class_size(CLASSES - 1), MAX_SMALL);
    }

    #[test]
    fn blocks_do_not_overlap_and_are_reused_after_a_free() {
        let heap = SizeClasses;
        let layouts =
            [1, 16, 17, 100, 129, 700, 4096, 5000, MAX_SMALL, MAX_SMALL + 1].map(|size| Layout::from_size_align(size, 8).unwrap());
        // SAFETY: each block is written within its layout, then freed once
        // with the layout it was allocated with.
        unsafe {
            let blocks: Vec<*mut u8> = layouts.iter().map(|&l| heap.alloc(l)).collect();
            for (i, (&block, layout)) in blocks.iter().zip(&layouts).enumerate() {
                assert_eq!(block as usize % ALIGN, 0);
                ptr::write_bytes(block, i as u8, layout.size());
            }
            for (i, (&block, layout)) in blocks.iter().zip(&layouts).enumerate() {
                let bytes = std::slice::from_raw_parts(block, layout.size());
                assert!(bytes.iter().all(|&b| b == i as u8), "block {i} was overwritten");
            }
            heap.dealloc(blocks[3], layouts[3]);
            assert_eq!(heap.alloc(layouts[3]), blocks[3], "a freed block is reused first");
            for (&block, &layout) in blocks.iter().zip(&layouts) {
                heap.dealloc(block, layout);
            }
        }
    }

    #[test]
    fn realloc_keeps_the_contents_across_classes_and_into_the_system_allocator() {
        let heap = SizeClasses;
        let mut layout = Layout::from_size_align(1, 1).unwrap();
        // SAFETY: the block is reallocated with its current layout and only
        // touched within it.
        unsafe {
            let mut block = heap.alloc(layout);
            block.write(0);
            for size in [2, 40, 300, 5000, MAX_SMALL, MAX_SMALL + 100, 100_000, 3000, 24] {
                let keep = layout.size().min(size);
                block = heap.realloc(block, layout, size);
                assert!(!block.is_null());
                for i in 0..keep {
                    assert_eq!(*block.add(i), (i % 251) as u8, "byte {i} lost growing to {size}");
                }
                for i in keep..size {
                    *block.add(i) = (i % 251) as u8;
                }
                layout = Layout::from_size_align(size, 1).unwrap();
            }
            heap.dealloc(block, layout);
        }
    }

    #[test]
    fn a_block_freed_on_another_thread_is_reused_there() {
        let layout = Layout::from_size_align(48, 8).unwrap();
        // SAFETY: allocated here, freed once on the other thread.
        let block = unsafe { SizeClasses.alloc(layout) } as usize;
        std::thread::spawn(move || unsafe {
            SizeClasses.dealloc(block as *mut u8, layout);
            assert_eq!(SizeClasses.alloc(layout) as usize, block);
            SizeClasses.dealloc(block as *mut u8, layout);
        })
        .join()
        .unwrap();
    }
}
