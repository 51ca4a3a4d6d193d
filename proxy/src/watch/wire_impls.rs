//! The watch book's stored and exchanged JSON, written by hand (`shared::wire`).

use super::*;

impl Wire for Access {
    fn to_wire(&self) -> Value {
        match self {
            Access::Owner { session } => {
                wire::variant("owner", Some(wire::object(vec![("session", session.to_wire())])))
            }
            Access::Viewer { share_id, from, acts_for_all } => {
                let mut fields = vec![("share_id", share_id.to_wire()), ("from", from.to_wire())];
                // Only when granted: a viewer's phone from before is stored exactly as before.
                if *acts_for_all {
                    fields.push(("acts_for_all", true.into()));
                }
                wire::variant("viewer", Some(wire::object(fields)))
            }
        }
    }

    fn from_wire(value: &Value) -> Option<Access> {
        match wire::read_variant(value)? {
            ("owner", content) => Some(Access::Owner { session: wire::get(content, "session")? }),
            ("viewer", content) => Some(Access::Viewer {
                share_id: wire::get(content, "share_id")?,
                from: wire::get(content, "from")?,
                acts_for_all: wire::get_or(content, "acts_for_all", false)?,
            }),
            _ => None,
        }
    }
}

impl Wire for Subscription {
    fn to_wire(&self) -> Value {
        let mut value = wire::object(vec![
            ("id", self.id.to_wire()),
            ("key", self.key.to_wire()),
            ("endpoint", self.endpoint.to_wire()),
            ("p256dh", self.p256dh.to_wire()),
            ("auth", self.auth.to_wire()),
            ("group", self.group.to_wire()),
            ("patient_id", self.patient_id.to_wire()),
            ("access", self.access.to_wire()),
            ("config", self.config.to_wire()),
            ("unit", self.unit.to_wire()),
            ("state", self.state.to_wire()),
            ("created", self.created.to_wire()),
            ("told", self.told.to_wire()),
        ]);
        // Written only when known, so a phone without them is stored exactly as earlier builds stored it.
        if let Some(object) = value.as_object_mut() {
            if !self.device.is_empty() {
                object.insert("device".into(), self.device.to_wire());
            }
            if let Some(at) = self.delivered {
                object.insert("delivered".into(), at.to_wire());
            }
        }
        value
    }

    fn from_wire(value: &Value) -> Option<Subscription> {
        Some(Subscription {
            id: wire::get(value, "id")?,
            key: wire::get(value, "key")?,
            endpoint: wire::get(value, "endpoint")?,
            p256dh: wire::get(value, "p256dh")?,
            auth: wire::get(value, "auth")?,
            group: wire::get(value, "group")?,
            patient_id: wire::get(value, "patient_id")?,
            access: wire::get(value, "access")?,
            config: wire::get(value, "config")?,
            unit: wire::get(value, "unit")?,
            state: wire::get(value, "state")?,
            created: wire::get(value, "created")?,
            told: wire::get(value, "told")?,
            device: wire::get_or(value, "device", String::new())?,
            delivered: wire::get_or(value, "delivered", None)?,
        })
    }
}

shared::wire_names!(Notice { Outage => "outage", SignedOut => "signed_out", SessionEnds => "session_ends" });
shared::wire_names!(Urgency { Low => "low", Normal => "normal", High => "high" });

impl Wire for Group {
    fn to_wire(&self) -> Value {
        let mut fields = vec![
            ("name", self.name.to_wire()),
            ("shared_ack", self.shared_ack.to_wire()),
            ("failing_since", self.failing_since.to_wire()),
            ("failure", self.failure.to_wire()),
            ("series", self.series.to_wire()),
        ];
        // Written only when known, so a book without one is stored exactly as earlier builds stored it.
        if let Some(ends) = self.sensor_ends {
            fields.push(("sensor_ends", ends.to_wire()));
        }
        if let Some(ends) = self.session_ends {
            fields.push(("session_ends", ends.to_wire()));
        }
        wire::object(fields)
    }

    fn from_wire(value: &Value) -> Option<Group> {
        if !value.is_object() {
            return None;
        }
        Some(Group {
            name: wire::get_or(value, "name", String::new())?,
            shared_ack: wire::get_or(value, "shared_ack", false)?,
            failing_since: wire::get_or(value, "failing_since", None)?,
            failure: wire::get_or(value, "failure", None)?,
            series: wire::get_or(value, "series", Series::default())?,
            sensor_ends: wire::get_or(value, "sensor_ends", None)?,
            session_ends: wire::get_or(value, "session_ends", None)?,
        })
    }
}

