//! Serving an axum app on a loopback listener from a thread of its own (the fakes run beside blocking test code).

use std::io;
use std::thread::JoinHandle;

use axum::Router;
use tokio::sync::oneshot;

/// Serves `app` on `listener` (already bound, non-blocking) on a new thread named `name` with its own
/// current-thread runtime; returns once it is listening. Sending on the returned channel (or dropping it) stops it.
pub fn serve_on_thread(
    name: &str,
    listener: std::net::TcpListener,
    app: Router,
) -> io::Result<(oneshot::Sender<()>, JoinHandle<()>)> {
    let (shutdown, stopped) = oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
    let thread = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return;
            }
        };
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => listener,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            tokio::select! {
                _ = axum::serve(listener, app).into_future() => {}
                _ = stopped => {}
            }
        });
    })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok((shutdown, thread)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(io::Error::other(format!("the {name} server thread died while starting"))),
    }
}
