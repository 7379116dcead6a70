"""The object store closed to other users of the machine: `security.toml` for its `weed` servers.

Only the S3 port checks credentials by itself; SeaweedFS's master, volume and filer also listen
on loopback, where any local user could read or write objects through them. With this file in
the server's working directory, every HTTP read and write of a volume or the filer needs a JWT
signed with a per-run key, and every gRPC port needs a client certificate of a per-run CA (mutual
TLS): the store's own servers, all started in this file's directory, have both; nobody else
does. The keys, the CA and the certificate are made with `openssl` (EC P-256, about 30 ms) and
are readable by their owner only.
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
    `workers`' stop signal ends the making of the certificates at once."""
    tls = root / "tls"
    tls.mkdir(mode=0o700, exist_ok=True)
    _make_certificates(tls, workers)
    lines = []
    for section in JWT_SECTIONS:
        lines += [f"[{section}]", f'key = "{secrets.token_hex(32)}"', "expires_after_seconds = 60"]
    lines += ["[grpc]", f'ca = "{tls / "ca.crt"}"']
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
    """A CA and one certificate (server and client, 127.0.0.1) it signed, in `tls`."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ProvisionError(
            "s3",
            "openssl is not on PATH: it makes the object store's per-run TLS certificates "
            "(without them any user of this machine could read the store's files).",
            "install it (apt-get install openssl).",
        )
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    (tls / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
        encoding="utf-8",
    )
    steps = [
        ["req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", VALID_DAYS,
         "-subj", f"/CN={COMMON_NAME}-ca"],
        ["req", *key, "-keyout", "node.key", "-out", "node.csr", "-subj", f"/CN={COMMON_NAME}"],
        ["x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "node.crt", "-days", VALID_DAYS, "-extfile", "ext.cnf"],
    ]  # fmt: skip
    old = os.umask(0o077)  # the keys are born 0600
    try:
        for step in steps:
            code, error = workers.command([openssl, *step], cwd=tls)
            if code != 0:
                raise ProvisionError(
                    "s3",
                    f"openssl {step[0]} failed making the store's TLS certificates: {error[-300:]}",
                    "check that `openssl version` works on this machine.",
                )
    finally:
        os.umask(old)
