//! The share book's stored and exchanged JSON, written by hand (`shared::wire`): a share, the owner's view of it,
//! a secret's hashes, a presented key, and the whole book as builds before per-share keys stored it.

use serde_json::Value;

use super::{Book, Hashes, Key, Share, ShareInfo, ShareState};
use crate::wire::{self, Wire};

shared::wire_names!(ShareState {
    Active => "active",
    OwnerSignedOut => "owner_signed_out",
    Revoked => "revoked",
    Expired => "expired",
});

impl Wire for Share {
    fn to_wire(&self) -> Value {
        let mut fields = vec![
            ("id", self.id.clone().into()),
            ("sha256", self.sha256.clone().into()),
            ("sha1", self.sha1.clone().into()),
            ("owner", self.owner.clone().into()),
            ("session", self.session.clone().into()),
            ("patient_id", self.patient_id.clone().into()),
            ("label", self.label.clone().into()),
            ("from", self.from.clone().into()),
            ("alarms", self.alarms.into()),
            ("created", self.created.into()),
            ("expires", self.expires.into()),
            ("revoked", self.revoked.to_wire()),
            ("last_used", self.last_used.to_wire()),
            ("owner_signed_out", self.owner_signed_out.into()),
        ];
        // Only when there is one: a link made before is stored exactly as before.
        if let Some(token) = &self.nightscout {
            fields.push(("nightscout", token.to_wire()));
        }
        if self.acts_for_all {
            fields.push(("acts_for_all", true.into()));
        }
        wire::object(fields)
    }

    fn from_wire(value: &Value) -> Option<Share> {
        Some(Share {
            id: wire::get(value, "id")?,
            sha256: wire::get(value, "sha256")?,
            sha1: wire::get(value, "sha1")?,
            nightscout: wire::get(value, "nightscout")?,
            owner: wire::get(value, "owner")?,
            session: wire::get(value, "session")?,
            patient_id: wire::get(value, "patient_id")?,
            label: wire::get(value, "label")?,
            from: wire::get(value, "from")?,
            alarms: wire::get(value, "alarms")?,
            acts_for_all: wire::get_or(value, "acts_for_all", false)?,
            created: wire::get(value, "created")?,
            expires: wire::get(value, "expires")?,
            revoked: wire::get(value, "revoked")?,
            last_used: wire::get(value, "last_used")?,
            owner_signed_out: wire::get(value, "owner_signed_out")?,
        })
    }
}

impl Wire for ShareInfo {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("id", self.id.clone().into()),
            ("patientId", self.patient_id.clone().into()),
            ("label", self.label.clone().into()),
            ("from", self.from.clone().into()),
            ("alarms", self.alarms.into()),
            ("actsForAll", self.acts_for_all.into()),
            ("created", self.created.into()),
            ("expires", self.expires.into()),
            ("lastUsed", self.last_used.to_wire()),
            ("state", self.state.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<ShareInfo> {
        Some(ShareInfo {
            id: wire::get(value, "id")?,
            patient_id: wire::get(value, "patientId")?,
            label: wire::get(value, "label")?,
            from: wire::get(value, "from")?,
            alarms: wire::get(value, "alarms")?,
            acts_for_all: wire::get_or(value, "actsForAll", false)?,
            created: wire::get(value, "created")?,
            expires: wire::get(value, "expires")?,
            last_used: wire::get(value, "lastUsed")?,
            state: wire::get(value, "state")?,
        })
    }
}

impl Wire for Hashes {
    fn to_wire(&self) -> Value {
        wire::object(vec![("sha256", self.sha256.clone().into()), ("sha1", self.sha1.clone().into())])
    }

    fn from_wire(value: &Value) -> Option<Hashes> {
        Some(Hashes { sha256: wire::get(value, "sha256")?, sha1: wire::get(value, "sha1")? })
    }
}

impl Wire for Key {
    fn to_wire(&self) -> Value {
        match self {
            Key::Sha256(hex) => wire::variant("sha256", Some(hex.clone().into())),
            Key::NightscoutSha256(hex) => wire::variant("ns_sha256", Some(hex.clone().into())),
            Key::NightscoutSha1(hex) => wire::variant("ns_sha1", Some(hex.clone().into())),
        }
    }

    fn from_wire(value: &Value) -> Option<Key> {
        let (name, content) = wire::read_variant(value)?;
        let hex = content.as_str()?.to_owned();
        match name {
            "sha256" => Some(Key::Sha256(hex)),
            "ns_sha256" => Some(Key::NightscoutSha256(hex)),
            "ns_sha1" => Some(Key::NightscoutSha1(hex)),
            _ => None,
        }
    }
}

/// How builds before per-share keys stored the whole book, `{"shares": [...]}` (read once, to take it over); the
/// failure counts were never stored.
impl Wire for Book {
    fn to_wire(&self) -> Value {
        wire::object(vec![("shares", wire::list(&self.shares))])
    }

    fn from_wire(value: &Value) -> Option<Book> {
        Some(Book::new(wire::read_list(value.get("shares")?)?))
    }
}
