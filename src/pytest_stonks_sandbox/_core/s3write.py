"""The three S3 calls the sandbox makes itself (create a bucket, put and delete an object),
signed with AWS Signature Version 4 over `http.client`.

A deploy and its seed need no more of S3 than this; boto3 costs about 0.3 s of CPU to import and
to build its first client, on the deploy's path. Tests get a full boto3 client (`s3` fixture).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import re
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
SIGNED_HEADERS = "host;x-amz-content-sha256;x-amz-date"
TIMEOUT_S = 10.0
#: The object a bucket's readiness check writes and deletes again.
PROBE_KEY = ".stonks-sandbox-probe"
_CODE = re.compile(rb"<Code>([^<]+)</Code>")


class S3RequestError(OSError):
    """An S3 call the store refused: its HTTP status and S3 error code."""

    def __init__(self, method: str, path: str, status: int, code: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status} {code}".rstrip())
        self.status = status
        self.code = code


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature_headers(
    method: str,
    host: str,
    path: str,
    body: bytes,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime.datetime,
) -> dict[str, str]:
    """The headers that sign one request without a query string (pure)."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    payload = hashlib.sha256(body).hexdigest()
    canonical = "\n".join(
        [method, path, "", f"host:{host}", f"x-amz-content-sha256:{payload}",
         f"x-amz-date:{amz_date}", "", SIGNED_HEADERS, payload]
    )  # fmt: skip
    scope = f"{day}/{region}/{SERVICE}/aws4_request"
    to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(f"AWS4{secret_key}".encode(), day)
    for part in (region, SERVICE, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "x-amz-content-sha256": payload,
        "x-amz-date": amz_date,
        "Authorization": f"{ALGORITHM} Credential={access_key}/{scope}, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}",
    }


class S3Writer:
    """Path-style requests to one endpoint with one key pair; one connection per call."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, region: str) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"an http:// endpoint is needed, not {endpoint!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.netloc = parts.netloc
        self.access_key, self.secret_key, self.region = access_key, secret_key, region

    def create_bucket(self, bucket: str) -> None:
        """Create it; one this key already owns is fine."""
        try:
            self._call("PUT", f"/{quote(bucket)}")
        except S3RequestError as exc:
            if exc.code != "BucketAlreadyOwnedByYou":
                raise

    def make_ready(self, bucket: str) -> None:
        """Create it, then write and delete a probe object: ready for data (a store that has
        just started may take the bucket before it can hold an object)."""
        self.create_bucket(bucket)
        self.put_object(bucket, PROBE_KEY, b"probe")
        self.delete_object(bucket, PROBE_KEY)

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self._call("PUT", f"/{quote(bucket)}/{quote(key)}", body)

    def delete_object(self, bucket: str, key: str) -> None:
        self._call("DELETE", f"/{quote(bucket)}/{quote(key)}")

    def _call(self, method: str, path: str, body: bytes = b"") -> None:
        now = datetime.datetime.now(datetime.UTC)
        headers = signature_headers(
            method, self.netloc, path, body, self.access_key, self.secret_key, self.region, now
        )
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        finally:
            connection.close()
        if response.status >= 300:
            found = _CODE.search(answer)
            code = found.group(1).decode(errors="replace") if found else ""
            raise S3RequestError(method, path, response.status, code)
