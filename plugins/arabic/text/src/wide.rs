//! The line walkers' common runs found, and folded to the matching form, 16
//! bytes at a time (SSE2, which every x86_64 processor has): ASCII, single
//! spaces and two-byte Arabic letters, which make up most news text. Byte by
//! byte, each of them costs a few branches, and the end of every word a
//! mispredicted one.
//!
//! Unsafe code: entering the target-feature functions, and [`fold_run`]'s
//! store of a folded chunk straight into the string's spare room.
//!
//! A scan may stop short of the run's real end (at an ASCII control
//! character, or at a space when the byte before it is one): its callers
//! handle the character it stops at one by one, as they handle any other.

use std::arch::x86_64::{
    __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8,
    _mm_cvtsi32_si128, _mm_cvtsi128_si64, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
    _mm_set_epi64x, _mm_set1_epi8, _mm_slli_si128, _mm_srli_si128, _mm_storeu_si128, _mm_sub_epi8,
    _mm_unpackhi_epi64, _mm_xor_si128,
};

/// The end of the run from `at` (a char boundary, `at < bytes.len()`) of
/// ASCII from `!` to DEL, spaces, and two-byte Arabic letters (U+0621..=
/// U+063A, U+0641..=U+064A), where a space is let in only after a byte
/// above the space (the first byte, a space or not, has no byte before it:
/// the caller decides). Always a char boundary.
#[inline]
pub(crate) fn run_end(bytes: &[u8], at: usize) -> usize {
    // SAFETY: SSE2 is part of the x86_64 baseline, and this module is
    // compiled only where `target_feature = "sse2"` holds.
    unsafe { run_end_sse2(bytes, at) }
}

#[inline]
#[target_feature(enable = "sse2")]
fn run_end_sse2(bytes: &[u8], mut at: usize) -> usize {
    // The byte before the chunk's first lane: none at first (so not a
    // space), then the last one taken.
    let mut before_chunk = 0xFF;
    while at < bytes.len() {
        let (x, base) = chunk_at(bytes, at);
        let lanes = Lanes::of(x, before_chunk);
        let ok = _mm_or_si128(lanes.ascii_or_space, _mm_or_si128(lanes.lead, lanes.letter));
        let ok = _mm_movemask_epi8(ok) as u32 | ((1u32 << (at - base)) - 1);
        if ok != 0xFFFF {
            return base + lanes.run_end(ok);
        }
        at = base + 16 - lanes.lead_last();
        before_chunk = i32::from(bytes[at - 1]);
    }
    at
}

/// Appends to `out` the matching form of the run from `at` that
/// [`run_end`] finds, and returns its end. Each character folds to one of
/// its own length (capitals to lower case, آ أ إ → ا, ة → ه, ى → ي, the
/// rest to itself), so a whole chunk folds at once and is stored as it is.
#[inline]
pub(crate) fn fold_run(bytes: &[u8], at: usize, out: &mut String) -> usize {
    // SAFETY: SSE2 is part of the x86_64 baseline, and this module is
    // compiled only where `target_feature = "sse2"` holds.
    unsafe { fold_run_sse2(bytes, at, out) }
}

