"""The sandbox's own S3 calls are signed as botocore signs them (Signature Version 4)."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pytest_stonks_sandbox._core.s3write import S3Writer, signature_headers

NOW = datetime.datetime(2026, 12, 1, 12, 30, 5, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/items-bucket", b""),
        ("PUT", "/items-bucket/docs/a%20b~c.json", b'{"x": 1}'),
        ("DELETE", "/items-bucket/.stonks-sandbox-probe", b""),
    ],
)
def test_the_signature_is_botocores(method: str, path: str, body: bytes) -> None:
    host = "127.0.0.1:41234"
    ours = signature_headers(method, host, path, body, "SBKEY", "s3cr3t", "us-east-1", NOW)
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers={
        "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
        "x-amz-date": ours["x-amz-date"],
    })  # fmt: skip
    request.context["timestamp"] = ours["x-amz-date"]
    auth = S3SigV4Auth(Credentials("SBKEY", "s3cr3t"), "s3", "us-east-1")
    expected = auth.signature(
        auth.string_to_sign(request, auth.canonical_request(request)), request
    )
    assert ours["Authorization"].endswith(f"Signature={expected}")
    assert ours["Authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=SBKEY/20261201/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
    )
    assert ours["x-amz-date"] == "20261201T123005Z"


def test_an_endpoint_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="an http:// endpoint is needed"):
        S3Writer("https://store.example:9000", "a", "b", "us-east-1")
