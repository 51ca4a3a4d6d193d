//! The share book read back from Durable Object storage, in Node (`cargo xtask test`): JSON text as it is written
//! now, and the structured object that earlier versions wrote through the `worker` crate's `Storage::put`
//! (serde_wasm_bindgen), so updating a server keeps every family link.
#![cfg(target_arch = "wasm32")]
#![allow(missing_docs, clippy::unwrap_used)]

use tidewatch_proxy::shares::{Book, Share, book_from_stored};
use tidewatch_proxy::wire;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn share(id: &str, revoked: Option<i64>) -> Share {
    Share {
        id: id.into(),
        sha256: "ab".repeat(32),
        sha1: "cd".repeat(20),
        nightscout: None,
        owner: "owner-a".into(),
        session: "sealed.session".into(),
        patient_id: "p1".into(),
        label: "Grandma «Oma» 👵".into(),
        from: "Alex".into(),
        alarms: true,
        acts_for_all: false,
        created: 1_763_700_000,
        expires: 1_766_300_000,
        revoked,
        last_used: None,
        owner_signed_out: false,
    }
}

fn book() -> Book {
    Book::new(vec![share("0123456789abcdef", None), share("fedcba9876543210", Some(1_763_800_000))])
}

/// [`book`] as JSON text, as serde's derive wrote it before the book's JSON was written by hand.
const EARLIER_TEXT: &str = r#"{"shares":[{"id":"0123456789abcdef","sha256":"abababababababababababababababababababababababababababababababab","sha1":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","owner":"owner-a","session":"sealed.session","patient_id":"p1","label":"Grandma «Oma» 👵","from":"Alex","alarms":true,"created":1763700000,"expires":1766300000,"revoked":null,"last_used":null,"owner_signed_out":false},{"id":"fedcba9876543210","sha256":"abababababababababababababababababababababababababababababababab","sha1":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","owner":"owner-a","session":"sealed.session","patient_id":"p1","label":"Grandma «Oma» 👵","from":"Alex","alarms":true,"created":1763700000,"expires":1766300000,"revoked":1763800000,"last_used":null,"owner_signed_out":false}]}"#;

#[wasm_bindgen_test]
fn a_book_stored_as_json_text_reads_back_whole() {
    let text = wire::to_json(&book());
    let read = book_from_stored(&JsValue::from_str(&text)).unwrap();
    assert_eq!(read.shares, book().shares);
    let earlier = book_from_stored(&JsValue::from_str(EARLIER_TEXT)).unwrap();
    assert_eq!(earlier.shares, book().shares);
}

#[wasm_bindgen_test]
fn a_book_stored_by_earlier_versions_as_an_object_reads_back_whole() {
    // The `worker` crate's `Storage::put` (serde_wasm_bindgen) wrote a plain object, with `undefined` for `None`
    // (so JSON.stringify leaves those fields out).
    let text = EARLIER_TEXT.replace(r#""revoked":null,"#, "").replace(r#""last_used":null,"#, "");
    let object = js_sys::JSON::parse(&text).unwrap();
    assert!(object.is_object() && object.as_string().is_none());
    let read = book_from_stored(&object).unwrap();
    assert_eq!(read.shares, book().shares);
}

#[wasm_bindgen_test]
fn nothing_stored_is_an_empty_book_and_anything_unreadable_is_none() {
    assert!(book_from_stored(&JsValue::UNDEFINED).unwrap().shares.is_empty());
    for unreadable in
        [JsValue::from_str("{\"shares\":"), JsValue::from_str("[1,2]"), JsValue::from_f64(7.0), JsValue::NULL]
    {
        assert!(book_from_stored(&unreadable).is_none(), "{unreadable:?}");
    }
}
