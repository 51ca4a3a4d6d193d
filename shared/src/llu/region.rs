//! LLU regions and their real hosts (llu-protocol.md section 1.1). A region comes from a closed list, never from
//! free text, so a login redirect can never send the proxy to an arbitrary host.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A LibreView region.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Region {
    /// The global entry host, `api.libreview.io` (answers with a redirect for most accounts).
    Global,
    /// United States.
    Us,
    /// Europe (generic).
    Eu,
    /// Great Britain and Ireland.
    Eu2,
    /// Germany.
    De,
    /// France.
    Fr,
    /// Japan.
    Jp,
    /// Asia-Pacific.
    Ap,
    /// Australia.
    Au,
    /// United Arab Emirates / Middle East.
    Ae,
    /// Canada.
    Ca,
    /// Latin America.
    La,
    /// Russia (a different TLD).
    Ru,
    /// China (a different domain).
    Cn,
}

impl Region {
    /// Every region, in a fixed order.
    pub const ALL: [Region; 14] = [
        Region::Global,
        Region::Us,
        Region::Eu,
        Region::Eu2,
        Region::De,
        Region::Fr,
        Region::Jp,
        Region::Ap,
        Region::Au,
        Region::Ae,
        Region::Ca,
        Region::La,
        Region::Ru,
        Region::Cn,
    ];

    /// The region for a code such as the redirect's `"eu2"`, ignoring ASCII case; `None` for anything unknown.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code().eq_ignore_ascii_case(code))
    }

    /// The lower-case code (`global`, `us`, `eu2`, …): what LLU's redirect and `regionalMap` use.
    pub const fn code(self) -> &'static str {
        match self {
            Region::Global => "global",
            Region::Us => "us",
            Region::Eu => "eu",
            Region::Eu2 => "eu2",
            Region::De => "de",
            Region::Fr => "fr",
            Region::Jp => "jp",
            Region::Ap => "ap",
            Region::Au => "au",
            Region::Ae => "ae",
            Region::Ca => "ca",
            Region::La => "la",
            Region::Ru => "ru",
            Region::Cn => "cn",
        }
    }

    /// The real base URL, without a trailing slash.
    pub const fn host(self) -> &'static str {
        match self {
            Region::Global => "https://api.libreview.io",
            Region::Us => "https://api-us.libreview.io",
            Region::Eu => "https://api-eu.libreview.io",
            Region::Eu2 => "https://api-eu2.libreview.io",
            Region::De => "https://api-de.libreview.io",
            Region::Fr => "https://api-fr.libreview.io",
            Region::Jp => "https://api-jp.libreview.io",
            Region::Ap => "https://api-ap.libreview.io",
            Region::Au => "https://api-au.libreview.io",
            Region::Ae => "https://api-ae.libreview.io",
            Region::Ca => "https://api-ca.libreview.io",
            Region::La => "https://api-la.libreview.io",
            Region::Ru => "https://api.libreview.ru",
            Region::Cn => "https://api-cn.myfreestyle.cn",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Region::from_code(&code).ok_or_else(|| serde::de::Error::custom("unknown LLU region"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_case_insensitively_and_map_to_hosts() {
        let cases = [
            ("eu2", Region::Eu2, "https://api-eu2.libreview.io"),
            ("EU2", Region::Eu2, "https://api-eu2.libreview.io"),
            ("De", Region::De, "https://api-de.libreview.io"),
            ("us", Region::Us, "https://api-us.libreview.io"),
            ("la", Region::La, "https://api-la.libreview.io"),
            ("global", Region::Global, "https://api.libreview.io"),
            ("RU", Region::Ru, "https://api.libreview.ru"),
            ("cn", Region::Cn, "https://api-cn.myfreestyle.cn"),
        ];
        for (code, region, host) in cases {
            assert_eq!(Region::from_code(code), Some(region), "{code}");
            assert_eq!(region.host(), host);
        }
    }

    #[test]
    fn unknown_codes_are_refused() {
        for code in ["", "eu3", " eu", "eu ", "api-eu.libreview.io", "https://evil.example", "e", "ＥＵ"] {
            assert_eq!(Region::from_code(code), None, "{code:?}");
        }
    }

    #[test]
    fn every_region_round_trips_through_its_code_and_serde() {
        for r in Region::ALL {
            assert_eq!(Region::from_code(r.code()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Region>(&json).unwrap(), r);
            assert!(r.host().starts_with("https://") && !r.host().ends_with('/'));
        }
        assert!(serde_json::from_str::<Region>("\"mars\"").is_err());
    }
}
