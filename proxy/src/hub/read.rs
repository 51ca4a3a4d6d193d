//! One data item read for a caller: the cached answer while young enough, else one upstream read that every
//! caller meanwhile joins (single flight); a hold LLU imposed answers without a call (an edge block's lets one probe
//! a minute through); a token LLU refused is remembered; a refused session signs in again with a kept sign-in.

use super::*;
use shared::code::Code;

/// An upstream read under way, awaited by every caller who asks meanwhile (each gets a clone of its answer; any of
/// them drives it, so a viewer who goes away strands nobody).
pub(super) type Pending = futures::future::Shared<futures::future::LocalBoxFuture<'static, HubAnswer>>;

pub(super) enum Slot {
    Ready {
        at_ms: f64,
        body: Value,
    },
    /// An upstream read under way, and SHA-256 of the token it was made with: if LLU refuses that token, only that
    /// token is dead, not those of the viewers who joined the read.
    Pending {
        flight: Pending,
        token_hash: String,
    },
}

/// How many times a read is tried when a joined read failed on another viewer's token: the first read this
/// viewer joins, then one with its own token (a third only if yet another viewer started one in between).
const READ_TRIES: usize = 3;

impl Hub {
    /// One data item: the cached answer while it is younger than `max_age_secs`, else one upstream read that every
    /// caller meanwhile joins.
    pub(super) async fn read_item(&self, config: &Config, read: ItemRead, max_age_secs: u32) -> HubAnswer {
        let ItemRead { data, token, region, account_id, at_ms } = read;
        self.load_tickets(config).await;
        let mut answer = HubAnswer::Error(ApiError::internal());
        for _ in 0..READ_TRIES {
            let now = now_ms().max(at_ms);
            // LLU's newest ticket for the account, while it lasts and was not refused, else the caller's token: a
            // session in use reads on after its own token's end (the worker seals the newer token into it).
            let token = self.usable_ticket(now).unwrap_or_else(|| token.clone());
            let token_hash = sha256_hex(&token);
            if self.dead_tokens.borrow().contains(&token_hash) {
                return HubAnswer::Error(ApiError::from_outcome(&Outcome::InvalidToken));
            }
            let found = {
                let slots = self.slots.borrow();
                match slots.iter().find(|(d, _)| *d == data).map(|(_, slot)| slot) {
                    Some(Slot::Ready { at_ms, body }) if now - at_ms < f64::from(max_age_secs) * 1000.0 => {
                        let age_secs = ((now - at_ms) / 1000.0).floor() as u32;
                        return HubAnswer::Data { body: body.clone(), age_secs, ticket: self.newest_ticket() };
                    }
                    Some(Slot::Pending { flight, token_hash }) => Some((flight.clone(), token_hash.clone())),
                    _ => None,
                }
            };
            let (pending, made_with) = match found {
                Some(joined) => joined,
                None => {
                    if let Some(error) = self.held(now).await {
                        // An edge block's end is announced by nobody: one read a minute goes through to see.
                        let probe = self.hold.borrow().as_ref().is_some_and(|h| h.lets_probe(now, self.probed.get()));
                        if !probe {
                            return HubAnswer::Error(error);
                        }
                        self.probed.set(now);
                    }
                    let read = fetch_data(config.clone(), data.clone(), token.clone(), region, account_id.clone());
                    let flight = futures::FutureExt::shared(futures::FutureExt::boxed_local(read));
                    let slot = Slot::Pending { flight: flight.clone(), token_hash: token_hash.clone() };
                    put(&mut self.slots.borrow_mut(), data.clone(), slot);
                    (flight, token_hash.clone())
                }
            };
            answer = pending.clone().await;
            let now = now_ms().max(at_ms);
            // The first waiter back settles the slot; the others find it settled (or a newer read in it).
            let settles = matches!(
                self.slots.borrow().iter().find(|(d, _)| *d == data),
                Some((_, Slot::Pending { flight, .. })) if Pending::ptr_eq(flight, &pending)
            );
            if settles {
                // This read called LLU: what it answered, for `/api/health`.
                self.report(region.code(), &answer).await;
            }
            let mut imposed = None;
            if let HubAnswer::Data { ticket: Some(ticket), .. } = &answer {
                self.adopt_ticket(config, region, &account_id, ticket).await;
            }
            if let HubAnswer::Data { ticket, .. } = &mut answer {
                *ticket = self.newest_ticket();
            }
            match &answer {
                HubAnswer::Data { body, .. } if settles => {
                    put(&mut self.slots.borrow_mut(), data.clone(), Slot::Ready { at_ms: now, body: body.clone() });
                    // Through again after an edge block: the next block starts from a minute.
                    if self.hold.borrow().as_ref().is_some_and(|h| h.blocks > 0) {
                        self.set_hold(None).await;
                    }
                }
                HubAnswer::Error(error) => {
                    if settles {
                        self.slots.borrow_mut().retain(|(d, _)| *d != data);
                    }
                    if error.code == Code::SessionExpired {
                        if !self.dead_tokens.borrow().contains(&made_with) {
                            self.dead_tokens.borrow_mut().push(made_with.clone());
                        }
                        if made_with != token_hash {
                            // LLU refused the token of the viewer who started the read, not this one's.
                            continue;
                        }
                        // LLU ended the account's sessions: a sign-in kept for the alarms signs in again, once.
                        match self.sign_in_again(config, &account_id).await {
                            keep::Again::SignedIn => continue,
                            keep::Again::WrongPassword => return HubAnswer::Error(keep::kept_password_refused()),
                            keep::Again::Not => {}
                        }
                    } else if settles {
                        // The last hold, ended or not: what an edge block grows from.
                        let previous = self.hold.borrow().clone();
                        imposed = Hold::imposed(now, error, previous.as_ref());
                    }
                }
                HubAnswer::Data { .. } => {}
                _ if settles => self.slots.borrow_mut().retain(|(d, _)| *d != data),
                _ => {}
            }
            if let Some(hold) = imposed {
                // The caller is told the hold's own wait (an edge block's grows from a minute); the first probe
                // goes a minute after it began.
                answer = HubAnswer::Error(hold.error.clone());
                self.probed.set(now);
                self.set_hold(Some(hold)).await;
            }
            return answer;
        }
        answer
    }
}

/// Sets `data`'s slot.
pub(super) fn put(slots: &mut Vec<(Data, Slot)>, data: Data, slot: Slot) {
    slots.retain(|(d, _)| *d != data);
    slots.push((data, slot));
}

/// One upstream read, turned into a [`HubAnswer`]: LLU's rolling `ticket` taken out of the envelope (the hub
/// adopts it; it never reaches a viewer).
pub(super) async fn fetch_data(
    config: Config,
    data: Data,
    token: String,
    region: Region,
    account_id: String,
) -> HubAnswer {
    let auth = Auth { token: &token, account_id: &account_id };
    let path = data.path();
    match upstream::call(&config, data.endpoint(), region, Method::Get, &path, None, Some(auth)).await {
        Ok((Outcome::Success { .. }, answer)) => {
            let mut body = answer.json();
            let ticket = body.as_object_mut().and_then(|envelope| envelope.remove("ticket"));
            HubAnswer::Data { body, age_secs: 0, ticket: ticket.as_ref().and_then(wire::from_value::<Ticket>) }
        }
        Ok((outcome, _)) => HubAnswer::Error(ApiError::from_outcome(&outcome)),
        Err(error) => HubAnswer::Error(error),
    }
}
