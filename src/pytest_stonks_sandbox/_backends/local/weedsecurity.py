"""The object store closed to other users of the machine: `security.toml` for its `weed` servers.

Only the S3 port checks credentials by itself; SeaweedFS's master, volume and filer also listen
on loopback, where any local user could read or write objects through them. With this file in
the server's working directory, every HTTP read and write of a volume or the filer needs a JWT
signed with a per-run key, and every gRPC port needs the per-run client certificate (mutual
TLS; the certificate is its own CA): the store's own servers, all started in this file's
directory, have both; nobody else does. The key and certificate are made with `openssl` (EC
P-256) and are readable by their owner only.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from pytest_stonks_sandbox._backends.parallel import Workers
from pytest_stonks_sandbox._core.errors import ProvisionError

JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")
GRPC_SERVERS = ("master", "volume", "filer", "s3", "admin", "msg_broker", "msg_agent")
COMMON_NAME = "stonks-sandbox"
VALID_DAYS = "30"  # longer than a kept sandbox lives (its TTL)


def write_security(root: Path, workers: Workers) -> Path:
    """Write `root/security.toml` and its TLS files under `root/tls`; return the toml's path.
    `workers`' stop signal ends the making of the certificate at once."""
    tls = root / "tls"
    tls.mkdir(mode=0o700, exist_ok=True)
    _make_certificates(tls, workers)
    lines = []
    for section in JWT_SECTIONS:
        lines += [f"[{section}]", f'key = "{secrets.token_hex(32)}"', "expires_after_seconds = 60"]
    lines += ["[grpc]", f'ca = "{tls / "node.crt"}"']
    for server in GRPC_SERVERS:
        lines += [f"[grpc.{server}]", f'cert = "{tls / "node.crt"}"', f'key = "{tls / "node.key"}"',
                  f'allowed_commonNames = "{COMMON_NAME}"']  # fmt: skip
    lines += ["[grpc.client]", f'cert = "{tls / "node.crt"}"', f'key = "{tls / "node.key"}"']
    path = root / "security.toml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return path


def _make_certificates(tls: Path, workers: Workers) -> None:
    """One self-signed certificate (server and client, 127.0.0.1) in `tls`, its own CA: the
    servers trust exactly it, and only they hold its key. One openssl run (about 5 ms)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ProvisionError(
            "s3",
            "openssl is not on PATH: it makes the object store's per-run TLS certificate "
            "(without it any user of this machine could read the store's files).",
            "install it (apt-get install openssl).",
        )
    command = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "node.key", "-out", "node.crt", "-days", VALID_DAYS,
        "-subj", f"/CN={COMMON_NAME}",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext", "extendedKeyUsage=serverAuth,clientAuth",
    ]  # fmt: skip
    old = os.umask(0o077)  # the key is born 0600
    try:
        code, error = workers.command(command, cwd=tls)
    finally:
        os.umask(old)
    if code != 0:
        raise ProvisionError(
            "s3",
            f"openssl req failed making the store's TLS certificate: {error[-300:]}",
            "check that `openssl version` works on this machine.",
        )