impl Wire for Message {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("sub", self.sub.to_wire()),
            ("topic", self.topic.to_wire()),
            ("payload", self.payload.to_wire()),
            ("urgency", self.urgency.to_wire()),
            ("ttl", self.ttl.to_wire()),
            ("created", self.created.to_wire()),
            ("next_try", self.next_try.to_wire()),
            ("tries", self.tries.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<Message> {
        Some(Message {
            sub: wire::get(value, "sub")?,
            topic: wire::get(value, "topic")?,
            payload: wire::get(value, "payload")?,
            urgency: wire::get(value, "urgency")?,
            ttl: wire::get(value, "ttl")?,
            created: wire::get(value, "created")?,
            next_try: wire::get(value, "next_try")?,
            tries: wire::get(value, "tries")?,
        })
    }
}

/// Also what the service worker reads.
impl Wire for Payload {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("v", self.v.to_wire()),
            ("sub", self.sub.to_wire()),
            ("key", self.key.to_wire()),
            ("kind", self.kind.to_wire()),
            ("title", self.title.to_wire()),
            ("body", self.body.to_wire()),
            ("tag", self.tag.to_wire()),
            ("urgent", self.urgent.to_wire()),
            ("silent", self.silent.to_wire()),
            ("snooze_min", self.snooze_min.to_wire()),
            ("at", self.at.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<Payload> {
        Some(Payload {
            v: wire::get(value, "v")?,
            sub: wire::get(value, "sub")?,
            key: wire::get(value, "key")?,
            kind: wire::get(value, "kind")?,
            title: wire::get(value, "title")?,
            body: wire::get(value, "body")?,
            tag: wire::get(value, "tag")?,
            urgent: wire::get(value, "urgent")?,
            silent: wire::get(value, "silent")?,
            snooze_min: wire::get(value, "snooze_min")?,
            at: wire::get(value, "at")?,
        })
    }
}

/// A map of `T` by text key.
pub(super) fn map_to_wire<T: Wire>(map: &Keyed<T>) -> Value {
    let mut out = wire::Map::new();
    for (key, item) in map.iter() {
        out.insert(key.clone(), item.to_wire());
    }
    Value::Object(out)
}

/// The other end of [`map_to_wire`]. (Built by inserting: see `wire::object`.)
pub(super) fn map_from_wire<T: Wire>(value: &Value) -> Option<Keyed<T>> {
    let mut out = Keyed::new();
    for (key, item) in value.as_object()? {
        out.insert(key.clone(), T::from_wire(item)?);
    }
    Some(out)
}

impl Wire for WatchBook {
    fn to_wire(&self) -> Value {
        let mut fields = vec![
            ("subs", map_to_wire(&self.subs)),
            ("groups", map_to_wire(&self.groups)),
            ("outbox", self.outbox.to_wire()),
            ("last_tick", self.last_tick.to_wire()),
        ];
        // Written only when there are some, so a book without is stored exactly as earlier builds stored it.
        if !self.removed.is_empty() {
            fields.push(("removed", map_to_wire(&self.removed)));
        }
        if !self.interruptions.is_empty() {
            fields.push(("interruptions", self.interruptions.to_wire()));
        }
        wire::object(fields)
    }

    fn from_wire(value: &Value) -> Option<WatchBook> {
        Some(WatchBook {
            subs: map_from_wire(value.get("subs")?)?,
            groups: map_from_wire(value.get("groups")?)?,
            outbox: wire::get(value, "outbox")?,
            last_tick: wire::get(value, "last_tick")?,
            removed: match value.get("removed") {
                Some(removed) => map_from_wire(removed)?,
                None => Keyed::new(),
            },
            interruptions: wire::get_or(value, "interruptions", Vec::new())?,
        })
    }
}

impl Wire for NewSubscription {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("endpoint", self.endpoint.to_wire()),
            ("p256dh", self.p256dh.to_wire()),
            ("auth", self.auth.to_wire()),
            ("group", self.group.to_wire()),
            ("patient_id", self.patient_id.to_wire()),
            ("access", self.access.to_wire()),
            ("config", self.config.to_wire()),
            ("unit", self.unit.to_wire()),
            ("shared_ack", self.shared_ack.to_wire()),
            ("presented_key", self.presented_key.to_wire()),
            ("device", self.device.to_wire()),
            ("client", self.client.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<NewSubscription> {
        Some(NewSubscription {
            endpoint: wire::get(value, "endpoint")?,
            p256dh: wire::get(value, "p256dh")?,
            auth: wire::get(value, "auth")?,
            group: wire::get(value, "group")?,
            patient_id: wire::get(value, "patient_id")?,
            access: wire::get(value, "access")?,
            config: wire::get(value, "config")?,
            unit: wire::get(value, "unit")?,
            shared_ack: wire::get(value, "shared_ack")?,
            presented_key: wire::get(value, "presented_key")?,
            device: wire::get_or(value, "device", String::new())?,
            client: wire::get_or(value, "client", String::new())?,
        })
    }
}

impl Wire for Interruption {
    fn to_wire(&self) -> Value {
        wire::object(vec![("from", self.from.into()), ("to", self.to.into())])
    }

    fn from_wire(value: &Value) -> Option<Interruption> {
        Some(Interruption { from: wire::get(value, "from")?, to: wire::get(value, "to")? })
    }
}
