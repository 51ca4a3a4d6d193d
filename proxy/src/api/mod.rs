//! The HTTP surfaces, one module each: thin handlers that read a request, ask a feature (the account's `Hub`, the
//! share books, the `Watcher`s) through `sessions` and the features' clients, and reply. Nothing below calls them.

/// `GET /api/health`: LibreLinkUp as the server sees it, for whoever runs it.
pub mod health;
/// The LLU-compatible facade: one handler per LibreLinkUp route.
pub mod llu;
/// `/api/notes` and Nightscout's `/api/v1/treatments`: the family's notes on a patient.
pub mod notes;
/// `/api/push/*`: the app's subscribe, acknowledge, test and phones API.
pub mod push;
/// `/api/push/rota` and `/api/push/duty`: the family's night shift.
pub mod rota;
/// Share links over HTTP (`/api/shares`, `/api/share/*`) and their Nightscout-compatible read API.
pub mod shares;
