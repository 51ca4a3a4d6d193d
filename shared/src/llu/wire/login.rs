//! The sign-in answers: `POST /llu/auth/login` and `POST /auth/continue/{tou|pp}`.

use super::*;

/// `data` of a successful login (or of a successful `/auth/continue/*`).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginSuccess {
    /// The follower's account.
    pub user: User,
    /// The 180-day token.
    pub auth_ticket: Ticket,
    /// Pending invitation ids; LLU sends `null` for none.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub invitations: Vec<String>,
    /// `messages`, `notifications`, `trustedDeviceToken` and anything new, kept for re-emission.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The logged-in (follower) user. Only what Tidewatch reads is typed; the rest is kept in `extra`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user's UUID; `account-id` is the hex SHA-256 of it.
    pub id: String,
    /// Country code, e.g. `DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The follower's display unit as a string: `"0"` mmol/L, `"1"` mg/dL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// UI language, e.g. `de-DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_language: Option<String>,
    /// `pat` in every capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Everything else (`system`, `twoFactor`, `devices`, `consents`, `created`, `lastLogin`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of a login that belongs to another region: `{"redirect": true, "region": "eu2"}`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LoginRedirect {
    /// Always `true`.
    pub redirect: bool,
    /// The region code, lower case (see [`crate::llu::Region`]).
    pub region: String,
}

/// `data` of a status-4 answer: the user must do something first.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginStep {
    /// What to do.
    pub step: Step,
    /// A partial user with **no id**.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<StepUser>,
    /// The 1-hour step token for `/auth/continue/{type}` (missing only in a mangled capture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_ticket: Option<Ticket>,
}

/// The `step` of a status-4 answer.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// `tou`, `pp`, `verifyEmail`, or something new.
    #[serde(rename = "type")]
    pub kind: StepKind,
    /// The app's screen, `AcceptDocument` or `VerifyEmail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_name: Option<String>,
    /// Screen parameters (`titleKey`, `reaccept`, `email`, …), kept as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub props: Option<Value>,
}

/// What a status-4 step asks for.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum StepKind {
    /// Accept the terms of use (`tou`).
    TermsOfUse,
    /// Accept the privacy policy (`pp`).
    PrivacyPolicy,
    /// Verify the e-mail address (`verifyEmail`); not possible over the API.
    VerifyEmail,
    /// A step type not seen before, kept verbatim (cut to 64 characters).
    Other(String),
}

impl StepKind {
    /// The wire name (`tou`, `pp`, `verifyEmail`, or the unknown text).
    pub fn as_str(&self) -> &str {
        match self {
            StepKind::TermsOfUse => "tou",
            StepKind::PrivacyPolicy => "pp",
            StepKind::VerifyEmail => "verifyEmail",
            StepKind::Other(s) => s,
        }
    }

    /// Whether `POST /auth/continue/{type}` can complete it (only `tou` and `pp`, and only with the user's consent).
    pub const fn can_continue(&self) -> bool {
        matches!(self, StepKind::TermsOfUse | StepKind::PrivacyPolicy)
    }
}

impl From<String> for StepKind {
    fn from(s: String) -> Self {
        match s.as_str() {
            "tou" => StepKind::TermsOfUse,
            "pp" => StepKind::PrivacyPolicy,
            "verifyEmail" => StepKind::VerifyEmail,
            _ => StepKind::Other(s.chars().take(64).collect()),
        }
    }
}

impl From<StepKind> for String {
    fn from(k: StepKind) -> Self {
        k.as_str().to_owned()
    }
}

/// The partial user of a step answer.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepUser {
    /// `pat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// UI language (may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_language: Option<String>,
}
