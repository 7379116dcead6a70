#!/usr/bin/env python3
"""Create every bucket of $BUCKETS (space separated) on $S3_ENDPOINT, retrying until it answers.

Requests are signed here (AWS Signature Version 4) with the standard library only: importing an
SDK would cost the Job's pod a second of CPU before its first request.
"""

import datetime
import hashlib
import hmac
import http.client
import os
import sys
import time
import urllib.parse

RETRY_S = 0.2
DEADLINE_S = 120


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def request(method: str, path: str, body: bytes = b"") -> int:
    """Send one signed request to the store; its HTTP status."""
    endpoint = urllib.parse.urlsplit(os.environ.get("S3_ENDPOINT", "http://s3:9000"))
    region = os.environ.get("S3_REGION", "us-east-1")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": endpoint.netloc, "x-amz-content-sha256": payload, "x-amz-date": stamp}
    names = ";".join(sorted(headers))
    canonical = "\n".join(
        [
            method,
            urllib.parse.quote(path),
            "",
            "".join(f"{name}:{headers[name]}\n" for name in sorted(headers)),
            names,
            payload,
        ]
    )
    scope = f"{stamp[:8]}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + os.environ["S3_SECRET_KEY"]).encode()
    for part in (stamp[:8], region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={os.environ['S3_ACCESS_KEY']}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port or 80, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def ensure_bucket(bucket: str) -> None:
    """Create `bucket` (or find it ours already) and prove it takes a write and a delete."""
    created = request("PUT", f"/{bucket}")
    if created not in (200, 409):  # 409: BucketAlreadyOwnedByYou
        raise OSError(f"creating the bucket answered HTTP {created}")
    for method, body, ok in (("PUT", b"probe", 200), ("DELETE", b"", 204)):
        status = request(method, f"/{bucket}/.probe", body)
        if status != ok:
            raise OSError(f"{method} of a probe object answered HTTP {status}")


def main() -> int:
    deadline = time.monotonic() + DEADLINE_S
    for bucket in os.environ.get("BUCKETS", "").split():
        while True:
            try:
                ensure_bucket(bucket)
                print(f"bucket {bucket} ready", flush=True)
                break
            except (OSError, http.client.HTTPException) as exc:  # the store may be starting
                if time.monotonic() > deadline:
                    print(f"bucket {bucket}: {exc}", file=sys.stderr)
                    return 1
                time.sleep(RETRY_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
