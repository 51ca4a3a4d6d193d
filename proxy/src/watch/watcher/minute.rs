//! A `Watcher`'s scheduled minute: each patient read once through the shared cache, the links' shares asked
//! whether they still share alarms, every phone's alarm step, and what is due sent (pushes, then loud channels).

use super::*;

impl Watcher {
    /// One scheduled minute: read each group once, step every phone, send what is due.
    pub(super) async fn tick(&self, config: Config, now: i64, real_now: i64) -> ApiResult<WatchAnswer> {
        if !self.with_mut(|book| book.begin_tick(now))? {
            return Ok(WatchAnswer::Ticked { ran: false, groups: 0, subs: 0, sent: 0 });
        }
        self.with_mut(|book| book.expire_demo_phones(now))?;
        // The tick's clock is the scheduled minute: the data, the demo and the shared cache are read on it.
        let ctx = Ctx::new(self.env.clone(), config.clone(), now * 1000, String::new());
        // Viewers' shares, one call per owner's book (the account's, or a few in the object of earlier builds): a
        // revoked share, or one without alarms, stops its phones' alarms.
        let share_ids: Vec<(String, String)> = self.with(|book| {
            book.subs
                .values()
                .filter_map(|s| match &s.setup.access {
                    Access::Viewer { share_id, .. } => Some((route::group_route(&s.setup.group)?, share_id.clone())),
                    Access::Owner { .. } => None,
                })
                .collect()
        })?;
        let shares = share_sessions(&self.env, share_ids).await;
        let share = |id: &str| shares.iter().flatten().find(|(found, _)| found == id).map(|(_, found)| found);
        let plan = self.with_mut(|book| {
            for id in book.viewers_without_share(shares.as_deref()) {
                book.remove(&id);
            }
            book.groups_to_read()
                .into_iter()
                .map(|(group, subs)| {
                    let patient = subs.first().map(|s| s.setup.patient_id.clone()).unwrap_or_default();
                    let session = subs.iter().find_map(|s| {
                        let sealed = match &s.setup.access {
                            Access::Owner { session } => Some(session.clone()),
                            Access::Viewer { share_id, .. } => {
                                share(share_id).cloned().flatten().map(|(session, _)| session)
                            }
                        }?;
                        config.key.open(&sealed, real_now).ok()
                    });
                    (group, patient, session, subs.len())
                })
                .collect::<Vec<_>>()
        })?;
        let reads = futures::future::join_all(
            plan.iter().map(|(_, patient, session, _)| read_group(&ctx, session.as_ref(), patient)),
        )
        .await;
        let subs: usize = plan.iter().map(|(.., n)| n).sum();
        let groups = plan.len();
        let mut rolled: Vec<Session> = Vec::new();
        let due = self.with_mut(|book| {
            for ((group, ..), (read, newer)) in plan.iter().zip(reads) {
                book.apply(group, read, now);
                rolled.extend(newer.filter(|s| !rolled.iter().any(|r| r.account_id == s.account_id)));
            }
            book.due(now)
        })?;
        // An account whose held session LLU's newer ticket carries on: its phones and its links read through it.
        for session in rolled {
            let sealed = config.key.seal(&session, crate::seal::random_nonce());
            self.with_mut(|book| book.renew_owner(&session.account_id, &sealed))?;
            let renew = ShareRequest::Renew { owner: session.account_id.clone(), session: sealed };
            let route = route::account_route(&session.account_id);
            if crate::shares::ask_route(&self.env, &route, &renew).await.is_err() {
                worker::console_error!("watcher: the links could not take the account's newer session");
            }
        }
        // Pushes go out even when the book could not be stored: a push sent twice after a restart is the lesser
        // harm than an urgent low not sent at all.
        let saved = self.save().await;
        let sent = self.send_batch(&config, due, now, real_now).await;
        // The last rung's loud channels, after the pushes (a channel that hangs must not hold an urgent low back),
        // and, like them, whether or not the book could be stored.
        if let Err(error) = self.send_loud(&config, now, real_now).await {
            worker::console_error!("watcher: loud channels wait for the next minute ({})", error.code);
        }
        if saved.is_err() {
            self.forget_unsaved();
        }
        saved?;
        Ok(WatchAnswer::Ticked { ran: true, groups, subs, sent: sent? })
    }
}

/// The group's patient through `session` (the shared cache), as the watch book reads it.
/// And the session carried onto LLU's newer ticket, when that is due.
async fn read_group(ctx: &Ctx, session: Option<&Session>, patient: &str) -> (Read, Option<Session>) {
    let Some(session) = session else { return (Read::SignedOut, None) };
    match crate::sessions::read_held(ctx, session, Data::Graph(patient.to_owned()), false).await {
        Ok((body, _, rolled)) => {
            let name =
                body.pointer("/data/connection/firstName").and_then(Value::as_str).unwrap_or_default().to_owned();
            let sensor_ends = shared::llu::graph_sensor(&body).map(|sensor| sensor.ends_at().unix_secs());
            let session_ends = Some(rolled.as_ref().unwrap_or(session).expires);
            (Read::Data { series: shared::llu::graph_series(&body), name, sensor_ends, session_ends }, rolled)
        }
        Err(error) if error.code == Code::SessionExpired || error.http == 401 => (Read::SignedOut, None),
        Err(_) => (Read::Unreachable, None),
    }
}

/// The sessions of viewers' shares, `(owner route, share id)`, asked of each owner's book once; `None` when a book
/// cannot be read this minute (then everyone is kept, and reads go through owners' sessions only).
async fn share_sessions(env: &Env, mut ids: Vec<(String, String)>) -> Option<Vec<ShareSession>> {
    shared::order::sort_by(&mut ids, Ord::cmp);
    ids.dedup();
    let mut found = Vec::new();
    let mut routes: Vec<&str> = ids.iter().map(|(route, _)| route.as_str()).collect();
    routes.dedup();
    for route in routes {
        let of_route = ids.iter().filter(|(r, _)| r == route).map(|(_, id)| id.clone()).collect();
        match crate::shares::ask_route(env, route, &ShareRequest::Sessions { ids: of_route }).await {
            Ok(ShareAnswer::Sessions(sessions)) => found.extend(sessions),
            _ => return None,
        }
    }
    Some(found)
}
