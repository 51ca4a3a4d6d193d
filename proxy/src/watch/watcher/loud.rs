//! How a `Watcher` sends to phones' loud channels (`watch::loud`): each due message POSTed as JSON, side by side,
//! with the same time limit as a push; what each channel answered recorded. A phone tests its own channel here too.

use shared::loud::{LoudAlarm, LoudRequest};

use super::*;

/// Loud tests one phone may send a minute: enough to set a channel up by trial, too few to make the worker a
/// request cannon against someone else's URL.
const LOUD_TESTS_PER_PHONE: u32 = 5;

impl Watcher {
    /// Sends the loud messages due at `now`; how many were taken.
    pub(super) async fn send_loud(&self, config: &Config, now: i64, real_now: i64) -> ApiResult<usize> {
        let push = &config.push;
        let due = self.with_mut(|book| book.loud_due(now))?;
        if due.is_empty() {
            return Ok(0);
        }
        let requests: Vec<LoudRequest> =
            due.iter().map(|(message, loud)| loud.request(&message.alarm, &push.pushover_url)).collect();
        let statuses = futures::future::join_all(requests.iter().map(|request| post_loud(push, request))).await;
        let taken = statuses.iter().filter(|s| (200..300).contains(*s)).count();
        self.with_mut(|book| {
            for ((message, _), status) in due.iter().zip(statuses) {
                book.loud_answered(message, status, now);
            }
        })?;
        self.commit().await?;
        // A refusal queued a push telling the phone: it goes now.
        if taken < due.len() {
            self.send_due(config, now, real_now).await?;
        }
        Ok(taken)
    }

    /// Phone `id` tests its loud channel: a test message now; the channel's HTTP status (0: no answer).
    pub(super) async fn test_loud(
        &self,
        push: &PushConfig,
        id: &str,
        key: &str,
        now: i64,
        real_now: i64,
    ) -> ApiResult<WatchAnswer> {
        let (loud, alarm) = self.with(|book| {
            let sub = book.authorised(id, key)?;
            let loud = sub.loud.clone().ok_or_else(|| {
                ApiError::new(404, Code::PushNotFound, "This phone has no loud channel: set one first.")
            })?;
            let name = book.groups.get(&sub.setup.group).map(|g| g.name.clone()).unwrap_or_default();
            let alarm = LoudAlarm {
                kind: "Test".into(),
                title: "Tidewatch loud test".into(),
                body: format!(
                    "If nobody answers an alarm for {}, it will sound here too.",
                    if name.is_empty() { "your person" } else { name.as_str() }
                ),
                patient: name,
                at: now,
            };
            Ok::<_, ApiError>((loud, alarm))
        })??;
        self.limit(&format!("loud-test:{id}"), real_now, LOUD_TESTS_PER_PHONE, 60)?;
        let status = post_loud(push, &loud.request(&alarm, &push.pushover_url)).await;
        self.with_mut(|book| {
            if let Some(sub) = book.subs.get_mut(id) {
                sub.loud_at = Some(now);
                sub.loud_status = Some(status);
            }
        })?;
        self.commit().await?;
        Ok(WatchAnswer::Sent(status))
    }
}

/// POSTs `request`; the HTTP status, 0 when there was no answer in time or the URL may not be fetched.
async fn post_loud(push: &PushConfig, request: &LoudRequest) -> u16 {
    if !crate::endpoint::loud_target(&request.url, &push.loud_origins) && request.url != push.pushover_url {
        return 0;
    }
    let Some(fetch) = build(request) else { return 0 };
    let send = core::pin::pin!(fetch.send());
    let timeout = worker::Delay::from(core::time::Duration::from_millis(SEND_TIMEOUT_MS));
    match futures::future::select(send, timeout).await {
        futures::future::Either::Left((Ok(response), _)) => response.status_code(),
        _ => 0,
    }
}

fn build(request: &LoudRequest) -> Option<Fetch> {
    let headers = web_sys::Headers::new().ok()?;
    headers.set("content-type", "application/json").ok()?;
    if let Some(token) = &request.bearer {
        headers.set("authorization", &format!("Bearer {token}")).ok()?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&request.body.as_str().into());
    // A redirect is not followed: a channel answers where it was set up, or it is refused.
    init.set_redirect(web_sys::RequestRedirect::Manual);
    let request = web_sys::Request::new_with_str_and_init(&request.url, &init).ok()?;
    Some(Fetch::Request(Request::from(request)))
}
