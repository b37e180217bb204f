#!/usr/bin/env python3
"""Clients and a backend for bench/gateway-answer-memory.sh (loopback only).

    slow_clients.py backend PORT            serve GET /bigbody/N: an N-byte answer
    slow_clients.py noread PORT N SIZE SECS N HTTP/1.1 clients ask for SIZE bytes, never read
    slow_clients.py h2hold PORT N SIZE SECS one h2c connection, window 0, N streams of SIZE

Each client mode holds its connections open SECS seconds, then closes them.
"""

import socket
import struct
import sys
import threading
import time


def backend(port: int) -> None:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(256)

    def handle(c: socket.socket) -> None:
        with c:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b"\r\n")[0].split(b" ")[1].decode()
                size = int(path.rsplit("/", 1)[-1]) if path.startswith("/bigbody/") else 2
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size)

    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def noread(port: int, n: int, size: int, secs: float) -> None:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /bigbody/%d HTTP/1.1\r\nHost: a\r\n\r\n" % size)
        socks.append(s)
    time.sleep(secs)
    for s in socks:
        s.close()


def frame(t: int, flags: int, sid: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", sid) + payload


def lit(n: str, v: str) -> bytes:
    return b"\x00" + bytes([len(n)]) + n.encode() + bytes([len(v)]) + v.encode()


def h2hold(port: int, n: int, size: int, secs: float) -> None:
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.5)
    # SETTINGS_INITIAL_WINDOW_SIZE = 0: the gateway may send no DATA until a WINDOW_UPDATE.
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, struct.pack(">HI", 4, 0)))
    for i in range(n):
        hdrs = lit(":method", "GET") + lit(":scheme", "http") + lit(":path", f"/bigbody/{size}") + lit(":authority", "a")
        s.sendall(frame(1, 5, 2 * i + 1, hdrs))
    t0, buf = time.time(), b""
    while time.time() - t0 < secs:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            break
        buf += d
        while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            ln, t, f = int.from_bytes(buf[:3], "big"), buf[3], buf[4]
            if t == 4 and f == 0:
                s.sendall(frame(4, 1, 0, b""))  # SETTINGS ack
            if t == 6 and f == 0:
                s.sendall(frame(6, 1, 0, buf[9 : 9 + ln]))  # PING ack
            buf = buf[9 + ln :]
    s.close()


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "backend":
        backend(port)
    else:
        n, size, secs = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        {"noread": noread, "h2hold": h2hold}[mode](port, n, size, secs)