#[inline]
#[target_feature(enable = "sse2")]
fn fold_run_sse2(bytes: &[u8], mut at: usize, out: &mut String) -> usize {
    let mut before_chunk = 0xFF;
    while at < bytes.len() {
        let (x, base) = chunk_at(bytes, at);
        let lanes = Lanes::of(x, before_chunk);
        let ok = _mm_or_si128(lanes.ascii_or_space, _mm_or_si128(lanes.lead, lanes.letter));
        let before = (1u32 << (at - base)) - 1;
        let ok = _mm_movemask_epi8(ok) as u32 | before;
        let (taken, end) = if ok == 0xFFFF {
            (16 - lanes.lead_last(), None)
        } else {
            let k = lanes.run_end(ok);
            (k, Some(base + k))
        };
        // The second bytes of آ أ إ become ا's (D8 A7), ة's D8 A9 becomes
        // ه's D9 87 (its lead is the lane before), ى's D9 89 becomes ي's D9
        // 8A; capitals get bit 5 (they have it clear).
        let n = lanes.n;
        let alef = _mm_and_si128(
            lanes.after_d8,
            _mm_or_si128(
                _mm_cmpeq_epi8(
                    _mm_and_si128(n, _mm_set1_epi8(0xFEu8 as i8)),
                    _mm_set1_epi8(0x22),
                ),
                _mm_cmpeq_epi8(n, _mm_set1_epi8(0x25)),
            ),
        );
        let teh = _mm_and_si128(lanes.after_d8, _mm_cmpeq_epi8(n, _mm_set1_epi8(0x29)));
        let yeh = _mm_and_si128(lanes.after_d9, _mm_cmpeq_epi8(n, _mm_set1_epi8(0x09)));
        let teh_lead = _mm_srli_si128::<1>(teh);
        let changed = _mm_or_si128(_mm_or_si128(alef, teh), yeh);
        let replacement = _mm_or_si128(
            _mm_or_si128(
                _mm_and_si128(alef, _mm_set1_epi8(0xA7u8 as i8)),
                _mm_and_si128(teh, _mm_set1_epi8(0x87u8 as i8)),
            ),
            _mm_and_si128(yeh, _mm_set1_epi8(0x8Au8 as i8)),
        );
        let folded = _mm_or_si128(_mm_andnot_si128(changed, x), replacement);
        // D8 + 1 = D9 where a teh marbuta starts.
        let folded = _mm_sub_epi8(folded, teh_lead);
        let folded = _mm_or_si128(folded, _mm_and_si128(lanes.capital, _mm_set1_epi8(0x20)));
        store(out, folded, at - base, taken, at + 16 <= bytes.len());
        match end {
            None => {
                at = base + taken;
                before_chunk = i32::from(bytes[at - 1]);
            }
            Some(end) => return end,
        }
    }
    at
}

/// Appends lanes `from..to` of `folded` to `out`: whole characters, each
/// the matching form of a run character (ASCII, or a two-byte letter).
/// `inside`: whether the chunk lies inside the text, which then has room
/// for all of it in `out` (made as long as the text: one byte out for each
/// byte in, but where a rare character folds to more).
#[inline]
#[target_feature(enable = "sse2")]
fn store(out: &mut String, folded: __m128i, from: usize, to: usize, inside: bool) {
    if from == 0 && inside {
        out.reserve(16);
        // SAFETY: the vector takes any bytes, and the string's length below
        // only ever lets whole characters in (lanes `0..to` are the folded
        // forms of whole characters, each ASCII or two bytes).
        let vec = unsafe { out.as_mut_vec() };
        let len = vec.len();
        let spare = vec.spare_capacity_mut();
        debug_assert!(spare.len() >= 16 && to <= 16);
        // SAFETY: `reserve` left room for the 16 bytes written; an
        // unaligned store.
        unsafe { _mm_storeu_si128(spare.as_mut_ptr().cast(), folded) };
        // SAFETY: the first `to` bytes of the spare room were just written,
        // and are whole characters (above).
        unsafe { vec.set_len(len + to) };
        return;
    }
    // The end of the text (the last 16 bytes of it, or fewer padded): by
    // way of an array, so as not to grow `out` past the text's length.
    let mut lanes = [0u8; 16];
    let low = _mm_cvtsi128_si64(folded);
    let high = _mm_cvtsi128_si64(_mm_unpackhi_epi64(folded, folded));
    lanes[..8].copy_from_slice(&low.to_le_bytes());
    lanes[8..].copy_from_slice(&high.to_le_bytes());
    // SAFETY: as above, lanes `from..to` are whole characters.
    unsafe { out.as_mut_vec() }.extend_from_slice(&lanes[from..to]);
}

/// The chunk of 16 bytes from `at`, and where it starts: near the end, the
/// last 16 (lanes before `at` to be counted as passed), or a short text
/// padded with NULs, which no run takes in.
#[inline]
#[target_feature(enable = "sse2")]
fn chunk_at(bytes: &[u8], at: usize) -> (__m128i, usize) {
    let len = bytes.len();
    if let Some(chunk) = bytes.get(at..at + 16) {
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
    }
}

