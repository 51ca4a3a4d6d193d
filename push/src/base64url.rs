//! base64url without padding (RFC 4648 §5), through the `base64` crate: strict both ways (no padding, no other
//! alphabet, no set bits past the last byte, so every byte string has exactly one text).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The base64url text of `bytes`, without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of base64url text without padding; `None` for any other character, a length no encoding has, or
/// set bits past the last byte.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648s_vectors_in_the_url_alphabet() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xfb, 0xff, 0xbf], "-_-_"),
        ] {
            assert_eq!(encode(bytes), text);
            assert_eq!(decode(text).as_deref(), Some(bytes), "{text:?}");
        }
    }

    #[test]
    fn padding_other_alphabets_impossible_lengths_and_stray_bits_are_refused() {
        for text in ["A", "AAAAA", "ab==", "ab=", "a+b/", "a b", "ab\n", "Zm9v\u{e9}", "QR", "QUJ"] {
            assert_eq!(decode(text), None, "{text:?}");
        }
    }
}
