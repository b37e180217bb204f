//! Helpers for the tests' hand-written HTTP targets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Reads one request head, byte by byte (what follows stays in the socket); `None` at the end
/// of the stream.
pub async fn read_head(s: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// What a target does with a request: `None` closes the connection without answering, else
/// the answer after a delay. Given the head and the request's index on its connection.
pub type Answer = dyn Fn(&str, usize) -> Option<(Duration, Vec<u8>)> + Send + Sync;

pub struct Target {
    pub addr: SocketAddr,
    /// Every request head received, with when.
    pub heads: Arc<Mutex<Vec<(Instant, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Target {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Target {
    pub fn url(&self) -> String {
        format!("http://{}/x", self.addr)
    }
    pub fn requests(&self) -> Vec<(Instant, String)> {
        self.heads.lock().expect("lock").clone()
    }
}

pub async fn target(answer: Arc<Answer>) -> Target {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let heads = Arc::new(Mutex::new(Vec::new()));
    let h = heads.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let (h, answer) = (h.clone(), answer.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while let Some(head) = read_head(&mut s).await {
                    h.lock().expect("lock").push((Instant::now(), head.clone()));
                    let Some((delay, bytes)) = answer(&head, n) else { return };
                    n += 1;
                    tokio::time::sleep(delay).await;
                    if s.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Target { addr, heads, task }
}
