//! `memcpy`, `memmove` and `memset` for the static musl build, in place of
//! musl's own.
//!
//! Why: the shipped binary links musl on x86_64 Linux (`scripts/build-release`),
//! because glibc's start-up asks `cpuid` about every cache level, and a
//! virtual machine traps each question: a third of a millisecond of every
//! run on our 2-core VMs. But musl copies with `rep movsq` and fills with
//! `rep stosq`, which cost 40–50 ns a call there whatever the size, and it
//! moves overlapping bytes backwards with `std; rep movsb`, 120 ns and up. A
//! production render makes about 4,900 copies and 1,000 fills (counted with
//! gdb: 57% of the copies are of eight bytes or fewer, 88% of 32 or fewer),
//! and with musl's versions it was slower than with glibc's (2.29 ms against
//! 2.04 ms).
//!
//! Here copies and fills of up to 32 bytes are a few plain loads and stores,
//! and longer ones `rep movsb` and `rep stosb`, which CPUs with fast short
//! `rep mov` (Intel since Ice Lake, AMD since Zen 3) run at the speed of
//! glibc's vector loops. Overlapping moves downwards copy forwards; upwards,
//! eight bytes at a time from the end.
//!
//! The functions are written so that the compiler cannot turn them back into
//! calls to themselves: fixed-size loads and stores, and assembly for every
//! loop. On other targets the C library's versions are used, and these are
//! only tested.

use std::arch::asm;

/// Copies `n` bytes from `src` to `dest`: short copies at once, longer ones
/// upwards, one byte after the other.
///
/// # Safety
/// Both ranges must be valid for `n` bytes; they may overlap only when
/// `dest` is below `src`.
#[inline(always)]
pub unsafe fn copy_forward(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller's contract (a short copy reads everything before
    // it writes, so it is right for any overlap).
    unsafe {
        if n <= SHORT {
            copy_short(dest, src, n);
        } else {
            // `rep movsb`, with the direction flag clear (the ABI's default),
            // copies upwards, one byte after the other.
            asm!("rep movsb", inout("rcx") n => _, inout("rdi") dest => _, inout("rsi") src => _, options(nostack, preserves_flags));
        }
    }
}

/// Copies `n` bytes from `src` to `dest`: short copies at once, longer ones
/// from the end, eight bytes at a time.
///
/// # Safety
/// Both ranges must be valid for `n` bytes; they may overlap only when
/// `dest` is above `src`.
#[inline(always)]
pub unsafe fn copy_backward(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller's contract. Each step reads its bytes before it
    // writes them, and what it writes lies above everything still to be
    // read, because `dest` is above `src`.
    unsafe {
        if n <= SHORT {
            copy_short(dest, src, n);
            return;
        }
        asm!(
            "2:",
            "cmp {n}, 8",
            "jb 3f",
            "sub {n}, 8",
            "mov {tmp}, qword ptr [{src} + {n}]",
            "mov qword ptr [{dest} + {n}], {tmp}",
            "jmp 2b",
            "3:",
            "test {n}, {n}",
            "jz 4f",
            "dec {n}",
            "movzx {tmp:e}, byte ptr [{src} + {n}]",
            "mov byte ptr [{dest} + {n}], {tmp:l}",
            "jmp 3b",
            "4:",
            n = inout(reg) n => _,
            src = in(reg) src,
            dest = in(reg) dest,
            tmp = out(reg) _,
            options(nostack),
        );
    }
}

/// Copies `n` bytes from `src` to `dest`, the ranges possibly overlapping.
///
/// # Safety
/// Both ranges must be valid for `n` bytes.
#[inline(always)]
pub unsafe fn copy_overlapping(dest: *mut u8, src: *const u8, n: usize) {
    // Forward is right unless `dest` starts inside `src`'s range, where a
    // forward copy would overwrite bytes before reading them.
    // SAFETY: the caller's contract, and the direction each copy needs.
    unsafe {
        if (dest as usize).wrapping_sub(src as usize) >= n {
            copy_forward(dest, src, n);
        } else {
            copy_backward(dest, src, n);
        }
    }
}

/// Sets `n` bytes from `dest` on to `byte`.
///
/// # Safety
/// The range must be valid for `n` bytes.
#[inline(always)]
pub unsafe fn fill(dest: *mut u8, byte: u8, n: usize) {
    // SAFETY: the caller's contract.
    unsafe {
        if n <= SHORT {
            // Two stores from each end that meet or overlap in the middle.
            let word = u64::from_ne_bytes([byte; 8]);
            if n >= 16 {
                let both = u128::from(word) << 64 | u128::from(word);
                (dest as *mut u128).write_unaligned(both);
                (dest.add(n - 16) as *mut u128).write_unaligned(both);
            } else if n >= 8 {
                (dest as *mut u64).write_unaligned(word);
                (dest.add(n - 8) as *mut u64).write_unaligned(word);
            } else if n >= 4 {
                (dest as *mut u32).write_unaligned(word as u32);
                (dest.add(n - 4) as *mut u32).write_unaligned(word as u32);
            } else if n > 0 {
                *dest = byte;
                *dest.add(n / 2) = byte;
                *dest.add(n - 1) = byte;
            }
        } else {
            // `rep stosb` stores `al` upwards.
            asm!("rep stosb", inout("rcx") n => _, inout("rdi") dest => _, in("al") byte, options(nostack, preserves_flags));
        }
    }
}

