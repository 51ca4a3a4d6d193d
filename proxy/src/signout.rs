//! Signing out on the server (issue 28, item 7). A sealed session opens by itself, with no lookup, until it expires;
//! deleting a cookie does not stop a copy of the token. So each account's `Hub` keeps what it has refused:
//!
//! - the ids of sessions signed out one by one (`POST /api/logout`), each until that session would have expired;
//! - a "not before" instant (`POST /api/logout/everywhere`): every sign-in before it is refused.
//!
//! A session a client presents is checked against them (reads inside the hub's own read, at no extra call; other
//! calls with one hub call). The copies the server keeps for a link's reads and the alarms are not presented by
//! anyone and not checked: signing out of phones and browsers does not silence the family. Links are revoked and
//! alarm phones removed by their own controls.

use shared::code::Code;

use crate::error::ApiError;

/// Sessions signed out one by one that an account keeps; one more signs out every session instead (bounded
/// storage, and the safe side: nobody stays signed in who signed out).
pub const MAX_SIGNED_OUT: usize = 64;

/// What a presented session is checked by: its id and when it signed in.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct Presented {
    /// [`crate::seal::Session::revocation_id`].
    pub id: String,
    /// When it signed in, Unix ms.
    pub signed_in_ms: i64,
}

/// An account's refusals.
#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SignOuts {
    /// Sessions that signed in before this instant (Unix ms) are refused; 0: none.
    not_before_ms: i64,
    /// The sessions signed out one by one.
    ids: Vec<SignedOut>,
}

/// A session signed out by itself.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
struct SignedOut {
    /// The session's id.
    id: String,
    /// When it would have expired, Unix seconds: it is forgotten after.
    until: i64,
}

impl SignOuts {
    /// Whether `presented` was signed out.
    pub fn refuses(&self, presented: &Presented) -> bool {
        presented.signed_in_ms < self.not_before_ms || self.ids.iter().any(|out| out.id == presented.id)
    }

    /// Signs out one session, which would otherwise last until `until` (Unix seconds). Past
    /// [`MAX_SIGNED_OUT`] live ones, every session signed in until now is signed out instead.
    pub fn sign_out(&mut self, id: String, until: i64, now_ms: i64) {
        let now = now_ms / 1000;
        self.ids.retain(|out| out.until > now && out.id != id);
        if self.ids.len() >= MAX_SIGNED_OUT {
            self.everywhere(now_ms);
        } else {
            self.ids.push(SignedOut { id, until });
        }
    }

    /// Signs out every session that signed in up to `now_ms`.
    pub fn everywhere(&mut self, now_ms: i64) {
        self.not_before_ms = self.not_before_ms.max(now_ms + 1);
        self.ids.clear();
    }

    /// When nothing here can refuse a live session any more (Unix ms), so the record may be deleted; `None` when
    /// it refuses nothing. A session lasts at most `max_session_secs` after it signed in.
    pub fn forgettable_at_ms(&self, max_session_secs: i64) -> Option<i64> {
        let not_before = (self.not_before_ms > 0).then(|| self.not_before_ms + max_session_secs * 1000);
        not_before.into_iter().chain(self.ids.iter().map(|out| out.until * 1000)).max()
    }
}

