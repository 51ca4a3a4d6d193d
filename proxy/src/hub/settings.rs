//! The hub's `settings` object, and what every hub does around a request that may reach LibreLinkUp: learn the
//! `version` adopted before this isolate started, tell the `settings` object a newer one, and report what LLU
//! answered for `/api/health`.

use shared::code::Code;

use super::*;

impl Hub {
    /// A request that may reach LLU: the isolate first learns the version adopted before it started, and the
    /// `settings` object learns one adopted during the request.
    pub(super) async fn upstream(&self, config: Config, request: HubRequest) -> HubAnswer {
        if upstream::version_unsynced() {
            if let Ok(HubAnswer::Version(Some(version))) =
                crate::hub::ask(&self.env, SETTINGS_OBJECT, &HubRequest::Version(None)).await
            {
                upstream::adopt_version(&upstream::effective_version(&config.version), &version);
            }
            upstream::version_synced();
        }
        let before = upstream::adopted_version();
        // A read reports what LLU answered when it called LLU (`read_item`): a cached answer says nothing of how
        // LLU answers now.
        let login = matches!(request, HubRequest::Login { .. });
        let answer = self.local(config, request).await;
        if login {
            self.report("login", &answer).await;
        }
        let after = upstream::adopted_version();
        if after != before && crate::hub::ask(&self.env, SETTINGS_OBJECT, &HubRequest::Version(after)).await.is_err() {
            worker::console_error!("hub: the adopted version could not be kept for the next isolates");
        }
        answer
    }

    /// Reports what LLU answered in `region` (a success, or the error's code) for `/api/health`.
    pub(super) async fn report(&self, region: &str, answer: &HubAnswer) {
        match answer {
            HubAnswer::Data { .. } | HubAnswer::SignIn(_) => {
                crate::hub::health::report(&self.env, region, Code::Success).await
            }
            HubAnswer::Error(error) => crate::hub::health::report(&self.env, region, error.code).await,
            _ => {}
        }
    }

    /// The `settings` object: notes what LLU answered in `region` in the health table.
    pub(super) async fn note_health(&self, region: &str, code: &str) -> HubAnswer {
        let mut table: crate::hub::health::Table =
            self.stored_text(HEALTH_KEY).await.and_then(|t| wire::from_json(&t)).unwrap_or_default();
        table.record(region, code, now_ms());
        match self.state.storage().put_raw(HEALTH_KEY, JsValue::from(wire::to_json(&table))).await {
            Ok(()) => HubAnswer::Admitted,
            Err(_) => HubAnswer::Error(ApiError::internal()),
        }
    }

    /// The text stored under `key`, if any.
    pub(super) async fn stored_text(&self, key: &str) -> Option<String> {
        let pending = self.state.storage().as_raw().get(key).ok()?;
        worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?.as_string()
    }

    /// The `settings` object: remembers `version` if it is newer than the one stored, and answers the one stored.
    pub(super) async fn remember_version(&self, version: Option<String>) -> HubAnswer {
        let storage = self.state.storage();
        let stored = async {
            let pending = storage.as_raw().get(VERSION_KEY).ok()?;
            worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?.as_string()
        }
        .await;
        match version {
            Some(newer) if stored.as_deref().is_none_or(|old| upstream::version_less(old, &newer)) => {
                if storage.put_raw(VERSION_KEY, JsValue::from(newer.as_str())).await.is_err() {
                    return HubAnswer::Error(ApiError::internal());
                }
                HubAnswer::Version(Some(newer))
            }
            _ => HubAnswer::Version(stored),
        }
    }
}