/// Copies up to this many bytes with plain loads and stores: nine in ten of
/// a render's copies (most are eight bytes or fewer), where even `rep movsb`
/// costs its start-up.
const SHORT: usize = 32;

/// Copies `n <= SHORT` bytes as two loads from each end, which meet or
/// overlap in the middle, then two stores: every byte is read before any is
/// written, so the ranges may overlap either way.
#[inline(always)]
unsafe fn copy_short(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller's contract; each access is within the `n` bytes.
    // Fixed-size unaligned accesses compile to single moves, never to a call.
    unsafe {
        if n >= 16 {
            let first = (src as *const u128).read_unaligned();
            let last = (src.add(n - 16) as *const u128).read_unaligned();
            (dest as *mut u128).write_unaligned(first);
            (dest.add(n - 16) as *mut u128).write_unaligned(last);
        } else if n >= 8 {
            let first = (src as *const u64).read_unaligned();
            let last = (src.add(n - 8) as *const u64).read_unaligned();
            (dest as *mut u64).write_unaligned(first);
            (dest.add(n - 8) as *mut u64).write_unaligned(last);
        } else if n >= 4 {
            let first = (src as *const u32).read_unaligned();
            let last = (src.add(n - 4) as *const u32).read_unaligned();
            (dest as *mut u32).write_unaligned(first);
            (dest.add(n - 4) as *mut u32).write_unaligned(last);
        } else if n > 0 {
            let (first, middle, last) = (*src, *src.add(n / 2), *src.add(n - 1));
            *dest = first;
            *dest.add(n / 2) = middle;
            *dest.add(n - 1) = last;
        }
    }
}

/// The C library's names, for musl only: its object files are then never
/// linked in, and every caller in the binary, musl's own code included,
/// gets these.
#[cfg(target_env = "musl")]
mod exports {
    use std::ffi::c_int;

    /// # Safety
    /// C's `memcpy`: valid ranges that do not overlap.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        // SAFETY: C's contract for `memcpy` is stronger than ours.
        unsafe { super::copy_forward(dest, src, n) };
        dest
    }

    /// # Safety
    /// C's `memmove`: valid ranges.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        // SAFETY: C's contract for `memmove` is ours.
        unsafe { super::copy_overlapping(dest, src, n) };
        dest
    }

    /// # Safety
    /// C's `memset`: a valid range.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memset(dest: *mut u8, byte: c_int, n: usize) -> *mut u8 {
        // SAFETY: C's contract; C takes the byte as an `int` and stores
        // its low eight bits.
        unsafe { super::fill(dest, byte as u8, n) };
        dest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes around every boundary: the short copies' 4, 8, 16 and 32, the
    /// backward loop's 8-byte steps and byte tail, and a few large ones.
    const SIZES: &[usize] = &[
        0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 40, 63, 64, 65, 127, 255, 256, 1000, 4093, 4096, 10_007,
    ];

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + 3) as u8).collect()
    }

    #[test]
    fn copies_every_size_at_every_alignment() {
        for &n in SIZES {
            for offset in 0..9 {
                let src = pattern(n + 16);
                let mut forward = vec![0xAA; n + 32];
                let mut backward = vec![0xAA; n + 32];
                // SAFETY: both buffers hold `offset + n` bytes and more.
                unsafe {
                    copy_forward(forward.as_mut_ptr().add(offset), src.as_ptr().add(1), n);
                    copy_backward(backward.as_mut_ptr().add(offset), src.as_ptr().add(1), n);
                }
                let mut expected = vec![0xAA; n + 32];
                expected[offset..offset + n].copy_from_slice(&src[1..1 + n]);
                assert_eq!(forward, expected, "copy_forward of {n} bytes at offset {offset}");
                assert_eq!(backward, expected, "copy_backward of {n} bytes at offset {offset}");
            }
        }
    }

    #[test]
    fn overlapping_copies_match_copy_within() {
        for &n in SIZES {
            for shift in [1, 2, 7, 8, 9, 16, 33, n / 2, n] {
                let original = pattern(2 * n + 40);
                // Up: the destination starts inside the source.
                let mut ours = original.clone();
                let mut std = original.clone();
                // SAFETY: `shift + n` is within the buffer.
                unsafe { copy_overlapping(ours.as_mut_ptr().add(shift), ours.as_ptr(), n) };
                std.copy_within(0..n, shift);
                assert_eq!(ours, std, "{n} bytes moved up by {shift}");
                // Down: the source starts inside the destination.
                let mut ours = original.clone();
                let mut std = original.clone();
                // SAFETY: as above.
                unsafe { copy_overlapping(ours.as_mut_ptr(), ours.as_ptr().add(shift), n) };
                std.copy_within(shift..shift + n, 0);
                assert_eq!(ours, std, "{n} bytes moved down by {shift}");
            }
        }
    }

    #[test]
    fn fills_exactly_the_range() {
        for &n in SIZES {
            for offset in 0..9 {
                let mut buffer = vec![0xAA; n + 32];
                // SAFETY: the buffer holds `offset + n` bytes and more.
                unsafe { fill(buffer.as_mut_ptr().add(offset), 0x5C, n) };
                let mut expected = vec![0xAA; n + 32];
                expected[offset..offset + n].fill(0x5C);
                assert_eq!(buffer, expected, "fill of {n} bytes at offset {offset}");
            }
        }
    }
}
