#!/usr/bin/env bash
# What signing costs: a local write with and without `--sign-with` (the
# signed one drafts the step, runs ssh-keygen, then writes), and `db check`
# on the same database before any signed step (no signature pass) and after
# SIGNED more (one more pass over the events in order; each signature
# verified again, each statement derived again). Not part of
# `cargo test`.
#
#   bash benches/signing.sh                  # 2,000 installations, 400 signed steps
#   N=500 SIGNED=100 bash benches/signing.sh # a quick look
#
# Needs ssh-keygen (openssh-client). Every command is bounded by `timeout`.
# The figures go to stdout and to benches/results-signing.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-2000}
SIGNED=${SIGNED:-400}
RUNS=${RUNS:-30}
OUT=benches/results-signing.txt
command -v ssh-keygen >/dev/null || { echo "signing.sh: needs ssh-keygen (apt-get install openssh-client)" >&2; exit 1; }

cargo build --release -q
RACI=${CARGO_TARGET_DIR:-$PWD/target}/release/raci
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export RACI_DB=$WORK/raci.db RACI_NOW=2026-11-27T09:00:00Z
unset RACI_AS RACI_SERVER RACI_TOKEN RACI_SIGN_WITH

exec > >(tee "$OUT") 2>&1
row() { printf '%-56s %12s   %s\n' "$1" "$2" "$3"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raci: $($RACI --version); $(ssh -V 2>&1); RACI_NOW=$RACI_NOW"
timeout 300 "$RACI" demo --installations "$N" --format json >/dev/null
ssh-keygen -q -t ed25519 -N '' -C bench -f "$WORK/key"
"$RACI" person key add ada.cse "$(cat "$WORK/key.pub")" --as ada.cse >/dev/null
INST=$("$RACI" installation list --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
echo "dataset: $N installations, $(du -h "$RACI_DB" | cut -f1), $(python3 -c "import sqlite3; print(sqlite3.connect('$RACI_DB').execute('select count(*) from event').fetchone()[0])") events; one ed25519 key of ada.cse; comments on $INST"

# Median wall time of RUNS runs of a command, in milliseconds.
median_ms() {
    python3 - "$RUNS" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=60)
    times.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(times):.1f}")
PY
}

check_ms() { RUNS=3 median_ms "$RACI" db check; }
# Before any signed step: db check skips its signature pass.
before=$(check_ms)
events_before=$(python3 -c "import sqlite3; print(sqlite3.connect('$RACI_DB').execute('select count(*) from event').fetchone()[0])")

unsigned=$(median_ms "$RACI" task comment "$INST" deployment "an unsigned comment" --as ada.cse)
signed=$(median_ms "$RACI" task comment "$INST" deployment "a signed comment" --as ada.cse --sign-with "$WORK/key")
keygen=$(median_ms ssh-keygen -q -Y sign -n raci-step@v1 -f "$WORK/key" "$WORK/key.pub")
rm -f "$WORK/key.pub.sig"
row "task comment, unsigned (median of $RUNS)" "${unsigned} ms" ""
row "task comment --sign-with, ed25519 file (median)" "${signed} ms" "draft + ssh-keygen + write"
row "  of which ssh-keygen -Y sign alone (median)" "${keygen} ms" ""

# SIGNED more signed steps, spread over installations.
"$RACI" installation list --format json |
    python3 -c 'import json,sys; [print(r["id"]) for r in json.load(sys.stdin)[:int(sys.argv[1])]]' "$SIGNED" >"$WORK/ids"
while read -r id; do
    timeout 30 "$RACI" task comment "$id" deployment "signed" --as ada.cse --sign-with "$WORK/key" >/dev/null
done <"$WORK/ids"
after=$(check_ms)
signed_now=$(python3 -c "import sqlite3; print(sqlite3.connect('$RACI_DB').execute('select count(*) from event where signature is not null').fetchone()[0])")
row "db check, $events_before events, none signed (median of 3)" "${before} ms" "no signature pass"
events_after=$(python3 -c "import sqlite3; print(sqlite3.connect('$RACI_DB').execute('select count(*) from event').fetchone()[0])")
row "db check, $events_after events, $signed_now signed (median of 3)" "${after} ms" \
    "$(python3 -c "print(f'+{$after - $before:.0f} ms: one more pass over the events, each signature verified')")"
timeout 120 "$RACI" db check >/dev/null && row "db check after the runs" "sound" ""
