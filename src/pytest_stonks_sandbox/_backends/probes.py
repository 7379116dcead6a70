"""Cheap readiness probes shared by the backends."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlsplit


def http_status(host: str, port: int, path: str, timeout_s: float = 1.0) -> int:
    """The status code of GET http://host:port/path, or raise OSError if nothing answers."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except http.client.HTTPException as exc:
        raise OSError(str(exc)) from exc
    finally:
        conn.close()


def http_json(url: str, timeout_s: float = 5.0) -> Any:
    """GET a JSON document from an http:// URL (raises OSError or ValueError)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout_s
    )
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise OSError(f"GET {url} answered {response.status}")
        return json.loads(body)
    except http.client.HTTPException as exc:
        raise OSError(str(exc)) from exc
    finally:
        conn.close()


def redis_ping(host: str, port: int, password: str, timeout_s: float = 1.0) -> bool:
    """True when a Redis server accepts AUTH with `password` and answers PING."""
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        return b"+OK\r\n+PONG" in redis_auth_ping(sock, password)


def redis_auth_ping(sock: Any, password: str) -> bytes:
    """Send AUTH and PING on a connected socket; return the two replies as received."""
    sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
    reply = b""
    while reply.count(b"\r\n") < 2:
        chunk = sock.recv(256)
        if not chunk:
            break
        reply += chunk
    return reply


def tcp_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """True when something accepts a TCP connection on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False
