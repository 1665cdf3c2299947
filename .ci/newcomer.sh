#!/usr/bin/env bash
# The newcomer check: clone the repository into a temporary directory and
# run the two commands at the top of README.md exactly as written there:
# the first line of the first `sh` block under "## The two commands" (the
# `awsig` example, signing with the example keys given on the line) and the
# whole `sh` block after it (the tests). The commands are read from the
# README, so the README and this check cannot drift apart.
#
# Usage: bash .ci/newcomer.sh [REPOSITORY]   (default: this checkout)
set -euo pipefail

repo=${1:-$(cd "$(dirname "$0")/.." && pwd)}
readme="$repo/README.md"

# The `sh` blocks of the "## The two commands" section, one command per
# line, blocks separated by a line holding only "--".
blocks=$(awk '
    /^## / { in_section = ($0 == "## The two commands") }
    in_section && /^```sh$/ { in_block = 1; next }
    in_section && in_block && /^```$/ { in_block = 0; print "--"; next }
    in_section && in_block { print }
' "$readme")
sign_command=$(printf '%s\n' "$blocks" | awk 'NR == 1')
test_command=$(printf '%s\n' "$blocks" | awk '/^--$/ { n++; next } n == 1')

if [ -z "$sign_command" ] || [ -z "$test_command" ]; then
    echo "newcomer: README.md has no \"## The two commands\" section with two sh blocks" >&2
    exit 1
fi
case "$sign_command" in
    *"cargo run --example awsig"*) ;;
    *) echo "newcomer: the first command does not run the awsig example: $sign_command" >&2; exit 1 ;;
esac

workdir=$(mktemp -d "${TMPDIR:-/tmp}/awsig-newcomer.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
git clone --quiet "$repo" "$workdir/awsig"
cd "$workdir/awsig"
# Nothing from this machine's AWS setup may help or hurt: no credentials,
# profiles or region in the environment.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
    AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION
export AWS_CONFIG_FILE="$workdir/no-config" AWS_SHARED_CREDENTIALS_FILE="$workdir/no-credentials"

echo "newcomer: \$ $sign_command"
output=$(bash -c "$sign_command")
printf '%s\n' "$output"
if ! printf '%s\n' "$output" | grep -q '^Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/'; then
    echo "newcomer: the first command did not print a signed request" >&2
    exit 1
fi

echo "newcomer: \$ $test_command"
bash -c "$test_command"
echo "newcomer: both README commands passed in a fresh clone"
