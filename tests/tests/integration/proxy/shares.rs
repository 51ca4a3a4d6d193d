//! Share links found without one global book (issue 28, item 1 and 9): each family's links live in their own
//! `Shares` object, a viewer's key leads there through the `ShareIndex` objects, links an earlier build kept in its
//! one book still open and move to their families' books, and guessing stays limited across a restart.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tidewatch_tests::Account;
use tidewatch_tests::stack::Stack;
use tidewatch_tests::stored::{self, Stored};

use super::client;

/// Signs `email` in on `stack`, shares its first patient as `label`: (sealed token, share id, secret).
async fn share(stack: &Stack, email: &str, label: &str) -> (String, String, String) {
    let http = client();
    let login = json!({"email": email, "password": "right-password"});
    let answer: serde_json::Value =
        http.post(stack.url("/llu/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = answer["data"]["authTicket"]["token"].as_str().unwrap().to_owned();
    let list: serde_json::Value =
        http.get(stack.url("/llu/connections")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let patient = list["data"][0]["patientId"].as_str().unwrap().to_owned();
    let body = json!({"patientId": patient, "label": label, "alarms": true, "from": "Alex"});
    let created: serde_json::Value =
        http.post(stack.url("/api/shares")).bearer_auth(&token).json(&body).send().await.unwrap().json().await.unwrap();
    let id = created["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    (token, id, created["secret"].as_str().unwrap().to_owned())
}

async fn view(stack: &Stack, secret: &str) -> StatusCode {
    let request = client().get(stack.url("/api/share/graph")).header("authorization", format!("Share {secret}"));
    request.send().await.unwrap().status()
}

/// The stored shares (`s:<id>`) of every `Shares` object.
fn stored_shares(state: &std::path::Path) -> Vec<Stored> {
    stored::values(state, "Shares").into_iter().filter(|v| v.key.starts_with("s:")).collect()
}

#[tokio::test]
async fn each_familys_links_are_kept_in_their_own_book_and_found_through_the_index() {
    let own = Stack::start(&[]).unwrap();
    for who in ["a", "b"] {
        own.fake.add_account(Account::new(&format!("books-{who}@proxy.test"), "right-password"));
    }
    let (token_a, id_a, secret_a) = share(&own, "books-a@proxy.test", "Grandma").await;
    let (_, id_b, secret_b) = share(&own, "books-b@proxy.test", "Grandpa").await;
    let (_, id_a2, _) = share(&own, "books-a@proxy.test", "Aunt").await;
    assert_eq!((view(&own, &secret_a).await, view(&own, &secret_b).await), (StatusCode::OK, StatusCode::OK));

    let state = own.state();
    let shares = stored_shares(&state);
    let file_of = |id: &str| shares.iter().find(|s| s.key == format!("s:{id}")).map(|s| s.file.clone());
    assert_eq!(shares.len(), 3, "{shares:?}");
    assert_eq!(file_of(&id_a), file_of(&id_a2), "one family's links are in one book");
    assert_ne!(file_of(&id_a), file_of(&id_b), "another family's are in another: no object holds every link");
    // Three keys per link (the link, its Nightscout token by SHA-256 and by SHA-1), spread by their hashes.
    let pointers = stored::values(&state, "ShareIndex");
    assert_eq!(pointers.iter().filter(|p| p.key.starts_with("p:")).count(), 9, "{pointers:?}");
    assert!(stored::objects(&state, "ShareIndex").len() > 1, "the index is spread over objects by hash");
    assert!(pointers.iter().all(|p| !p.value.contains("sealed") && !p.value.contains(&secret_a)), "{pointers:?}");

    // Revoking one link ends that link alone, at once.
    let revoked = client().delete(own.url(&format!("/api/shares/{id_a}"))).bearer_auth(&token_a).send().await;
    assert_eq!(revoked.unwrap().status(), StatusCode::OK);
    assert_eq!((view(&own, &secret_a).await, view(&own, &secret_b).await), (StatusCode::GONE, StatusCode::OK));
}

/// Links an earlier build kept in its one book (object `book`) are put back there as it stored them, with no
/// pointer in the index: they open, move to their family's book, and can be listed and revoked.
#[tokio::test]
async fn links_an_earlier_build_kept_in_its_one_book_still_open_and_move_to_their_familys_book() {
    let own = Stack::start(&[]).unwrap();
    own.fake.add_account(Account::new("earlier@proxy.test", "right-password"));
    let (token, id, secret) = share(&own, "earlier@proxy.test", "Grandma").await;
    let key = format!("s:{id}");
    let mut legacy = None;
    own.restart_with(|state| {
        let shares = stored_shares(state);
        let own_book = shares.iter().find(|s| s.key == key).map(|s| s.file.clone()).expect("the family's book");
        // Every owner's request first asks the book of earlier builds for their links.
        let earlier = stored::object_named(state, "Shares", "book").expect("the book of earlier builds was asked");
        stored::move_values(&own_book, &earlier, std::slice::from_ref(&key))?;
        for file in stored::objects(state, "ShareIndex") {
            let keys: Vec<String> = stored::values(state, "ShareIndex")
                .into_iter()
                .filter(|v| v.file == file && v.key.starts_with("p:"))
                .map(|v| v.key)
                .collect();
            stored::delete_values(&file, &keys)?;
        }
        legacy = Some((state.to_owned(), earlier));
        Ok(())
    })
    .unwrap();
    let (state, earlier) = legacy.unwrap();
    assert!(stored::values(&state, "ShareIndex").iter().all(|v| !v.key.starts_with("p:")), "no pointer is left");
    assert!(stored_shares(&state).iter().all(|s| s.file == earlier), "the link is only in the earlier book");

    assert_eq!(view(&own, &secret).await, StatusCode::OK, "the link of an earlier build opens");
    let shares = stored_shares(&state);
    assert!(shares.iter().all(|s| s.file != earlier) && shares.len() == 1, "it moved to its family's book: {shares:?}");
    assert_eq!(stored::values(&state, "ShareIndex").iter().filter(|v| v.key.starts_with("p:")).count(), 3);
    let list: serde_json::Value =
        client().get(own.url("/api/shares")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["shares"][0]["id"], id.as_str(), "{list}");
    let revoked = client().request(Method::DELETE, own.url(&format!("/api/shares/{id}"))).bearer_auth(&token);
    assert_eq!(revoked.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(view(&own, &secret).await, StatusCode::GONE);
}

#[tokio::test]
async fn guessing_links_stays_refused_after_a_restart() {
    let own = Stack::start(&[]).unwrap();
    own.fake.add_account(Account::new("guess-restart@proxy.test", "right-password"));
    let (_, _, secret) = share(&own, "guess-restart@proxy.test", "Grandma").await;
    for i in 0..tidewatch_proxy::shares::MISSES_PER_WINDOW {
        assert_eq!(view(&own, &format!("wrong-guess-{i}")).await, StatusCode::GONE);
    }
    own.restart().unwrap();
    assert_eq!(view(&own, "one-more-guess").await, StatusCode::TOO_MANY_REQUESTS, "the count outlived the restart");
    assert_eq!(view(&own, &secret).await, StatusCode::TOO_MANY_REQUESTS, "refused without a lookup until it ends");
}
