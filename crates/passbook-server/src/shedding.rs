//! Which connection to close when every slot is taken. A server full of connections that do
//! nothing (sockets that never send a request, kept-alive ones between requests) would turn
//! everyone else away; instead the listener closes the connection that has waited longest
//! without a request in progress (one that never sent a request first) and serves the newcomer.
//! A connection with a request in progress, its answer still being written included, is never
//! closed for another.
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use http_body::Frame;
use tokio::sync::Notify;

/// How long a connection must have had nothing in flight to be closed for another.
const IDLE_AT_LEAST: Duration = Duration::from_millis(250);

/// The open connections, each with what the shedding needs to know of it.
#[derive(Clone)]
pub(crate) struct Connections {
    open: Arc<Mutex<HashMap<u64, Arc<Connection>>>>,
    next_id: Arc<AtomicU64>,
    started: Instant,
}

/// One open connection.
pub(crate) struct Connection {
    id: u64,
    /// Requests whose answer is not yet fully written.
    in_flight: AtomicUsize,
    /// Whether it ever sent a request.
    served: AtomicBool,
    /// Since when (milliseconds after `Connections::started`) it has had nothing in flight.
    idle_since: AtomicU64,
    /// Told when the connection is to be closed.
    pub(crate) close: Notify,
    registry: Connections,
}

impl Connections {
    pub(crate) fn new() -> Self {
        Self { open: Default::default(), next_id: Default::default(), started: Instant::now() }
    }

    fn now_ms(&self) -> u64 {
        passbook_domain::numbers::millis_u64(self.started.elapsed())
    }

    /// A newly accepted connection; it leaves the registry when the returned handle is dropped.
    pub(crate) fn register(&self) -> Arc<Connection> {
        let connection = Arc::new(Connection {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            idle_since: AtomicU64::new(self.now_ms()),
            close: Notify::new(),
            registry: self.clone(),
        });
        self.open.lock().expect("open connections").insert(connection.id, connection.clone());
        connection
    }

    /// Closes the connection that has waited longest with nothing in flight, those that never
    /// sent a request before those kept alive; false when every connection is busy.
    pub(crate) fn shed_one(&self) -> bool {
        let open = self.open.lock().expect("open connections");
        // A connection just accepted, or just answered, may have its request on the way.
        let Some(idle_before) = self.now_ms().checked_sub(passbook_domain::numbers::millis_u64(IDLE_AT_LEAST)) else {
            return false;
        };
        let idlest = open
            .values()
            .filter(|c| c.in_flight.load(Ordering::Acquire) == 0 && c.idle_since.load(Ordering::Relaxed) <= idle_before)
            .min_by_key(|c| (c.served.load(Ordering::Relaxed), c.idle_since.load(Ordering::Relaxed), c.id));
        match idlest {
            Some(connection) => {
                // Counted as busy from now, so that the next newcomer picks another.
                connection.in_flight.fetch_add(1, Ordering::AcqRel);
                connection.close.notify_one();
                true
            }
            None => false,
        }
    }
}

impl Connection {
    pub(crate) fn forget(&self) {
        self.registry.open.lock().expect("open connections").remove(&self.id);
    }

    /// A request began: the connection is busy until its answer is written.
    pub(crate) fn request_started(&self) {
        self.served.store(true, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    /// The answer's body, counted as in flight until it is fully written (or dropped).
    pub(crate) fn answer(self: &Arc<Self>, body: Body) -> Body {
        Body::new(InFlight { body, connection: self.clone() })
    }
}

/// An answer's body that keeps its connection busy while it is being written.
struct InFlight {
    body: Body,
    connection: Arc<Connection>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let connection = &self.connection;
        connection.idle_since.store(connection.registry.now_ms(), Ordering::Relaxed);
        connection.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl http_body::Body for InFlight {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idlest_connection_goes_first_and_a_busy_one_never() {
        let connections = Connections::new();
        let (kept_alive, never_asked, busy) = (connections.register(), connections.register(), connections.register());
        kept_alive.request_started();
        drop(kept_alive.answer(Body::empty()));
        busy.request_started();
        assert!(!connections.shed_one(), "a connection just opened or answered may have its request on the way");
        std::thread::sleep(IDLE_AT_LEAST);
        assert!(connections.shed_one());
        assert_eq!(never_asked.in_flight.load(Ordering::Acquire), 1, "a socket that never sent a request goes first");
        assert!(connections.shed_one());
        assert_eq!(kept_alive.in_flight.load(Ordering::Acquire), 1, "then the kept-alive one");
        assert!(!connections.shed_one(), "a connection with a request in progress is never closed for another");
    }
}
