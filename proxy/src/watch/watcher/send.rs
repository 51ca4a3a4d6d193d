//! How a `Watcher` sends: a batch of due pushes at a time (the rest in further invocations), each encrypted for
//! its phone (RFC 8291) and signed (RFC 8292, one token per push service reused for hours), and what each push
//! service answered recorded.

use super::*;

impl Watcher {
    /// Sends the next batch due at `now` (the tick's clock); the pushes accepted.
    pub(super) async fn send_due(&self, config: &Config, now: i64, real_now: i64) -> ApiResult<usize> {
        let due = self.with_mut(|book| book.due(now))?;
        self.send_batch(config, due, now, real_now).await
    }

    /// Sends `due`, records each answer, and when more is due at `now` starts the next invocation at once (an
    /// alarm), so one invocation's CPU and subrequests stay bounded however many phones ring; the pushes accepted.
    pub(super) async fn send_batch(
        &self,
        config: &Config,
        due: Vec<Message>,
        now: i64,
        real_now: i64,
    ) -> ApiResult<usize> {
        if due.is_empty() {
            return Ok(0);
        }
        // One token per push service before the sends run side by side (on a cold cache each would sign its own).
        let audiences: Vec<String> = self.with(|book| {
            let mut audiences = Vec::new();
            let subs = due.iter().filter_map(|m| book.subs.get(&m.sub));
            for audience in subs.filter_map(|sub| crate::endpoint::push_audience(&sub.setup.endpoint, &config.push)) {
                if !audiences.contains(&audience) {
                    audiences.push(audience);
                }
            }
            audiences
        })?;
        for audience in &audiences {
            self.authorization(&config.push, audience, real_now).await?;
        }
        let results =
            futures::future::join_all(due.iter().map(|message| self.send(&config.push, message, now, real_now))).await;
        let mut sent = 0;
        let mut failure = None;
        let more = self.with_mut(|book| {
            for (message, result) in due.iter().zip(results) {
                match result {
                    Ok((delivery, _)) => {
                        sent += usize::from(delivery == Delivery::Accepted);
                        book.delivered(message, delivery, now);
                    }
                    // VAPID is not configured: the message stays in the outbox for when it is.
                    Err(error) => failure = Some(error),
                }
            }
            book.more_due(now)
        })?;
        self.commit().await?;
        if let Some(error) = failure {
            return Err(error);
        }
        if more {
            self.state.storage().set_alarm(0).await.map_err(|_| ApiError::internal())?;
        }
        Ok(sent)
    }

    /// Encrypts and POSTs one message at `now` (the tick's clock; its TTL counts on it), signed on the real
    /// clock (push services check the token's expiry on theirs); the delivery and the HTTP status (0: none).
    pub(super) async fn send(
        &self,
        push: &PushConfig,
        message: &Message,
        now: i64,
        real_now: i64,
    ) -> ApiResult<(Delivery, u16)> {
        let Some((endpoint, receiver)) = self.with(|book| {
            let sub = book.subs.get(&message.sub)?;
            Some((sub.setup.endpoint.clone(), Receiver::from_base64(&sub.setup.p256dh, &sub.setup.auth).ok()?))
        })?
        else {
            return Ok((Delivery::Refused(0), 0));
        };
        let Some(audience) = crate::endpoint::push_audience(&endpoint, push) else {
            return Ok((Delivery::Gone, 0));
        };
        let authorization = self.authorization(push, &audience, real_now).await?;
        let plaintext = wire::to_json(&message.payload).into_bytes();
        let Ok(body) = ece::encrypt(&receiver, &plaintext, crate::watch::PAD_BUCKET).await else {
            return Ok((Delivery::Refused(0), 0));
        };
        let ttl = (message.ttl - (now - message.created)).max(0);
        Ok(match post(&endpoint, &authorization, message, ttl, body).await {
            Some((status, retry_after)) => (Delivery::from_status(Some(status), retry_after), status),
            None => (Delivery::Retry(None), 0),
        })
    }

    /// The VAPID `Authorization` for `audience`: a cached token while more than half its life is left (signed on
    /// the real clock: push services check the expiry on theirs), else a new one.
    async fn authorization(&self, push: &PushConfig, audience: &str, real_now: i64) -> ApiResult<String> {
        let cached = self.tokens.borrow().iter().find(|(a, _, _)| a == audience).map(|(_, e, v)| (*e, v.clone()));
        if let Some((expires, value)) = cached
            && expires - real_now > vapid::TOKEN_SECS / 2
        {
            return Ok(value);
        }
        let cached_key = self.vapid.borrow().clone();
        let key = match cached_key {
            Some(key) => key,
            None => {
                let key = Rc::new(vapid_key(push).await?);
                *self.vapid.borrow_mut() = Some(Rc::clone(&key));
                key
            }
        };
        let expires = real_now + vapid::TOKEN_SECS;
        let value = key
            .authorization(audience, expires, &push.subject)
            .await
            .map_err(|e| ApiError::not_configured(&format!("VAPID signature: {e}")))?;
        let mut tokens = self.tokens.borrow_mut();
        tokens.retain(|(a, _, _)| a != audience);
        tokens.push((audience.to_owned(), expires, value.clone()));
        Ok(value)
    }
}

async fn vapid_key(push: &PushConfig) -> ApiResult<VapidKey> {
    let (Some(private), Some(public)) = (&push.private_key, &push.public_key) else { return Err(not_configured()) };
    VapidKey::import(private, public)
        .await
        .map_err(|e| ApiError::not_configured(&format!("VAPID_PRIVATE_KEY / VAPID_PUBLIC_KEY: {e}")))
}

/// POSTs an encrypted message (RFC 8030 headers); the status and `Retry-After`, or `None` on no answer in time.
async fn post(
    endpoint: &str,
    authorization: &str,
    message: &Message,
    ttl: i64,
    body: Vec<u8>,
) -> Option<(u16, Option<i64>)> {
    let headers = web_sys::Headers::new().ok()?;
    for (name, value) in [
        ("authorization", authorization.to_owned()),
        ("content-encoding", "aes128gcm".to_owned()),
        ("content-type", "application/octet-stream".to_owned()),
        ("ttl", ttl.to_string()),
        ("urgency", message.urgency.as_str().to_owned()),
        ("topic", message.topic.clone()),
    ] {
        headers.set(name, &value).ok()?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    let bytes = js_sys::Uint8Array::from(body.as_slice());
    init.set_body(&bytes.into());
    let request = web_sys::Request::new_with_str_and_init(endpoint, &init).ok()?;
    let fetch = Fetch::Request(Request::from(request));
    let send = core::pin::pin!(fetch.send());
    let timeout = worker::Delay::from(core::time::Duration::from_millis(SEND_TIMEOUT_MS));
    // Both ready at once: the answer wins (`select` polls the left first).
    let futures::future::Either::Left((response, _)) = futures::future::select(send, timeout).await else {
        return None;
    };
    let response = response.ok()?;
    let retry_after = response.headers().get("retry-after").ok().flatten().and_then(|v| v.trim().parse().ok());
    Some((response.status_code(), retry_after))
}
