//! prost's `decode_varint` and `decode_key` for byte slices, with the
//! one- and two-byte cases inline: nearly every tag and length of an
//! article is one of those, and prost's general versions (through `Buf`,
//! not inlined) were a sixth of what decoding a view costs a plugin. Any
//! other input, and every error, goes to prost's own functions, so the
//! values and errors are prost's.

use prost::DecodeError;
use prost::encoding::WireType;

/// prost's [`prost::encoding::decode_varint`].
#[inline(always)]
pub(crate) fn decode_varint(buf: &mut &[u8]) -> Result<u64, DecodeError> {
    match **buf {
        [low, ref rest @ ..] if low < 0x80 => {
            *buf = rest;
            Ok(u64::from(low))
        }
        [low, high, ref rest @ ..] if high < 0x80 => {
            *buf = rest;
            Ok(u64::from(low & 0x7f) | u64::from(high) << 7)
        }
        _ => prost::encoding::decode_varint(buf),
    }
}

/// prost's [`prost::encoding::decode_key`].
#[inline(always)]
pub(crate) fn decode_key(buf: &mut &[u8]) -> Result<(u32, WireType), DecodeError> {
    if let [key, ref rest @ ..] = **buf
        && key < 0x80
        && key >> 3 != 0
    {
        let wire_type = match key & 0x07 {
            0 => WireType::Varint,
            1 => WireType::SixtyFourBit,
            2 => WireType::LengthDelimited,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::ThirtyTwoBit,
            // Invalid: prost says why.
            _ => return prost::encoding::decode_key(buf),
        };
        *buf = rest;
        return Ok((u32::from(key >> 3), wire_type));
    }
    prost::encoding::decode_key(buf)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The same value (or error) and the same bytes left as prost's,
        /// on any bytes and on every encoded varint.
        #[test]
        fn same_as_prost(bytes in prop::collection::vec(any::<u8>(), 0..12), value in any::<u64>()) {
            let mut encoded = Vec::new();
            prost::encoding::encode_varint(value, &mut encoded);
            encoded.extend_from_slice(&bytes);
            for input in [&bytes[..], &encoded[..]] {
                let (mut ours, mut theirs) = (input, input);
                let got = decode_varint(&mut ours).map_err(|e| e.to_string());
                let want = prost::encoding::decode_varint(&mut theirs).map_err(|e| e.to_string());
                prop_assert_eq!(&got, &want);
                if want.is_ok() {
                    prop_assert_eq!(ours, theirs);
                }
                let (mut ours, mut theirs) = (input, input);
                let got = decode_key(&mut ours).map_err(|e| e.to_string());
                let want = prost::encoding::decode_key(&mut theirs).map_err(|e| e.to_string());
                prop_assert_eq!(&got, &want);
                if want.is_ok() {
                    prop_assert_eq!(ours, theirs);
                }
            }
            prop_assert_eq!(decode_varint(&mut &encoded[..]).ok(), Some(value));
        }
    }
}
