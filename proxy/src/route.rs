//! Which `Watcher` object keeps a phone: one per account (named from a hash of the account id, so neither the
//! object's name nor a phone's id tells the account), one for the demo's visitors, and the one object of earlier
//! builds for the phones it still has. A phone's id starts with its object's route (`<route>.<random>`), so a
//! phone's own requests (acknowledge, test, unsubscribe) go straight to its object.

use crate::seal::sha256_hex;

/// The object of the demo's phones.
const DEMO_ROUTE: &str = "demo";
/// Hex digits of a route (128 bits of the hash).
const ROUTE_DIGITS: usize = 32;

/// The route of account `account_id`'s phones (its own and its links').
pub fn account_route(account_id: &str) -> String {
    sha256_hex(&format!("tidewatch watch\0{account_id}")).get(..ROUTE_DIGITS).unwrap_or_default().to_owned()
}

/// The route of a patient group (`acct:<account>:<patient>` or `demo:<patient>`); `None` for another shape.
pub fn group_route(group: &str) -> Option<String> {
    if group.starts_with("demo:") {
        return Some(DEMO_ROUTE.to_owned());
    }
    let (account, _) = group.strip_prefix("acct:")?.split_once(':')?;
    (!account.is_empty()).then(|| account_route(account))
}

/// The route of a share's owner (`shares::Share::owner`: an account id, or `demo:…` for a demo visitor).
pub fn owner_route(owner: &str) -> String {
    if owner.starts_with("demo:") { DEMO_ROUTE.to_owned() } else { account_route(owner) }
}

/// The object name of a route.
pub fn object(route: &str) -> String {
    format!("watch:{route}")
}

/// A new phone's id in the object of `route`.
pub fn phone_id(route: &str, random: &str) -> String {
    format!("{route}.{random}")
}

/// Whether `id` is a phone id (routed, or from before routes).
pub fn is_phone_id(id: &str) -> bool {
    object_of_phone(id, "").is_some()
}

/// The object a phone id names: its route's, or for an id from before routes (16 hex digits, no route) the object
/// of earlier builds (`legacy`). `None` for anything else, so no request makes up an object.
pub fn object_of_phone(id: &str, legacy: &str) -> Option<String> {
    let is_hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    match id.split_once('.') {
        None if is_hex(id, 16) => Some(legacy.to_owned()),
        Some((route, random)) if is_hex(random, 16) && (route == DEMO_ROUTE || is_hex(route, ROUTE_DIGITS)) => {
            Some(object(route))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_id_leads_to_its_families_object_and_nothing_else() {
        let route = account_route("acct-1");
        assert_eq!(route.len(), 32);
        assert_ne!(route, account_route("acct-2"));
        assert!(!route.contains("acct"), "the route does not tell the account");
        assert_eq!(group_route("acct:acct-1:patient-9").as_deref(), Some(route.as_str()));
        assert_eq!(group_route("demo:p").as_deref(), Some("demo"));
        assert_eq!(group_route("acct::p"), None);
        assert_eq!(group_route("other"), None);
        assert_eq!(owner_route("acct-1"), route);
        assert_eq!(owner_route("demo:visitor"), "demo");
        let id = phone_id(&route, "0123456789abcdef");
        assert_eq!(object_of_phone(&id, "watch"), Some(object(&route)));
        assert_eq!(object_of_phone("demo.0123456789abcdef", "watch").as_deref(), Some("watch:demo"));
        assert_eq!(object_of_phone("0123456789abcdef", "watch").as_deref(), Some("watch"), "an id from before");
        for made_up in [
            "",
            "x",
            "rounds.0123456789abcdef",
            "../watch.0123456789abcdef",
            &format!("{route}.xyz"),
            &format!("{route}x.0123456789abcdef"),
        ] {
            assert_eq!(object_of_phone(made_up, "watch"), None, "{made_up}");
        }
    }
}
