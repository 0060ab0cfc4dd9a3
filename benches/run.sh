#!/usr/bin/env bash
# Whole-command figures on 10,000 installations, each beside its target and
# the sqlite3 baseline measured in the same run. Not part of `cargo test`.
#
#   bash benches/run.sh            # N=10000 by default; N=2000 bash benches/run.sh for a quick look
#
# Needs hyperfine and the sqlite3 shell (installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
RUNS=${RUNS:-20}
for tool in hyperfine sqlite3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
    fi
done

cargo build --release -q
RACI=${CARGO_TARGET_DIR:-$PWD/target}/release/raci
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DB=$WORK/raci.db
export RACI_DB=$DB RACI_NOW=2026-11-27T09:00:00Z
unset RACI_AS

seconds() { # mean seconds of one command, from hyperfine's JSON export
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["'"${2:-mean}"'"])' "$1"
}
row() { printf '%-58s %12s   %s\n' "$1" "$2" "$3"; }
ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }
ms() { python3 -c "print(f'{$1*1000:.1f} ms')"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "sqlite3 shell: $(sqlite3 --version | cut -d' ' -f1); raci: $($RACI --version)"
echo

start=$(date +%s.%N)
"$RACI" demo --installations "$N" >/dev/null
demo_s=$(python3 -c "print($(date +%s.%N) - $start)")
largest=$(sqlite3 "$DB" "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'" |
    while read -r t; do echo "$(sqlite3 "$DB" "SELECT count(*) FROM \"$t\"") $t"; done | sort -n | tail -1)
largest_table=${largest#* }
echo "dataset: $N installations, $(du -h "$DB" | cut -f1); largest table: $largest_table (${largest% *} rows)"
echo

hyperfine -N -w 2 -r "$RUNS" --export-json "$WORK/sqlite-json.json" \
    "sqlite3 -json $DB 'select * from $largest_table'" >/dev/null 2>&1
hyperfine -N -w 2 -r "$RUNS" --export-json "$WORK/outstanding.json" \
    "$RACI --db $DB report outstanding --party subscriber --format json" >/dev/null 2>&1
hyperfine -N -w 5 -r $((RUNS * 5)) --export-json "$WORK/select1.json" \
    "sqlite3 $DB 'select 1'" >/dev/null 2>&1
hyperfine -N -w 5 -r $((RUNS * 5)) --export-json "$WORK/status.json" \
    "$RACI --db $DB status acme-00009 --format json" >/dev/null 2>&1
# One sign-off per run: each run is prepared by a reopen and a submit.
hyperfine -N -w 3 -r $((RUNS * 3)) --export-json "$WORK/signoff.json" \
    --prepare "sh -c '$RACI --db $DB task reopen acme-00017 integration --reason bench --as acme.dev >/dev/null && $RACI --db $DB task submit acme-00017 integration --as acme.dev >/dev/null'" \
    "$RACI --db $DB task signoff acme-00017 integration --as acme.dev" >/dev/null 2>&1
rss_kb=$(/usr/bin/time -f %M "$RACI" --db "$DB" report outstanding --party subscriber --format json 2>&1 >/dev/null | tail -1)

base_json=$(seconds "$WORK/sqlite-json.json")
out=$(seconds "$WORK/outstanding.json")
base_open=$(seconds "$WORK/select1.json")
status=$(seconds "$WORK/status.json")
signoff=$(seconds "$WORK/signoff.json" median)

printf '%-58s %12s   %s\n' "figure" "measured" "target"
row "sqlite3 -json DB 'select * from $largest_table' (baseline)" "$(ms "$base_json")" ""
row "report outstanding --party subscriber --format json" "$(ms "$out")" "<= 1.5x baseline: $(ratio "$out" "$base_json")"
row "sqlite3 DB 'select 1' (baseline)" "$(ms "$base_open")" ""
row "status ID --format json" "$(ms "$status")" "<= 2x baseline: $(ratio "$status" "$base_open")"
row "task signoff, median incl. process start" "$(ms "$signoff")" "< 10 ms"
row "peak RSS of report outstanding" "$((rss_kb / 1024)) MB" "<= 64 MB"
row "demo --installations $N" "$(python3 -c "print(f'{$demo_s:.1f} s')")" "<= 30 s"
