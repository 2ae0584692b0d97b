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
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let open = crate::shedding::Connections::new();
    let per_address = PerAddress::new(&limits);
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let mut connections = tokio::task::JoinSet::new();
    let mut refused_since_log = 0u64;
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
        let Some(held) = per_address.hold(peer.ip()) else {
            refused_since_log += 1;
            if refused_since_log.is_power_of_two() {
                tracing::warn!(
                    max = limits.max_connections_per_address,
                    address = %peer.ip(),
                    refused = refused_since_log,
                    "an address reached its connection limit; closing its new connections"
                );
            }
            drop(stream);
            continue;
        };
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            // Full: an idle connection makes room, if there is one (see `shedding`).
            Err(_) if open.shed_one() => {
                tokio::time::timeout(SHED_WAIT, slots.clone().acquire_owned()).await.ok().and_then(Result::ok)
            }
            Err(_) => None,
        };
        let Some(permit) = permit else {
            refused_since_log += 1;
            if refused_since_log.is_power_of_two() {
                tracing::warn!(
                    max = limits.max_connections,
                    refused = refused_since_log,
                    "connection limit reached; closing new connections"
                );
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let tracked = open.register();
        let (starts, answers) = (tracked.clone(), tracked.clone());
        let service = router
            .clone()
            .map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
                starts.request_started();
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            })
            .map_response(move |response: axum::response::Response| response.map(|body| answers.answer(body)));
        let stream = crate::write_deadline::WriteDeadline::new(stream, limits.write_timeout);
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            tokio::select! {
                ended = connection => if let Err(err) = ended {
                    tracing::debug!(error = %err, %peer, "connection ended with an error");
                },
                () = tracked.close.notified() => tracing::debug!(%peer, "closed an idle connection to make room"),
            }
            tracked.forget();
            drop((permit, held));
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(grace = ?limits.shutdown_grace, "requests still running at the end of the shutdown grace; closing them");
    }
    connections.abort_all();
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
