//! The app's entry point: mounts [`tidewatch_app::App`] on the page's body.

fn main() {
    leptos::mount::mount_to_body(tidewatch_app::App);
}