/// What each lane of a chunk holds (all ones where so).
struct Lanes {
    /// ASCII from `!` to DEL, or a space after a byte above the space.
    ascii_or_space: __m128i,
    /// ASCII capitals.
    capital: __m128i,
    /// D8 or D9.
    lead: __m128i,
    /// After D8, after D9.
    after_d8: __m128i,
    after_d9: __m128i,
    /// The lane as a second byte 0x80 + n: n (else outside 0..64).
    n: __m128i,
    /// The second byte of an Arabic letter: D8 A1..=BA or D9 81..=8A.
    letter: __m128i,
}

impl Lanes {
    /// The lanes of `x`, after the byte `before` (0xFF: none).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn of(x: __m128i, before: i32) -> Lanes {
        let prev = _mm_or_si128(_mm_slli_si128::<1>(x), _mm_cvtsi32_si128(before));
        let prev_space_or_control = _mm_cmpeq_epi8(_mm_min_epu8(prev, _mm_set1_epi8(0x20)), prev);
        let space = _mm_andnot_si128(
            prev_space_or_control,
            _mm_cmpeq_epi8(x, _mm_set1_epi8(0x20)),
        );
        let ascii_or_space = _mm_or_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x20)), space);
        let capital = _mm_and_si128(
            _mm_cmpgt_epi8(x, _mm_set1_epi8(0x40)),
            _mm_cmplt_epi8(x, _mm_set1_epi8(0x5B)),
        );
        let lead = _mm_cmpeq_epi8(
            _mm_or_si128(x, _mm_set1_epi8(1)),
            _mm_set1_epi8(0xD9u8 as i8),
        );
        let n = _mm_xor_si128(x, _mm_set1_epi8(0x80u8 as i8));
        let after_d8 = _mm_cmpeq_epi8(prev, _mm_set1_epi8(0xD8u8 as i8));
        let after_d9 = _mm_cmpeq_epi8(prev, _mm_set1_epi8(0xD9u8 as i8));
        let letter_d8 = _mm_and_si128(
            _mm_cmpgt_epi8(n, _mm_set1_epi8(0x20)),
            _mm_cmplt_epi8(n, _mm_set1_epi8(0x3B)),
        );
        let letter_d9 = _mm_and_si128(
            _mm_cmpgt_epi8(n, _mm_set1_epi8(0x00)),
            _mm_cmplt_epi8(n, _mm_set1_epi8(0x0B)),
        );
        let letter = _mm_or_si128(
            _mm_and_si128(after_d8, letter_d8),
            _mm_and_si128(after_d9, letter_d9),
        );
        Lanes {
            ascii_or_space,
            capital,
            lead,
            after_d8,
            after_d9,
            n,
            letter,
        }
    }

    /// 1 when the last lane is a lead byte, whose letter is the next
    /// chunk's.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn lead_last(&self) -> usize {
        (_mm_movemask_epi8(self.lead) as u32 >> 15) as usize
    }

    /// The run's end in a chunk whose lanes `ok` (a movemask) are not all
    /// taken: the first lane refused, or its lead's lane when it is a
    /// second byte (its lead, past the run's start, goes too).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn run_end(&self, ok: u32) -> usize {
        let k = (!ok).trailing_zeros();
        let second = _mm_movemask_epi8(_mm_cmplt_epi8(self.n, _mm_set1_epi8(0x40))) as u32
            & !_mm_movemask_epi8(self.n) as u32;
        (k - ((second >> k) & 1)) as usize
    }
}

#[inline]
#[target_feature(enable = "sse2")]
fn load(chunk: &[u8; 16]) -> __m128i {
    // Two halves read as integers: one unaligned vector load once compiled.
    let low = i64::from_le_bytes(chunk[..8].try_into().expect("8 bytes"));
    let high = i64::from_le_bytes(chunk[8..].try_into().expect("8 bytes"));
    _mm_set_epi64x(high, low)
}
