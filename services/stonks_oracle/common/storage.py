"""Object store (S3 / MinIO) access through boto3, run in worker threads.

Path-style addressing, short timeouts, no retries: a missing key raises NotFound (404), an
unreachable store or missing bucket raises DependencyUnavailable (503).
"""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .errors import DependencyUnavailable, NotFound
from .settings import Settings

_MISSING_KEY = {"NoSuchKey", "404", "NotFound"}
UNAVAILABLE = "object store unavailable"


class ObjectStore:
    """One bucket of one S3 endpoint (``settings.s3_bucket`` unless a bucket is given)."""

    def __init__(self, settings: Settings) -> None:
        settings.require("s3_endpoint", "s3_access_key", "s3_secret_key")
        self.bucket = settings.s3_bucket
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
            region_name=settings.s3_region,
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )

    async def _call(self, method: str, key: str | None = None, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(getattr(self._client, method), **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if key is not None and code in _MISSING_KEY:
                raise NotFound(f"object {key!r} not found") from exc
            raise DependencyUnavailable(f"{UNAVAILABLE}: {code or exc}") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable(UNAVAILABLE) from exc

    async def get_object_bytes(self, key: str, *, bucket: str | None = None) -> bytes:
        """The body of ``key``."""
        response = await self._call("get_object", key, Bucket=bucket or self.bucket, Key=key)
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body

    async def get_object_text(self, key: str, *, bucket: str | None = None) -> str:
        """The body of ``key`` decoded as UTF-8."""
        return (await self.get_object_bytes(key, bucket=bucket)).decode("utf-8")

    async def put_object(
        self,
        key: str,
        body: bytes | str,
        *,
        bucket: str | None = None,
        content_type: str = "application/octet-stream",
    ) -> None:
        """Store ``body`` (str is encoded as UTF-8) under ``key``."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        await self._call(
            "put_object", Bucket=bucket or self.bucket, Key=key, Body=data, ContentType=content_type
        )

    async def ping(self) -> None:
        """HEAD the bucket, raising DependencyUnavailable when the store or bucket is gone."""
        await self._call("head_bucket", Bucket=self.bucket)

    def close(self) -> None:
        """Release the client's HTTP connections."""
        self._client.close()
