//! Fuzzes `shared::llu::classify` with an arbitrary endpoint, HTTP status, headers and body.
//!
//! Input layout: byte 0 picks the endpoint, bytes 1–2 the status (byte 3's low bit swaps in a status LLU really
//! uses), byte 3's upper bits the number of header lines (0–3). Then that many `name:value\n` lines, then the
//! body. Besides "never panics", it checks invariants every outcome must keep.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::llu::{Endpoint, Outcome, Payload, Retry, classify};

const ENDPOINTS: [Endpoint; 7] = [
    Endpoint::Login,
    Endpoint::ContinueStep,
    Endpoint::Connections,
    Endpoint::Graph,
    Endpoint::Logbook,
    Endpoint::CountryConfig,
    Endpoint::Other,
];
const STATUSES: [u16; 12] = [200, 400, 401, 403, 404, 429, 430, 500, 502, 503, 911, 920];

fuzz_target!(|data: &[u8]| {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let endpoint = ENDPOINTS[usize::from(byte(0)) % ENDPOINTS.len()];
    let raw_status = u16::from_le_bytes([byte(1), byte(2)]);
    let status = if byte(3) & 1 == 1 { STATUSES[usize::from(raw_status) % STATUSES.len()] } else { raw_status };
    let header_lines = usize::from(byte(3) >> 1) % 4;
    let mut rest = data.get(4..).unwrap_or_default();
    let mut owned = Vec::new();
    for _ in 0..header_lines {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = String::from_utf8_lossy(&rest[..end]).into_owned();
        let (name, value) = line.split_once(':').map_or((line.clone(), String::new()), |(n, v)| (n.to_owned(), v.to_owned()));
        owned.push((name, value));
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    let headers: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();

    let outcome = classify(endpoint, status, &headers, rest);

    assert!(!outcome.code().is_empty());
    match &outcome {
        Outcome::Success { payload, .. } => {
            assert!((200..300).contains(&status), "success with HTTP {status}");
            let expected = match payload {
                Payload::Login(_) => matches!(endpoint, Endpoint::Login | Endpoint::ContinueStep),
                Payload::Connections(_) => endpoint == Endpoint::Connections,
                Payload::Graph(_) => endpoint == Endpoint::Graph,
                Payload::Logbook(_) => endpoint == Endpoint::Logbook,
                Payload::CountryConfig(_) => endpoint == Endpoint::CountryConfig,
                Payload::Other(_) => endpoint == Endpoint::Other,
            };
            assert!(expected, "{endpoint:?} gave the wrong payload");
        }
        Outcome::BadCredentials => assert_eq!(outcome.retry(), Retry::Never),
        Outcome::MinimumVersion { version: Some(v) } => {
            assert!(v.bytes().all(|b| b.is_ascii_digit() || b == b'.'), "unsafe version {v:?}");
        }
        Outcome::Unexpected { message, .. } => assert!(message.chars().count() <= 120),
        Outcome::Locked { retry_after_secs } | Outcome::RateLimited { retry_after_secs } => {
            assert!((1..=86_400).contains(retry_after_secs));
        }
        _ => {}
    }
    if status == 430 {
        assert_eq!(outcome, Outcome::EdgeBlocked);
    }
    if status == 911 {
        assert_eq!(outcome, Outcome::Maintenance);
    }
});
