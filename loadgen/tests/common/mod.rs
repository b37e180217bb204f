//! Helpers for the tests' hand-written HTTP targets.

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

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
