#!/usr/bin/env bash
# End-to-end suite: requests signed by awsig, checked by two servers that
# verify Signature Version 4 on their own.
#
#   s3s-fs  an S3-compatible file server (header and presigned signatures,
#           body hashes, expiry, clock skew, aws-chunked uploads)
#   moto    a mock of IAM, STS, SQS, DynamoDB and S3 with its IAM checks on
#   a Prometheus remote_write receiver (tests/e2e/servers.py, in moto's
#           process, to read the session credentials moto's STS issued),
#           checking SigV4 for `aps` with botocore; the remote_write
#           example runs against it
#
# Installs what is missing, starts both on 127.0.0.1 with a temporary data
# directory, runs examples/e2e/main.rs against them and stops them by PID, however
# the run ends. The last line printed is `N passed, M failed`.
#
# Usage: bash tests/e2e/run.sh

# shellcheck disable=SC2317 # stop and cleanup are called from traps
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="$HOME/.cargo/bin:$PATH"

S3S_FS_VERSION=0.14.1
MOTO_VERSION=5.2.1
# moto lets this many actions through before it checks signatures; the
# suite spends them creating its users, keys and role. It must equal
# MOTO_SETUP_ACTIONS in examples/e2e/main.rs.
MOTO_SETUP_ACTIONS=7
READY_SECONDS=60
CHECKS_SECONDS=300

log() { echo "e2e: $*" >&2; }

# --- Install what is missing -------------------------------------------------

if ! command -v s3s-fs >/dev/null 2>&1; then
    log "installing s3s-fs $S3S_FS_VERSION"
    timeout 2400 cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked
fi
if ! python3 -c 'import moto.server' >/dev/null 2>&1; then
    log "installing moto[server] $MOTO_VERSION"
    timeout 900 python3 -m pip install --quiet "moto[server]==$MOTO_VERSION"
fi

# Build before any server starts, so no server waits on the compiler.
timeout 1800 cargo build --quiet --example e2e --features chunked,tower,reqwest-middleware
timeout 1800 cargo build --quiet --example remote_write --features tower,reqwest-middleware

# --- Start the servers -------------------------------------------------------

workdir=$(mktemp -d "${TMPDIR:-/tmp}/awsig-e2e.XXXXXX")
s3s_pid=""
moto_pid=""
checks_pid=""

stop() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "PID $pid ignored SIGTERM for 5s: SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop "$checks_pid"
    stop "$s3s_pid"
    stop "$moto_pid"
    if [ "$status" -ne 0 ]; then
        for f in "$workdir"/*.log; do
            [ -f "$f" ] || continue
            log "last lines of $(basename "$f"):"
            tail -n 30 "$f" >&2 || true
        done
    fi
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Two free ports, chosen by the kernel.
ports=$(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
EOF
)
read -r s3_port moto_port receiver_port <<<"$ports"

access_key="AKIAE2E$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
secret_key="$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')"

mkdir -p "$workdir/s3-data"
s3s-fs --host 127.0.0.1 --port "$s3_port" \
    --access-key "$access_key" --secret-key "$secret_key" \
    "$workdir/s3-data" >"$workdir/s3s-fs.log" 2>&1 &
s3s_pid=$!

INITIAL_NO_AUTH_ACTION_COUNT=$MOTO_SETUP_ACTIONS \
    python3 tests/e2e/servers.py "$moto_port" "$receiver_port" >"$workdir/moto.log" 2>&1 &
moto_pid=$!

# Waits until a URL answers anything over HTTP (an error status included),
# while its server is still alive.
wait_ready() {
    local name=$1 pid=$2 url=$3
    local deadline=$((SECONDS + READY_SECONDS))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited before it was ready"
            return 1
        fi
        if python3 - "$url" <<'EOF' 2>/dev/null; then
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
EOF
            return 0
        fi
        sleep 0.2
    done
    log "$name was not ready after ${READY_SECONDS}s"
    return 1
}

wait_ready s3s-fs "$s3s_pid" "http://127.0.0.1:$s3_port/"
# The moto API is not an AWS action: it spends none of the setup budget.
wait_ready moto "$moto_pid" "http://127.0.0.1:$moto_port/moto-api/data.json"
wait_ready receiver "$moto_pid" "http://127.0.0.1:$receiver_port/stats"

# --- Run the checks ----------------------------------------------------------

# In the background and waited for, so that a signal to this script runs
# the cleanup at once instead of after the checks.
AWSIG_E2E_S3_ENDPOINT="http://127.0.0.1:$s3_port" \
AWSIG_E2E_S3_ACCESS_KEY="$access_key" \
AWSIG_E2E_S3_SECRET_KEY="$secret_key" \
AWSIG_E2E_MOTO_ENDPOINT="http://127.0.0.1:$moto_port" \
AWSIG_E2E_RECEIVER_ENDPOINT="http://127.0.0.1:$receiver_port" \
    timeout --kill-after=10 "$CHECKS_SECONDS" cargo run --quiet --example e2e \
        --features chunked,tower,reqwest-middleware &
checks_pid=$!
status=0
wait "$checks_pid" || status=$?
checks_pid=""
if [ "$status" -eq 124 ]; then
    log "the checks did not finish within ${CHECKS_SECONDS}s"
fi
exit "$status"
