//! What a client network's `net:` object counts: its sign-ins (at most `LOGINS_PER_CLIENT` in
//! [`CLIENT_WINDOW_SECS`]) and its share-link misses, each in its own window, stored so that a restart resets
//! neither, and deleted by the object's clean-up once the windows are over.

use super::*;
use shared::code::Code;

impl Hub {
    /// One more sign-in from this client network, unless `limit` already came in this window: then the rest of
    /// the window is a hold (`too_many_logins`).
    pub(super) async fn admit(&self, limit: u32) -> HubAnswer {
        let now = now_ms();
        if let Some(error) = self.held(now).await {
            return HubAnswer::Error(error);
        }
        let storage = self.state.storage();
        let stored = self.load_count().await;
        let window_ms = f64::from(CLIENT_WINDOW_SECS) * 1000.0;
        let (start, count) = stored.filter(|(start, _)| now - start < window_ms).unwrap_or((now, 0));
        if count >= limit {
            let left = (((start + window_ms) - now) / 1000.0).ceil().max(1.0) as u32;
            let error = ApiError::new(
                429,
                Code::TooManyLogins,
                "Too many sign-ins from this network. Wait a few minutes, then try again.",
            );
            self.set_hold(Some(Hold::new(now, left, error.clone()))).await;
            return HubAnswer::Error(error.retry_after(left));
        }
        let pair = wire::to_json(&vec![start, f64::from(count + 1)]);
        if storage.put_raw(COUNT_KEY, JsValue::from(pair)).await.is_err() {
            worker::console_error!("hub: a client's sign-in count could not be stored");
        }
        self.clean_up_at(start + window_ms).await;
        HubAnswer::Admitted
    }

    /// One more share lookup from this client network found nothing: refused (`share_rate_limited`, with the time
    /// left) once `limit` misses came in the window that started with the first. Kept apart from the sign-in count
    /// and its hold: guessing links does not stop a family's sign-in, nor the other way round.
    pub(super) async fn share_miss(&self, limit: u32, window_secs: u32) -> HubAnswer {
        let now = now_ms();
        let window_ms = f64::from(window_secs) * 1000.0;
        let (start, count) = self
            .load_misses()
            .await
            .filter(|(start, _, window)| now - start < *window)
            .map_or((now, 0), |(start, count, _)| (start, count));
        if count >= limit {
            let left = (((start + window_ms) - now) / 1000.0).ceil().max(1.0) as u32;
            return HubAnswer::Error(share_rate_limited(left));
        }
        let stored = wire::to_json(&vec![start, f64::from(count + 1), window_ms]);
        if self.state.storage().put_raw(MISSES_KEY, JsValue::from(stored)).await.is_err() {
            worker::console_error!("hub: a client's share misses could not be stored");
        }
        self.clean_up_at(start + window_ms).await;
        HubAnswer::Admitted
    }

    /// A client network's stored share misses: its window's start (ms), the misses in it and the window (ms).
    pub(super) async fn load_misses(&self) -> Option<(f64, u32, f64)> {
        let pending = self.state.storage().as_raw().get(MISSES_KEY).ok()?;
        let value = worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?;
        let stored: Vec<f64> = wire::from_json(&value.as_string()?)?;
        Some((*stored.first()?, *stored.get(1)? as u32, *stored.get(2)?))
    }

    /// A client network's stored count: its window's start (ms) and the sign-ins in it.
    pub(super) async fn load_count(&self) -> Option<(f64, u32)> {
        let pending = self.state.storage().as_raw().get(COUNT_KEY).ok()?;
        let value = worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?;
        let pair: Vec<f64> = wire::from_json(&value.as_string()?)?;
        Some((*pair.first()?, *pair.get(1)? as u32))
    }
}
