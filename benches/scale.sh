#!/usr/bin/env bash
# Issue 13's figures at 10,000 and 100,000 installations, each beside its
# target: every command's peak resident memory in every format, the ratios of
# `db check` and `report outstanding` to a full scan of the event table by the
# sqlite3 shell (measured in the same run), the HTML site's largest page, and
# the time `demo` takes to build the database. Not part of `cargo test`.
#
#   bash benches/scale.sh                # both sizes: about 10 minutes, 1.5 GB of disk
#   N=10000 bash benches/scale.sh        # one size
#   N="2000 10000" bash benches/scale.sh
#
# Every command runs once (the baseline and the two ratios three times, the
# median kept) under `timeout 300`; a command that times out or fails says so
# in its row. Needs the sqlite3 shell (installed with apt-get if missing) and
# GNU time at /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${N:-10000 100000}
LIMIT=${LIMIT:-300}
if ! command -v sqlite3 >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null
fi
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 1; }

cargo build --release -q
RACI=${CARGO_TARGET_DIR:-$PWD/target}/release/raci
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export RACI_NOW=2026-11-27T09:00:00Z
unset RACI_AS RACI_DB

# measure NAME CMD...: runs CMD once under the time limit, stdout to
# /dev/null; sets SECONDS_ and KB_ (empty with STATUS_ when it failed).
measure() {
    local out=$WORK/time.txt
    STATUS_=ok
    if ! /usr/bin/time -o "$out" -f '%e %M' timeout "$LIMIT" "$@" >/dev/null 2>"$WORK/stderr.txt"; then
        STATUS_="failed: $(grep -v '^Command' "$WORK/stderr.txt" | head -1 | cut -c1-60)"
        grep -q 'Command terminated by signal\|status 124' "$out" && STATUS_="timed out after ${LIMIT} s"
    fi
    read -r SECONDS_ KB_ < <(tail -1 "$out")
}
# median3 CMD...: the median time of three runs (KB_ from the last).
median3() {
    local a b c
    measure "$@"; a=$SECONDS_
    measure "$@"; b=$SECONDS_
    measure "$@"; c=$SECONDS_
    SECONDS_=$(printf '%s\n' "$a" "$b" "$c" | sort -g | sed -n 2p)
}
# demo_sampled N: builds the demo database like `measure`, and also samples
# the process's resident memory twice a second, keeping the samples after
# which the database file still grew, so BUILD_KB_ is the build's own peak (the whole run's peak includes
# printing the outstanding report, which the table and JSON writers own).
demo_sampled() {
    local out=$WORK/time.txt rss size last=-1 prev=0 child pid
    BUILD_KB_=0 STATUS_=ok
    /usr/bin/time -o "$out" -f '%e %M' timeout "$LIMIT" \
        "$RACI" --db "$DB" demo --installations "$1" --format json >/dev/null 2>"$WORK/stderr.txt" &
    local timer=$!
    pid=""
    while kill -0 "$timer" 2>/dev/null; do
        if [ -z "$pid" ]; then
            child=$(pgrep -P "$timer" | head -1 || true)
            [ -n "$child" ] && pid=$(pgrep -P "$child" | head -1 || true)
        fi
        if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
            rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
            size=$(stat -c %s "$DB" "$DB-wal" 2>/dev/null | awk '{s += $1} END {print s + 0}')
            # A sample counts once the file has grown after it: the build
            # was still writing, the report not yet begun.
            if [ "$size" != "$last" ] && [ "${prev:-0}" -gt "$BUILD_KB_" ]; then BUILD_KB_=$prev; fi
            last=$size prev=$rss
        fi
        sleep 0.5
    done
    wait "$timer" || STATUS_="failed or timed out: $(head -1 "$WORK/stderr.txt" | cut -c1-60)"
    read -r SECONDS_ KB_ < <(tail -1 "$out")
}
row() { printf '%-62s %14s   %s\n' "$1" "$2" "$3"; }
mb() { python3 -c "print(f'{$1/1024:.1f} MB')"; }
secs() { python3 -c "print(f'{$1:.2f} s')"; }
within() { # within VALUE LIMIT -> "ok" or "MISSES by x%"
    python3 -c "v,l=$1,$2; print('ok' if v<=l else f'MISSES by {(v/l-1)*100:.0f}%')"
}
rss_row() { # rss_row LABEL: the last measure's peak RSS against 64 MB
    if [ "$STATUS_" != ok ]; then row "$1" "-" "$STATUS_"; return; fi
    row "$1" "$(mb "$KB_")" "<= 64 MB: $(within "$KB_" 65536)  ($(secs "$SECONDS_"))"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sqlite3 shell: $(sqlite3 --version | cut -d' ' -f1); raci: $($RACI --version); RACI_NOW=$RACI_NOW; limit ${LIMIT} s per command"

for n in $SIZES; do
    DB=$WORK/raci-$n.db
    echo
    echo "== $n installations =="
    demo_sampled "$n"
    demo_s=$SECONDS_ demo_kb=$KB_ demo_status=$STATUS_ build_kb=$BUILD_KB_
    events=$(sqlite3 "$DB" 'select count(*) from event')
    echo "dataset: $(du -h "$DB" | cut -f1), $events events; load $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-62s %14s   %s\n' "figure" "measured" "target"
    if [ "$demo_status" = ok ]; then
        row "demo --installations $n (build, then the report as JSON)" "$(secs "$demo_s")" \
            "$( [ "$n" -ge 100000 ] && echo "<= 60 s: $(within "$demo_s" 60)" || echo "(60 s at 100k)")"
        row "  its peak RSS while building (sampled every 0.5 s)" "$(mb "$build_kb")" "<= 64 MB: $(within "$build_kb" 65536)"
        row "  its peak RSS, the report printed after included" "$(mb "$demo_kb")" "<= 64 MB: $(within "$demo_kb" 65536)"
    else
        row "demo --installations $n" "-" "$demo_status"
    fi

    median3 sqlite3 -json "$DB" 'select * from event'
    base=$SECONDS_
    row "sqlite3 -json DB 'select * from event' (baseline, median of 3)" "$(secs "$base")" ""
    median3 "$RACI" --db "$DB" db check
    check=$SECONDS_
    row "db check (median of 3)" "$(secs "$check")" \
        "<= 1.5x baseline: $(python3 -c "print(f'{$check/$base:.2f}x')") $(within "$check" "1.5*$base")"
    rss_row "  db check peak RSS"
    median3 "$RACI" --db "$DB" report outstanding --format json
    out=$SECONDS_
    row "report outstanding --format json (median of 3)" "$(secs "$out")" \
        "<= 0.3x baseline: $(python3 -c "print(f'{$out/$base:.2f}x')") $(within "$out" "0.3*$base")"

    echo "peak RSS, each command once:"
    for format in table json csv; do
        measure "$RACI" --db "$DB" status acme-00009 --format "$format"; rss_row "status acme-00009 --format $format"
        measure "$RACI" --db "$DB" log acme-00009 --format "$format"; rss_row "log acme-00009 --format $format"
        measure "$RACI" --db "$DB" inbox --as ada.cse --format "$format"; rss_row "inbox --as ada.cse --format $format"
        for report in outstanding overdue stale-backups clocks; do
            measure "$RACI" --db "$DB" report "$report" --format "$format"
            rss_row "report $report --format $format"
        done
    done
    site=$WORK/site-$n
    measure "$RACI" --db "$DB" report html --output "$site/"
    rss_row "report html --output DIR/"
    if [ -d "$site" ]; then
        largest=$(find "$site" -name '*.html' -printf '%s %f\n' | sort -n | tail -1)
        row "  largest of its $(find "$site" -name '*.html' | wc -l) pages (${largest#* })" \
            "$(python3 -c "print(f'{${largest% *}/1048576:.2f} MB')")" \
            "< 2 MB: $(within "${largest% *}" 2097152)"
        rm -rf "$site"
    fi
    rm -f "$DB" "$DB-wal" "$DB-shm"
done