/// 401 for a session that was signed out (the app goes back to its sign-in, as for an expired one).
pub fn signed_out() -> ApiError {
    ApiError::new(401, Code::SessionRevoked, "This session was signed out. Sign in again.")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: i64 = 1_800_000_000_000;

    fn presented(id: &str, signed_in_ms: i64) -> Presented {
        Presented { id: id.into(), signed_in_ms }
    }

    #[test]
    fn signing_out_one_session_leaves_the_others() {
        let mut outs = SignOuts::default();
        assert!(!outs.refuses(&presented("a", 0)), "nothing is refused before anyone signs out");
        outs.sign_out("a".into(), NOW_MS / 1000 + 3600, NOW_MS);
        assert!(outs.refuses(&presented("a", NOW_MS - 10)));
        assert!(!outs.refuses(&presented("b", NOW_MS - 10)));
    }

    #[test]
    fn everywhere_refuses_every_earlier_sign_in_and_none_after() {
        let mut outs = SignOuts::default();
        outs.everywhere(NOW_MS);
        assert!(outs.refuses(&presented("old-token", 0)), "a token from before sign-in times is refused too");
        assert!(outs.refuses(&presented("x", NOW_MS)));
        assert!(!outs.refuses(&presented("y", NOW_MS + 1)));
        outs.everywhere(NOW_MS - 60_000);
        assert!(outs.refuses(&presented("x", NOW_MS)), "an older instant never moves the line back");
    }

    #[test]
    fn the_table_is_bounded_and_overflow_signs_out_everyone() {
        let mut outs = SignOuts::default();
        let until = NOW_MS / 1000 + 3600;
        for n in 0..MAX_SIGNED_OUT {
            outs.sign_out(format!("s{n}"), until, NOW_MS);
        }
        assert!(!outs.refuses(&presented("other", NOW_MS - 1)));
        outs.sign_out("one-more".into(), until, NOW_MS);
        assert!(outs.ids.is_empty() && outs.refuses(&presented("other", NOW_MS - 1)));
        assert!(!outs.refuses(&presented("later", NOW_MS + 1)));
        // Expired ones make room.
        let mut outs = SignOuts::default();
        for n in 0..MAX_SIGNED_OUT {
            outs.sign_out(format!("s{n}"), NOW_MS / 1000 - 1, NOW_MS - 10_000);
        }
        outs.sign_out("fresh".into(), until, NOW_MS);
        assert_eq!(outs.ids.len(), 1);
        assert_eq!(outs.not_before_ms, 0);
    }

    #[test]
    fn the_record_is_forgettable_once_nothing_it_refuses_can_be_alive() {
        let mut outs = SignOuts::default();
        assert_eq!(outs.forgettable_at_ms(100), None);
        outs.sign_out("a".into(), 1_900_000_000, NOW_MS);
        assert_eq!(outs.forgettable_at_ms(100), Some(1_900_000_000_000));
        outs.everywhere(NOW_MS);
        assert_eq!(outs.forgettable_at_ms(100), Some(NOW_MS + 1 + 100_000));
    }

    #[test]
    fn sign_outs_round_trip_and_refuse_junk() {
        let mut outs = SignOuts::default();
        outs.sign_out("a".into(), 5, 0);
        outs.everywhere(7);
        outs.sign_out("b".into(), NOW_MS, 8);
        assert_eq!(crate::wire::from_json::<SignOuts>(&crate::wire::to_json(&outs)), Some(outs));
        for junk in ["{}", r#"{"not_before_ms":1,"ids":[{"id":1,"until":2}]}"#, r#"{"not_before_ms":"x","ids":[]}"#] {
            assert_eq!(crate::wire::from_json::<SignOuts>(junk), None, "{junk}");
        }
    }

    /// An account's sign-outs as earlier builds stored them (in its `Hub`) still refuse, and a session presented
    /// by a worker of the build before reads.
    #[test]
    fn stored_sign_outs_are_the_json_earlier_builds_wrote() {
        let mut outs = SignOuts::default();
        outs.sign_out("sid".into(), 1_800_000_000, 1_700_000_000_000);
        let one = r#"{"ids":[{"id":"sid","until":1800000000}],"not_before_ms":0}"#;
        outs.everywhere(1_700_000_000_500);
        outs.sign_out("x".into(), 1_800_000_000, 1_700_000_000_600);
        let everywhere = r#"{"ids":[{"id":"x","until":1800000000}],"not_before_ms":1700000000501}"#;
        let mut first = SignOuts::default();
        first.sign_out("sid".into(), 1_800_000_000, 1_700_000_000_000);
        for (outs, stored) in [(first, one), (outs, everywhere)] {
            assert_eq!(crate::wire::to_value(&outs), crate::wire::parse(stored).unwrap());
            assert_eq!(crate::wire::from_json::<SignOuts>(stored), Some(outs));
        }
        let p = presented("sid", 1_700_000_000_000);
        let written = r#"{"id":"sid","signed_in_ms":1700000000000}"#;
        assert_eq!(crate::wire::to_value(&p), crate::wire::parse(written).unwrap());
        assert_eq!(crate::wire::from_json::<Presented>(written), Some(p));
    }
}
