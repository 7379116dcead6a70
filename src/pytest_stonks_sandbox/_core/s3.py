"""A boto3 S3 client for the sandbox object store, whichever backend serves it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

S3_REGION = "us-east-1"


def s3_client(endpoint: str, access_key: str, secret_key: str, region: str = S3_REGION) -> S3Client:
    """Path-style addressing, the sandbox's region, few retries (errors should surface fast)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )
