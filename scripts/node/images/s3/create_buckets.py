#!/usr/bin/env python3
"""Create every bucket of $BUCKETS (space separated) on $S3_ENDPOINT, retrying until it answers.

Requests go through the plugin's own S3 client (s3write.py beside this file, standard library
only): importing an SDK would cost the Job's pod a second of CPU before its first request.
"""

import http.client
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from s3write import S3Writer

RETRY_S = 0.05
DEADLINE_S = 120


def main() -> int:
    """Every bucket at once: each new bucket's first write waits for a volume of its own."""
    store = S3Writer(
        os.environ.get("S3_ENDPOINT", "http://s3:9000"),
        os.environ["S3_ACCESS_KEY"],
        os.environ["S3_SECRET_KEY"],
        os.environ.get("S3_REGION", "us-east-1"),
    )
    deadline = time.monotonic() + DEADLINE_S
    buckets = os.environ.get("BUCKETS", "").split()
    with ThreadPoolExecutor(max_workers=max(len(buckets), 1)) as pool:
        ready = list(pool.map(lambda bucket: create(store, bucket, deadline), buckets))
    return 0 if all(ready) else 1


def create(store: S3Writer, bucket: str, deadline: float) -> bool:
    """Make one bucket ready for data, retrying while the store starts."""
    while True:
        try:
            store.make_ready(bucket)
            print(f"bucket {bucket} ready", flush=True)
            return True
        except (OSError, http.client.HTTPException) as exc:  # the store may be starting
            if time.monotonic() > deadline:
                print(f"bucket {bucket}: {exc}", file=sys.stderr, flush=True)
                return False
            time.sleep(RETRY_S)


if __name__ == "__main__":
    sys.exit(main())
