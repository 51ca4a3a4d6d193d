//! base64url without padding (RFC 4648 §5), written out: the `base64` crate's generic engine is about 6 KB of
//! wasm, and the worker needs only this one alphabet, both ways.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64url text of `bytes`, without padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        // The chunk's bytes as the top of 24 bits; one character per 6 bits that hold any of them.
        let bits = chunk.iter().zip([16, 8, 0]).fold(0_u32, |bits, (&byte, shift)| bits | u32::from(byte) << shift);
        for shift in [18, 12, 6, 0].into_iter().take(chunk.len() + 1) {
            let index = usize::try_from((bits >> shift) & 63).unwrap_or_default();
            out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')));
        }
    }
    out
}

/// The bytes of base64url text without padding; `None` for any other character, a length no encoding has, or
/// set bits past the last byte (so that every byte string has exactly one text).
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        let mut bits = 0_u32;
        for (&c, shift) in chunk.iter().zip([18, 12, 6, 0]) {
            let value = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' => 62,
                b'_' => 63,
                _ => return None,
            };
            bits |= u32::from(value) << shift;
        }
        let carried = chunk.len() - 1;
        let [_, b0, b1, b2] = bits.to_be_bytes();
        out.extend([b0, b1, b2].into_iter().take(carried));
        // 2 characters carry one byte (4 bits left over), 3 carry two (2 left over): those must be zero.
        if bits & ((1_u32 << (24 - 8 * carried)) - 1) != 0 {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn agrees_with_the_base64_crate_both_ways() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 0..200 {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x.to_le_bytes()[0]
                    })
                    .collect();
                let text = encode(&bytes);
                assert_eq!(text, URL_SAFE_NO_PAD.encode(&bytes));
                assert_eq!(decode(&text), Some(bytes));
            }
        }
    }

    #[test]
    fn refuses_what_the_base64_crate_refuses() {
        let samples = [
            "",
            "A",
            "AA",
            "AB",
            "AAA",
            "AAB",
            "AAAA",
            "QQ",
            "QR",
            "QUI",
            "QUJ",
            "QUJD",
            "Zm9vYmFy",
            "Zm9vYmF",
            "Zm9vYmE",
            "a+b/",
            "ab==",
            "ab=",
            "a b",
            "ab\n",
            "Zm9v\u{e9}",
            "_-_-",
            "____",
            "-",
            "AAAAA",
            "AAAAAA",
        ];
        for text in samples {
            assert_eq!(decode(text), URL_SAFE_NO_PAD.decode(text).ok(), "{text:?}");
        }
        // Every two- and three-character text over a mixed alphabet.
        let chars = ["A", "B", "P", "Q", "g", "h", "w", "x", "-", "_", "=", "+", "0", "9"];
        for a in chars {
            for b in chars {
                let two = format!("{a}{b}");
                assert_eq!(decode(&two), URL_SAFE_NO_PAD.decode(&two).ok(), "{two:?}");
                for c in chars {
                    let three = format!("{a}{b}{c}");
                    assert_eq!(decode(&three), URL_SAFE_NO_PAD.decode(&three).ok(), "{three:?}");
                }
            }
        }
    }
}
