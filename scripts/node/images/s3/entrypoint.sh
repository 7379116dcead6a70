#!/bin/sh
# SeaweedFS serving S3 on :9000 with one identity (S3_ACCESS_KEY / S3_SECRET_KEY); data in $1.
set -eu
: "${S3_ACCESS_KEY:?S3_ACCESS_KEY is not set}" "${S3_SECRET_KEY:?S3_SECRET_KEY is not set}"
data="${1:-/data}"
mkdir -p "$data/store" "$data/logs"
umask 077
printf '{"identities": [{"name": "sandbox", "credentials": [{"accessKey": "%s", "secretKey": "%s"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}\n' \
  "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$data/identities.json"
exec weed -logdir="$data/logs" mini -dir="$data/store" -ip=127.0.0.1 -ip.bind=0.0.0.0 -s3.port=9000 \
  -s3.port.iceberg=0 -s3.port.lance=0 -admin.ui=false -webdav=false -master.telemetry=false \
  -s3.config="$data/identities.json"
