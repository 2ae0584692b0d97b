//! A client that asks for a large answer and reads none of it loses its connection once the
//! write deadline passes, and the answer with it; without the deadline it would hold both for as
//! long as it kept the socket open.
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use passbook_server::serve::{ConnectionLimits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ANSWER: usize = 64 * 1024 * 1024;

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_at_the_write_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new().route("/big", get(|| async { vec![b'x'; ANSWER] }));
    let limits = ConnectionLimits { write_timeout: Duration::from_secs(1), ..ConnectionLimits::default() };
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(serve(listener, router, limits, stopped));

    let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
    client.write_all(b"GET /big HTTP/1.1\r\nhost: passbook\r\n\r\n").await.unwrap();
    // Read nothing while the deadline passes: the socket buffers fill and the server's write
    // waits for us.
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Then read what is there: the server has closed the connection long before the answer's end.
    let mut received = 0;
    let mut buffer = vec![0; 1 << 16];
    let read_all = async {
        loop {
            match client.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received += n,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read_all).await.expect("the server closed the connection");
    assert!(received < ANSWER / 2, "{received} of {ANSWER} bytes arrived: the stalled write was not cut off");
}

/// The status of `GET /big` with `key`; the connection is dropped without reading the body.
async fn status(address: std::net::SocketAddr, key: &str) -> u16 {
    let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET /big HTTP/1.1\r\nhost: passbook\r\nmono-sec-key: {key}\r\n\r\n");
    client.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    client.read_exact(&mut head).await.unwrap();
    String::from_utf8_lossy(&head[9..12]).parse().unwrap()
}

#[tokio::test]
async fn one_key_holds_at_most_its_share_of_large_answers_while_they_are_read() {
    use passbook_server::large_answers::{LargeAnswers, limit};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new()
        .route("/big", get(|| async { vec![b'x'; ANSWER] }))
        .layer(axum::middleware::from_fn_with_state(LargeAnswers::new(1), limit));
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(serve(listener, router, ConnectionLimits::default(), stopped));

    // A reader that takes none of its 64 MB answer holds the key's one slot.
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /big HTTP/1.1\r\nhost: passbook\r\nmono-sec-key: key-one\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status(address, "key-one").await, 429, "a second large answer for the same key");
    assert_eq!(status(address, "key-two").await, 200, "another key is not held up");
    // Gone, it frees the slot.
    drop(slow);
    let freed = async {
        while status(address, "key-one").await != 200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), freed).await.expect("the slot is freed when its reader leaves");
}
