#!/usr/bin/env python3
"""Create every bucket of $BUCKETS (space separated) on $S3_ENDPOINT, retrying until it answers."""

import os
import sys
import time

import boto3
from botocore.config import Config


def main() -> int:
    client = boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT", "http://s3:9000"),
        aws_access_key_id=os.environ["S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["S3_SECRET_KEY"],
        region_name=os.environ.get("S3_REGION", "us-east-1"),
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    deadline = time.monotonic() + 120
    for bucket in os.environ.get("BUCKETS", "").split():
        while True:
            try:
                existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
                if bucket not in existing:
                    client.create_bucket(Bucket=bucket)
                client.put_object(Bucket=bucket, Key=".probe", Body=b"probe")
                client.delete_object(Bucket=bucket, Key=".probe")
                print(f"bucket {bucket} ready", flush=True)
                break
            except Exception as exc:  # the store may still be starting
                if time.monotonic() > deadline:
                    print(f"bucket {bucket}: {exc}", file=sys.stderr)
                    return 1
                time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
