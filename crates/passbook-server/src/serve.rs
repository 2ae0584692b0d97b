//! The HTTP listener: accepts connections up to a cap (closing idle ones first to make room),
//! times out clients that are slow to send their headers or that sit idle, and gives shutdown a
//! deadline. (`axum::serve` has none of these knobs, and a server without them falls to a few
//! thousand idle sockets.)
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// How the listener protects itself.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Open connections at once; beyond it, the connection idle longest is closed to make room
    /// (`crate::shedding`), or the new one when every connection has a request in progress.
    pub max_connections: usize,
    /// Open connections from one address at once, so that one client cannot hold them all.
    pub max_connections_per_address: usize,
    /// Addresses the per-address cap does not apply to: the trusted proxies every client comes
    /// through.
    pub proxies: Vec<crate::IpNet>,
    /// How long a client has to send a request's headers, and how long a kept-alive
    /// connection may sit idle between requests.
    pub header_read_timeout: Duration,
    /// How long writing an answer may wait for a client that reads none of it before the
    /// connection is closed (`crate::write_deadline`).
    pub write_timeout: Duration,
    /// How long shutdown waits for requests in flight before closing their connections.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_connections_per_address: 256,
            proxies: Vec::new(),
            header_read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// How long a newcomer waits for the idle connection closed for it to free its slot.
const SHED_WAIT: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` turns true, then drains within the grace.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut gate = Gate::new(&limits);
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let mut connections = tokio::task::JoinSet::new();
    let stopped = async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    };
    tokio::pin!(stopped);
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: wait a moment instead of spinning.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopped => break,
        };
        // Refused: dropping the stream closes it.
        let Some(admitted) = gate.admit(peer).await else { continue };
        let _ = stream.set_nodelay(true);
        let tracked = gate.open.register();
        let service = TowerToHyperService::new(counted(router.clone(), tracked.clone(), peer));
        let stream = crate::write_deadline::WriteDeadline::new(stream, limits.write_timeout);
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            tokio::select! {
                ended = connection => if let Err(err) = ended {
                    tracing::debug!(error = %err, %peer, "connection ended with an error");
                },
                () = tracked.close.notified() => tracing::debug!(%peer, "closed an idle connection to make room"),
            }
            tracked.forget();
            drop(admitted);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(grace = ?limits.shutdown_grace, "requests still running at the end of the shutdown grace; closing them");
    }
    connections.abort_all();
}

/// The router for one connection: each request carries the peer's address, and counts as in
/// flight on the connection until its answer is written (`shedding`).
fn counted(
    router: Router,
    tracked: Arc<crate::shedding::Connection>,
    peer: SocketAddr,
) -> impl tower::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone {
    let (starts, answers) = (tracked.clone(), tracked);
    router
        .map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
            starts.request_started();
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        })
        .map_response(move |response: axum::response::Response| response.map(|body| answers.answer(body)))
}

/// What a connection holds while open: a slot under the cap and its address's count.
struct Admitted {
    _slot: tokio::sync::OwnedSemaphorePermit,
    _held: Held,
}

/// Who gets in: the per-address cap, then the global cap (making room by closing an idle
/// connection); refusals are logged now and then.
struct Gate {
    slots: Arc<Semaphore>,
    open: crate::shedding::Connections,
    per_address: PerAddress,
    max_connections: usize,
    refused_since_log: u64,
}

impl Gate {
    fn new(limits: &ConnectionLimits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.max_connections)),
            open: crate::shedding::Connections::new(),
            per_address: PerAddress::new(limits),
            max_connections: limits.max_connections,
            refused_since_log: 0,
        }
    }

    async fn admit(&mut self, peer: SocketAddr) -> Option<Admitted> {
        let Some(held) = self.per_address.hold(peer.ip()) else {
            let max = self.per_address.max;
            self.refused(|refused| {
                tracing::warn!(max, address = %peer.ip(), refused, "an address reached its connection limit; closing its new connections")
            });
            return None;
        };
        let slot = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => Some(slot),
            // Full: an idle connection makes room, if there is one (see `shedding`).
            Err(_) if self.open.shed_one() => {
                tokio::time::timeout(SHED_WAIT, self.slots.clone().acquire_owned()).await.ok().and_then(Result::ok)
            }
            Err(_) => None,
        };
        let Some(slot) = slot else {
            let max = self.max_connections;
            self.refused(|refused| tracing::warn!(max, refused, "connection limit reached; closing new connections"));
            return None;
        };
        Some(Admitted { _slot: slot, _held: held })
    }

    /// Counts a refusal; logs at the 1st, 2nd, 4th, 8th… so that a flood does not flood the log.
    fn refused(&mut self, log: impl FnOnce(u64)) {
        self.refused_since_log += 1;
        if self.refused_since_log.is_power_of_two() {
            log(self.refused_since_log);
        }
    }
}

/// The peer address of a request, when it came through [`serve`].
pub fn peer(request: &axum::extract::Request) -> Option<SocketAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

/// Connections open per client address.
#[derive(Clone)]
struct PerAddress {
    open: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    max: usize,
    exempt: Arc<Vec<crate::IpNet>>,
}

/// One connection counted against its address; uncounted when dropped.
struct Held {
    counts: Option<(PerAddress, std::net::IpAddr)>,
}

impl PerAddress {
    fn new(limits: &ConnectionLimits) -> Self {
        Self {
            open: Default::default(),
            max: limits.max_connections_per_address,
            exempt: Arc::new(limits.proxies.clone()),
        }
    }

    /// Counts a connection from `ip`, or `None` when that address holds its share already.
    fn hold(&self, ip: std::net::IpAddr) -> Option<Held> {
        if self.max == 0 || self.exempt.iter().any(|net| net.contains(ip)) {
            return Some(Held { counts: None });
        }
        let mut open = self.open.lock().expect("connections per address");
        let count = open.entry(ip).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Held { counts: Some((self.clone(), ip)) })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some((per_address, ip)) = self.counts.take() {
            let mut open = per_address.open.lock().expect("connections per address");
            if let Some(count) = open.get_mut(&ip) {
                *count -= 1;
                if *count == 0 {
                    open.remove(&ip);
                }
            }
        }
    }
}
