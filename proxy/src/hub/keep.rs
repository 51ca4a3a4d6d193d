//! A sign-in the family chose to keep for the alarms ("keep me signed in" at sign-in): the account's object keeps
//! the e-mail and password sealed with the server's key (under other associated data than sessions, so the sealed
//! value never opens as one). When LibreLinkUp ends the account's sessions (after its maintenance, say: `invalid
//! or expired jwt`), the object signs in again by itself, once in [`RESIGN_EVERY_MS`], through the e-mail's login
//! object and so within its guard (the pause after a wrong password, a lockout, a block), and reads on with the new
//! ticket. A wrong password turns it off: the kept sign-in is deleted, and the family is asked to sign in again.
//! "Sign out everywhere" deletes it too.

use super::*;
use crate::seal::random_nonce;
use crate::upstream::SignIn;
use shared::code::Code;

/// Where the kept sign-in is stored (sealed).
const KEPT_KEY: &str = "kept";
/// The object signs in by itself at most this often (one attempt per session LibreLinkUp ends, not a loop).
pub const RESIGN_EVERY_MS: f64 = 10.0 * 60_000.0;

/// What a family chose to keep: an e-mail, its password, and where its sign-in starts.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptSignIn {
    /// The LibreLinkUp e-mail.
    pub email: String,
    /// Its password.
    pub password: String,
    /// Where the sign-in starts.
    pub entry: Region,
}

/// Never the password.
impl core::fmt::Debug for KeptSignIn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeptSignIn").field("entry", &self.entry).finish_non_exhaustive()
    }
}

/// How signing in again went.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Again {
    /// Signed in: the newest ticket is the new sign-in's.
    SignedIn,
    /// LibreLinkUp refused the kept password: it is forgotten.
    WrongPassword,
    /// Nothing kept, too soon after the last attempt, or the sign-in failed otherwise (a pause, a block).
    Not,
}

impl Hub {
    /// Keeps `kept` (sealed), or forgets what was kept.
    pub(super) async fn keep(&self, config: &Config, kept: Option<KeptSignIn>) -> HubAnswer {
        let storage = self.state.storage();
        let stored = match kept {
            Some(kept) => {
                let sealed = config.key.seal_secret(&wire::to_json(&kept), random_nonce());
                storage.put_raw(KEPT_KEY, JsValue::from(sealed)).await
            }
            None => storage.delete(KEPT_KEY).await.map(|_| ()),
        };
        match stored {
            Ok(()) => HubAnswer::Admitted,
            Err(_) => HubAnswer::Error(ApiError::internal()),
        }
    }

    /// Signs the account in again with what it kept, when LibreLinkUp refused its tokens.
    pub(super) async fn sign_in_again(&self, config: &Config, account_id: &str) -> Again {
        let now = now_ms();
        if now - self.resigned.get() < RESIGN_EVERY_MS {
            return Again::Not;
        }
        let Some(kept) = self.kept(config).await else { return Again::Not };
        self.resigned.set(now);
        let request = HubRequest::Login { email: kept.email.clone(), password: kept.password, entry: kept.entry };
        match crate::hub::ask(&self.env, &login_object(&kept.email), &request).await {
            Ok(HubAnswer::SignIn(SignIn::Success { region, user_id, ticket, .. }))
                if sha256_hex(&user_id) == account_id =>
            {
                self.replace_ticket(config, region, account_id, &ticket).await;
                worker::console_log!("hub: LibreLinkUp had ended the account's sessions; signed in again by itself");
                Again::SignedIn
            }
            Ok(HubAnswer::Error(error)) if error.code == Code::BadCredentials => {
                let _ = self.keep(config, None).await;
                worker::console_error!("hub: the kept password was refused; signing in by itself is off");
                Again::WrongPassword
            }
            _ => Again::Not,
        }
    }

    /// The kept sign-in, if any (one that cannot be opened counts as none).
    async fn kept(&self, config: &Config) -> Option<KeptSignIn> {
        let text = self.stored_text(KEPT_KEY).await?;
        wire::from_json(&config.key.open_secret(&text).ok()?)
    }
}

/// The error a family sees when the kept password was refused.
pub fn kept_password_refused() -> ApiError {
    ApiError::new(
        401,
        Code::SessionExpired,
        "LibreLinkUp ended the session and refused the kept password (was it changed?). Sign in again.",
    )
}
