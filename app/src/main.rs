//! The app's entry point: makes the sliced executor Leptos' own (`platform::slices`) and mounts
//! [`tidewatch_app::App`] on the page's body.

fn main() {
    tidewatch_app::platform::slices::install();
    leptos::mount::mount_to_body(tidewatch_app::App);
}
