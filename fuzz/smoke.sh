#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails on any crash, leak,
# timeout or failed check.
#
#   bash fuzz/smoke.sh              # 30 s per target
#   MAX_TIME=600 bash fuzz/smoke.sh # 10 min per target
#   bash fuzz/smoke.sh sign presign # only these targets
#
# The seed corpus in fuzz/corpus/<target>/ is read but never written: new
# inputs go to a scratch directory that is removed afterwards. A crashing
# input is kept in fuzz/artifacts/<target>/.
set -euo pipefail

cd "$(dirname "$0")"
MAX_TIME="${MAX_TIME:-30}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

failed=()
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target" "corpus/$target"
    echo "== $target: ${MAX_TIME}s"
    if cargo +nightly fuzz run "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$MAX_TIME" -timeout=10 -print_final_stats=1 \
        >"$scratch/$target.log" 2>&1; then
        grep -E '^(Done|#[0-9]+.*DONE|stat::number_of_executed_units)' "$scratch/$target.log" || true
    else
        tail -n 40 "$scratch/$target.log"
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz smoke test FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz smoke test passed: ${targets[*]}"
