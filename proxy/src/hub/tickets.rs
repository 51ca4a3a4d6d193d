//! The account's newest LibreLinkUp ticket. LLU answers every data call with a freshly issued `ticket` (a token
//! good for its whole lifetime again, llu-protocol.md 3): the hub keeps the newest, reads with it while it lasts,
//! and hands it to the worker, which seals it into the sessions in use. So a session that keeps being used never
//! reaches its first token's end. Kept in memory, and in storage sealed with the server's key whenever it has
//! gained a day (or half its lifetime, for short ones), so a restart keeps it without a write a minute.

use super::*;
use crate::seal::{Kind, Session, random_nonce};

/// Where the newest ticket is stored: `{"sealed": <a sealed session holding it>, "duration": ms}`.
const TICKET_KEY: &str = "ticket";
/// A ticket this close to its end is not used any more (the caller's own token is).
const MARGIN_MS: f64 = 30_000.0;

/// The newest ticket, and the expiry of the one in storage.
#[derive(Clone, Default)]
pub struct Newest {
    ticket: Option<Ticket>,
    stored_expires: Option<i64>,
}

/// Whether `ticket` is worth a storage write, the stored one expiring at `stored_expires`: when it gains a day on
/// it, or half its own lifetime for a short-lived one.
pub fn worth_storing(stored_expires: Option<i64>, ticket: &Ticket) -> bool {
    let Some(stored) = stored_expires else { return true };
    let half_life_secs = (ticket.duration / 2000).max(1);
    ticket.expires - stored >= crate::seal::RENEW_EVERY_SECS.min(half_life_secs)
}

impl Hub {
    /// Reads the stored ticket once per object lifetime (an unreadable or ended one counts as none).
    pub(super) async fn load_tickets(&self, config: &Config) {
        if self.tickets.borrow().is_some() {
            return;
        }
        let stored = async {
            let pending = self.state.storage().as_raw().get(TICKET_KEY).ok()?;
            let value = worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?;
            let stored: Value = serde_json::from_str(&value.as_string()?).ok()?;
            let session = config.key.open(stored.get("sealed")?.as_str()?, (now_ms() / 1000.0) as i64).ok()?;
            let duration = stored.get("duration")?.as_i64()?;
            Some(Ticket { token: session.llu_token, expires: session.expires, duration })
        }
        .await;
        let newest = Newest { stored_expires: stored.as_ref().map(|t| t.expires), ticket: stored };
        self.tickets.borrow_mut().get_or_insert(newest);
    }

    /// The newest ticket's token while it lasts and LLU has not refused it.
    pub(super) fn usable_ticket(&self, now_ms: f64) -> Option<String> {
        let guard = self.tickets.borrow();
        let ticket = guard.as_ref()?.ticket.as_ref()?;
        let refused = self.dead_tokens.borrow().contains(&sha256_hex(&ticket.token));
        (!refused && ticket.expires as f64 * 1000.0 > now_ms + MARGIN_MS).then(|| ticket.token.clone())
    }

    /// The newest ticket, for the worker.
    pub(super) fn newest_ticket(&self) -> Option<Ticket> {
        self.tickets.borrow().as_ref()?.ticket.clone()
    }

    /// Keeps `ticket` if it is newer than the newest, and stores it (sealed) when that is worth a write.
    pub(super) async fn adopt_ticket(&self, config: &Config, region: Region, account_id: &str, ticket: &Ticket) {
        let newer =
            self.tickets.borrow().as_ref().and_then(|n| n.ticket.as_ref()).is_none_or(|t| t.expires < ticket.expires);
        if newer {
            self.store_ticket(config, region, account_id, ticket, false).await;
        }
    }

    /// Takes `ticket` as the newest whatever the last one was (a new sign-in's: the ones before were refused), and
    /// stores it.
    pub(super) async fn replace_ticket(&self, config: &Config, region: Region, account_id: &str, ticket: &Ticket) {
        self.store_ticket(config, region, account_id, ticket, true).await;
    }

    async fn store_ticket(&self, config: &Config, region: Region, account_id: &str, ticket: &Ticket, always: bool) {
        let store = {
            let mut guard = self.tickets.borrow_mut();
            let newest = guard.get_or_insert_with(Newest::default);
            newest.ticket = Some(ticket.clone());
            always || worth_storing(newest.stored_expires, ticket)
        };
        if !store {
            return;
        }
        let session = Session {
            llu_token: ticket.token.clone(),
            region,
            account_id: account_id.to_owned(),
            expires: ticket.expires,
            kind: Kind::Full,
            id: None,
            signed_in_ms: None,
            ends: Some(ticket.expires),
        };
        let sealed = config.key.seal(&session, random_nonce());
        let value = serde_json::json!({"sealed": sealed, "duration": ticket.duration}).to_string();
        if self.state.storage().put_raw(TICKET_KEY, JsValue::from(value)).await.is_ok() {
            if let Some(newest) = self.tickets.borrow_mut().as_mut() {
                newest.stored_expires = Some(ticket.expires);
            }
        } else {
            worker::console_error!("hub: the account's newest ticket could not be stored; it holds in memory");
        }
    }

    /// After the object's storage was cleared: the next ticket is stored again.
    pub(super) fn forget_stored_ticket(&self) {
        if let Some(newest) = self.tickets.borrow_mut().as_mut() {
            newest.stored_expires = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(expires: i64, duration_secs: i64) -> Ticket {
        Ticket { token: "t".into(), expires, duration: duration_secs * 1000 }
    }

    #[test]
    fn a_rolled_ticket_is_stored_once_it_gains_a_day_or_half_its_life() {
        let half_year = 180 * 86_400;
        assert!(worth_storing(None, &ticket(100, half_year)), "the first is stored");
        assert!(!worth_storing(Some(1_000), &ticket(1_000 + 3_600, half_year)), "an hour later: not worth a write");
        assert!(worth_storing(Some(1_000), &ticket(1_000 + 86_400, half_year)), "a day later");
        assert!(!worth_storing(Some(1_000), &ticket(1_005, 20)), "a 20 s token: not after 5 s");
        assert!(worth_storing(Some(1_000), &ticket(1_010, 20)), "a 20 s token: after half its life");
    }
}
