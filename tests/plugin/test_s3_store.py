"""The local S3 store is closed to every other user of the machine: only its S3 port answers
anyone, and only with the run's keys; its filer and gRPC ports need the run's key material."""

from __future__ import annotations

import http.client
import shutil
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import make_base

from pytest_stonks_sandbox._backends.local import binaries
from pytest_stonks_sandbox._backends.local.freeports import free_ports
from pytest_stonks_sandbox._backends.local.rundir import RunDir
from pytest_stonks_sandbox._backends.local.servers import WEED_PORT_FLAGS, S3Server
from pytest_stonks_sandbox._core.s3 import S3_REGION
from pytest_stonks_sandbox._core.s3write import S3Writer

ACCESS_KEY, SECRET_KEY = "SBSTORETESTKEY", "store-test-secret-0123456789"


@pytest.fixture(scope="module")
def store() -> Iterator[S3Server]:
    base = make_base()
    run = RunDir(base / "s3-store")
    run.create("local")
    ports = dict(zip(WEED_PORT_FLAGS, free_ports(len(WEED_PORT_FLAGS)), strict=True))
    server = S3Server(run, 30.0, binaries.weed({}), ports, ACCESS_KEY, SECRET_KEY, ("box",))
    try:
        server.start()
        yield server
    finally:
        server.stop(discard=True)
        shutil.rmtree(base, ignore_errors=True)


def test_the_s3_port_takes_the_run_keys_only(store: S3Server) -> None:
    S3Writer(store.endpoint, ACCESS_KEY, SECRET_KEY, S3_REGION).put_object("box", "k", b"v")
    wrong = S3Writer(store.endpoint, ACCESS_KEY, SECRET_KEY + "x", S3_REGION)
    with pytest.raises(OSError, match="403"):
        wrong.put_object("box", "k", b"changed")


def test_the_filer_refuses_a_write_without_the_run_token(store: S3Server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", store.ports["filer.port"], timeout=5)
    connection.request("PUT", "/buckets/box/planted", body=b"x")
    assert connection.getresponse().status == 401


def _handshake(port: int, context: ssl.SSLContext) -> bytes:
    """TLS to a gRPC port, then the HTTP/2 preface; what the server sends back."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    with raw, context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        return tls.recv(64)


def _context(tls_dir: Path, with_certificate: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(tls_dir / "node.crt"))
    context.set_alpn_protocols(["h2"])
    if with_certificate:
        context.load_cert_chain(tls_dir / "node.crt", tls_dir / "node.key")
    return context


@pytest.mark.parametrize("part", ["master", "volume", "filer"])
def test_a_grpc_port_needs_the_run_certificate(store: S3Server, part: str) -> None:
    tls_dir = store.root / "tls"
    port = store.ports[f"{part}.port.grpc"]
    assert _handshake(port, _context(tls_dir, with_certificate=True))  # its SETTINGS frame
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _handshake(port, _context(tls_dir, with_certificate=False))


def test_the_key_material_is_its_owners_only(store: S3Server) -> None:
    for name in ("security.toml", "tls/node.key"):
        assert (store.root / name).stat().st_mode & 0o077 == 0, name
