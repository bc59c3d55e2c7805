//! The line walkers' common runs found 16 bytes at a time (SSE2, which every
//! x86_64 processor has): ASCII, single spaces and two-byte Arabic letters,
//! which make up most news text. Byte by byte, each of them costs a few
//! branches, and the end of every word a mispredicted one.
//!
//! A scan may stop short of the run's real end (at an ASCII control
//! character, or at a space when the byte before it is one): its callers
//! handle the character it stops at one by one, as they handle any other.

use std::arch::x86_64::{
    __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8,
    _mm_cvtsi32_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
    _mm_set1_epi8, _mm_slli_si128, _mm_xor_si128,
};

/// What [`run_end`] lets into a run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    /// Every Arabic letter (U+0621..=U+063A, U+0641..=U+064A): what
    /// `stable_line` passes over.
    Letters,
    /// The Arabic letters that fold to themselves (not آ أ إ ة ى): what the
    /// matching form copies.
    SelfFolding,
}

/// The end of the run from `at` (a char boundary, `at < bytes.len()`) of
/// ASCII from `!` to DEL, spaces, and the two-byte Arabic letters of `kind`,
/// where a space is let in only after a byte above the space (the first
/// byte, a space or not, has no byte before it: the caller decides), and
/// whether the run holds an ASCII capital. Always a char boundary.
#[inline]
pub(crate) fn run_end(bytes: &[u8], at: usize, kind: Run) -> (usize, bool) {
    // SAFETY: SSE2 is part of the x86_64 baseline, and this module is
    // compiled only where `target_feature = "sse2"` holds.
    unsafe {
        // One copy of the scan for each kind (a run-time test of `kind` in
        // the loop cost more instructions than it tests).
        match kind {
            Run::Letters => run_end_sse2::<false>(bytes, at),
            Run::SelfFolding => run_end_sse2::<true>(bytes, at),
        }
    }
}

/// [`run_end`], of [`Run::SelfFolding`] or else [`Run::Letters`].
#[inline]
#[target_feature(enable = "sse2")]
fn run_end_sse2<const SELF_FOLDING: bool>(bytes: &[u8], mut at: usize) -> (usize, bool) {
    let len = bytes.len();
    let mut capitals = false;
    // The byte before the chunk's first lane: none at first (so not a
    // space), then the last one taken.
    let mut before_chunk = 0xFF;
    while at < len {
        // The 16 bytes from `at`; near the end, the last 16 (lanes before
        // `at` counted as passed), or a short text padded with NULs, which
        // no run takes in.
        let (x, base) = if let Some(chunk) = bytes.get(at..at + 16) {
            (load(chunk.try_into().expect("16 bytes")), at)
        } else if len >= 16 {
            (
                load(bytes[len - 16..].try_into().expect("16 bytes")),
                len - 16,
            )
        } else {
            let mut padded = [0u8; 16];
            padded[..len].copy_from_slice(bytes);
            (load(&padded), 0)
        };
        let before = (1u32 << (at - base)) - 1;
        // The byte before each lane.
        let prev = _mm_or_si128(_mm_slli_si128::<1>(x), _mm_cvtsi32_si128(before_chunk));
        let ascii = _mm_cmpgt_epi8(x, _mm_set1_epi8(0x20));
        let prev_space_or_control = _mm_cmpeq_epi8(_mm_min_epu8(prev, _mm_set1_epi8(0x20)), prev);
        let space = _mm_andnot_si128(
            prev_space_or_control,
            _mm_cmpeq_epi8(x, _mm_set1_epi8(0x20)),
        );
        let lead = _mm_cmpeq_epi8(
            _mm_or_si128(x, _mm_set1_epi8(1)),
            _mm_set1_epi8(0xD9u8 as i8),
        );
        // A second byte, 0x80 + n, as n (anything else lands outside 0..64).
        let n = _mm_xor_si128(x, _mm_set1_epi8(0x80u8 as i8));
        let after_d8 = _mm_cmpeq_epi8(prev, _mm_set1_epi8(0xD8u8 as i8));
        let after_d9 = _mm_cmpeq_epi8(prev, _mm_set1_epi8(0xD9u8 as i8));
        // D8 A1..=BA and D9 81..=8A.
        let letter_d8 = _mm_and_si128(
            _mm_cmpgt_epi8(n, _mm_set1_epi8(0x20)),
            _mm_cmplt_epi8(n, _mm_set1_epi8(0x3B)),
        );
        let letter_d9 = _mm_and_si128(
            _mm_cmpgt_epi8(n, _mm_set1_epi8(0x00)),
            _mm_cmplt_epi8(n, _mm_set1_epi8(0x0B)),
        );
        let mut second = _mm_or_si128(
            _mm_and_si128(after_d8, letter_d8),
            _mm_and_si128(after_d9, letter_d9),
        );
        if SELF_FOLDING {
            // But آ أ إ ة (D8 A2 A3 A5 A9) and ى (D9 89): n is 0x22 or 0x23,
            // 0x25, 0x09 or 0x29 (neither of which the other lead's range
            // holds).
            let folds = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi8(
                        _mm_and_si128(n, _mm_set1_epi8(0xFEu8 as i8)),
                        _mm_set1_epi8(0x22),
                    ),
                    _mm_cmpeq_epi8(n, _mm_set1_epi8(0x25)),
                ),
                _mm_cmpeq_epi8(
                    _mm_and_si128(n, _mm_set1_epi8(0xDFu8 as i8)),
                    _mm_set1_epi8(0x09),
                ),
            );
            second = _mm_andnot_si128(folds, second);
        }
        let ok = _mm_or_si128(_mm_or_si128(ascii, space), _mm_or_si128(lead, second));
        let ok = _mm_movemask_epi8(ok) as u32 | before;
        let capital = _mm_and_si128(
            _mm_cmpgt_epi8(x, _mm_set1_epi8(0x40)),
            _mm_cmplt_epi8(x, _mm_set1_epi8(0x5B)),
        );
        let capital = _mm_movemask_epi8(capital) as u32 & !before;
        if ok == 0xFFFF {
            capitals |= capital != 0;
            // A lead byte in the last lane: its letter is the next chunk's.
            let lead_last = (_mm_movemask_epi8(lead) as u32 >> 15) as usize;
            at = base + 16 - lead_last;
            before_chunk = i32::from(bytes[at - 1]);
            continue;
        }
        let mut k = (!ok).trailing_zeros();
        // A second byte refused: its lead (lane k - 1, past `at`) goes too.
        let second_byte = _mm_cmplt_epi8(x, _mm_set1_epi8(0xC0u8 as i8));
        k -= (_mm_movemask_epi8(second_byte) as u32 >> k) & 1;
        capitals |= capital & ((1 << k) - 1) != 0;
        return (base + k as usize, capitals);
    }
    (at, capitals)
}

#[inline]
#[target_feature(enable = "sse2")]
fn load(chunk: &[u8; 16]) -> __m128i {
    // Two halves read as integers: one unaligned vector load once compiled.
    let low = i64::from_le_bytes(chunk[..8].try_into().expect("8 bytes"));
    let high = i64::from_le_bytes(chunk[8..].try_into().expect("8 bytes"));
    _mm_set_epi64x(high, low)
}
