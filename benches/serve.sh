#!/usr/bin/env bash
# The server's figures on 10,000 installations, each beside its target:
# authenticated status reads against `GET /api/v1/health` in the same run,
# writes against the sqlite3 shell committing single-row transactions to a
# copy of the same file with the same `synchronous`, both runs' p99 latency,
# that every acknowledged write is in the ledger, and the server's peak RSS.
# Load comes from wrk on the same machine, over loopback. Not part of
# `cargo test`.
#
#   bash benches/serve.sh                    # 10 s per run, about 1.5 minutes in all
#   DURATION=30s bash benches/serve.sh       # longer runs
#   N=2000 DURATION=3s bash benches/serve.sh # a quick look (the targets are for 10,000)
#
# KEEP=1 keeps the scratch directory (database, wrk output, server log).
# Needs wrk and the sqlite3 shell (installed with apt-get if missing). Every
# run is bounded: wrk by -d, the rest by `timeout`. The figures go to stdout
# and to benches/results-serve.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
BASELINE_TX=${BASELINE_TX:-5000}
OUT=benches/results-serve.txt
for tool in wrk sqlite3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
    fi
done

cargo build --release -q
RACI=${CARGO_TARGET_DIR:-$PWD/target}/release/raci
WORK=$(mktemp -d)
SERVER=
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
DB=$WORK/raci.db
export RACI_NOW=2026-11-27T09:00:00Z
unset RACI_AS RACI_DB RACI_SERVER RACI_TOKEN RUST_LOG

exec > >(tee "$OUT") 2>&1

row() { printf '%-58s %14s   %s\n' "$1" "$2" "$3"; }
verdict() { python3 -c "print('PASS' if $1 else 'MISS')"; }
# wrk's figures: requests/s, the 99% latency in ms, non-2xx answers, socket errors.
rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
p99_ms() {
    awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        m = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1;
        printf "%.2f\n", v * m}' "$1"
}
non2xx() { awk '/Non-2xx or 3xx responses:/ {print $5}' "$1" | grep . || echo 0; }
errors() { grep -o 'Socket errors:.*' "$1" || echo "none"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raci: $($RACI --version); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); sqlite3 shell $(sqlite3 --version | cut -d' ' -f1); RACI_NOW=$RACI_NOW"
echo "each wrk run: $THREADS threads, $DURATION, loopback; the server: raci serve on 127.0.0.1, its default log (one JSON line per request on stderr, to a file)"

timeout 300 "$RACI" --db "$DB" demo --installations "$N" --format json >/dev/null
sqlite3 "$DB" 'SELECT id FROM installation WHERE NOT retired ORDER BY id' >"$WORK/ids.txt"
TOKEN=$("$RACI" --db "$DB" token create --as ada.cse --name bench --format json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
# The sign-off cycle (submit, signoff, reopen) runs on the deployments the
# vendor has in progress; their checklist is checked first, as a person would.
sqlite3 "$DB" "SELECT installation_id FROM task WHERE task_key = 'deployment' AND state = 'in_progress' ORDER BY 1" >"$WORK/cycle.txt"
while read -r id; do
    timeout 30 "$RACI" --db "$DB" checklist check "$id" deployment --all --as ada.cse >/dev/null
done <"$WORK/cycle.txt"
echo "dataset: $N installations ($(wc -l <"$WORK/ids.txt") read and commented on, $(wc -l <"$WORK/cycle.txt") in the sign-off cycle), $(du -h "$DB" | cut -f1), $(sqlite3 "$DB" 'SELECT count(*) FROM event') events; one token of ada.cse (vendor customer-success-engineer)"

# The baseline: the sqlite3 shell, one process, BASELINE_TX single-row
# IMMEDIATE transactions into a scratch table of a copy of the database, in
# WAL mode with raci's synchronous setting (which the server logs as it starts).
timeout 60 sqlite3 "$DB" ".backup $WORK/baseline.db"
"$RACI" serve --listen 127.0.0.1:0 --db "$DB" >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 100); do grep -q '^raci serving on' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n '1s/^raci serving on //p' "$WORK/serve.out")
[ -n "$URL" ] || { echo "the server did not start:"; cat "$WORK/serve.log"; exit 1; }
logged() { grep -o "\"$1\":\"[^\"]*\"" "$WORK/serve.log" | head -1 | cut -d'"' -f4 || true; }
# The server logs its connection's settings as it opens the database; the
# baseline uses the same synchronous (FULL, SQLite's default, if not logged).
server_sync=$(logged synchronous)
journal=$(logged journal_mode)
sync_setting=${server_sync:-FULL}

python3 - "$BASELINE_TX" "$sync_setting" >"$WORK/baseline.sql" <<'EOF'
import sys
n, sync = int(sys.argv[1]), sys.argv[2]
print("PRAGMA journal_mode = WAL;")
print(f"PRAGMA synchronous = {sync};")
print("CREATE TABLE IF NOT EXISTS bench_scratch (id INTEGER PRIMARY KEY, at TEXT NOT NULL, note TEXT NOT NULL);")
for i in range(n):
    print("BEGIN IMMEDIATE; INSERT INTO bench_scratch (at, note) VALUES "
          f"('2026-11-27T09:00:00Z', 'bench comment {i:06d}, about as long as an event''s note'); COMMIT;")
EOF
# baseline: the shell's commits per second, into the copy (which keeps growing).
baseline() {
    local start
    start=$(date +%s.%N)
    timeout 120 sqlite3 "$WORK/baseline.db" <"$WORK/baseline.sql" >/dev/null
    python3 -c "print(f'{$BASELINE_TX / ($(date +%s.%N) - $start):.0f}')"
}

cat >"$WORK/read.lua" <<'EOF'
-- GET /api/v1/installations/{id} with a bearer token, each thread walking the
-- installations from its own starting place.
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
local ids, token, i = {}, nil, 0
function init(args)
  token = args[1]
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  i = math.floor(#ids * (tid - 1) / tonumber(args[3]))
end
function request()
  i = i % #ids + 1
  return wrk.format("GET", "/api/v1/installations/" .. ids[i],
    {["Authorization"] = "Bearer " .. token})
end
EOF
cat >"$WORK/write.lua" <<'EOF'
-- Every other request a comment on one of six tasks, walking the
-- installations; the rest one step of the deployment's sign-off cycle
-- (submit, signoff, reopen) on the next of this thread's share of the cycle
-- installations, the step chosen by the state the last acknowledged answer
-- for that installation left (wrk can drop a request it made, so a fixed
-- order could fall out of step). A 2xx answer's event IDs are written to
-- acked-THREAD.txt, any other answer to rejected-THREAD.txt; done() prints
-- the totals.
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
local ids, cycle, state, token, k, c, out, dir, rejected = {}, {}, {}, nil, 0, 0, nil, nil, nil
acked = 0 -- a global, so that done() can read it with thread:get
local tasks = {"infrastructure", "deployment", "configuration", "handover", "monitoring", "backup"}
local next_step = {
  in_progress = {"submit", '{"note":"bench"}'},
  submitted = {"signoff", '{"note":"bench"}'},
  signed_off = {"reopen", '{"reason":"bench"}'},
}
function init(args)
  token = args[1]
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  local n, i = tonumber(args[4]), 0
  for line in io.lines(args[3]) do
    if i % n == tid - 1 then
      cycle[#cycle + 1] = line
      state[line] = "in_progress"
    end
    i = i + 1
  end
  k = math.floor(#ids * (tid - 1) / n)
  dir = args[5]
  out = io.open(dir .. "/acked-" .. tid .. ".txt", "w")
end
local headers = nil
function request()
  headers = headers or {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  k = k + 1
  if k % 2 == 0 or #cycle == 0 then
    return wrk.format("POST", "/api/v1/installations/" .. ids[k % #ids + 1] .. "/tasks/"
      .. tasks[k % #tasks + 1] .. "/comment", headers, '{"text":"bench comment ' .. k .. '"}')
  end
  c = c % #cycle + 1
  local id = cycle[c]
  local step = next_step[state[id]]
  return wrk.format("POST", "/api/v1/installations/" .. id .. "/tasks/deployment/" .. step[1],
    headers, step[2])
end
function response(status, headers, body)
  if status >= 200 and status < 300 then
    acked = acked + 1
    for id in body:gmatch('"id":(%d+)') do out:write(id, "\n") end
    for id, to in body:gmatch('"installation":"([^"]+)"[^}]-"to":"([^"]+)"') do
      if state[id] then state[id] = to end
    end
    out:flush()
  else
    rejected = rejected or io.open(dir .. "/rejected-" .. tid .. ".txt", "w")
    rejected:write(status, " ", body:sub(1, 300), "\n")
    rejected:flush()
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("acked") end
  io.write(string.format("acked_requests %d\nduration_us %d\n", total, summary.duration))
end
EOF

# A run of wrk under a bound: DURATION plus a margin.
bound=$(( ${DURATION%s} + 30 ))
run_wrk() { timeout "$bound" wrk --latency -t"$THREADS" "$@"; }

run_wrk -c64 -d"$DURATION" "$URL/api/v1/health" >"$WORK/health.txt"
run_wrk -c64 -d"$DURATION" -s "$WORK/read.lua" "$URL" -- "$TOKEN" "$WORK/ids.txt" "$THREADS" >"$WORK/read.txt"
# The fsync-bound baseline moves with the machine's other work: it is taken
# right before and right after the writes, and the higher of the two counts.
base_before=$(baseline)
events_before=$(sqlite3 "$DB" 'SELECT count(*) FROM event')
run_wrk -c32 -d"$DURATION" -s "$WORK/write.lua" "$URL" -- "$TOKEN" "$WORK/ids.txt" "$WORK/cycle.txt" "$THREADS" "$WORK" >"$WORK/write.txt"
base_after=$(baseline)
if ! kill -0 "$SERVER" 2>/dev/null; then
    wait "$SERVER" && status=0 || status=$?
    echo "the server stopped during the runs (exit $status); the last of its log:"
    tail -3 "$WORK/serve.log"
    exit 1
fi
shell_sync=$(sqlite3 "$WORK/baseline.db" 'PRAGMA synchronous')
base_rate=$((base_before > base_after ? base_before : base_after))
hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER/status")
threads_n=$(awk '/^Threads/ {print $2}' "/proc/$SERVER/status")
# SIGTERM: the server finishes what is in flight and exits 0.
kill -TERM "$SERVER"
for _ in $(seq 300); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVER" 2>/dev/null; then
    echo "the server did not stop within 30 s of SIGTERM; killed"
    kill -KILL "$SERVER"
fi
wait "$SERVER" && server_exit=0 || server_exit=$?
SERVER=
events_after=$(sqlite3 "$DB" 'SELECT count(*) FROM event')
check=$(timeout 120 "$RACI" --db "$DB" db check --format json 2>&1 |
    python3 -c 'import json, sys; c = json.load(sys.stdin)[0]; print("sound" if c["sound"] else "unsound: " + str(c["problem"]))' || echo "failed")

cat "$WORK"/acked-*.txt | sort -u >"$WORK/acked.txt"
acked_events=$(wc -l <"$WORK/acked.txt")
acked_present=$(
    sqlite3 "$DB" <<EOF
CREATE TEMP TABLE acked (id INTEGER PRIMARY KEY);
.mode csv
.import $WORK/acked.txt acked
SELECT count(*) FROM acked JOIN event USING (id);
EOF
)
acked_requests=$(awk '/^acked_requests/ {print $2}' "$WORK/write.txt")
duration_us=$(awk '/^duration_us/ {print $2}' "$WORK/write.txt")
write_rate=$(python3 -c "print(f'{$acked_requests / ($duration_us / 1e6):.0f}')")
new_events=$((events_after - events_before))

health=$(rps "$WORK/health.txt")
reads=$(rps "$WORK/read.txt")
read_p99=$(p99_ms "$WORK/read.txt")
write_p99=$(p99_ms "$WORK/write.txt")
echo
echo "sqlite3 shell: $BASELINE_TX single-row transactions (BEGIN IMMEDIATE; INSERT; COMMIT) each before and after the writes: ${base_before}/s, ${base_after}/s; journal_mode WAL, synchronous $shell_sync (the server's: journal_mode ${journal:-?}, synchronous ${server_sync:-?})"
echo
printf '%-58s %14s   %s\n' "figure" "measured" "target"
row "GET /api/v1/health, 64 connections (baseline)" "$(printf '%.0f/s' "$health")" "p99 $(p99_ms "$WORK/health.txt") ms"
row "GET /api/v1/installations/{id}, 64 connections" "$(printf '%.0f/s' "$reads")" \
    ">= 30% of health: $(python3 -c "print(f'{$reads / $health * 100:.0f}%')") $(verdict "$reads >= 0.3 * $health")"
row "  its p99 latency" "$read_p99 ms" "< 25 ms: $(verdict "$read_p99 < 25")"
row "  non-2xx answers; socket errors" "$(non2xx "$WORK/read.txt")" "$(errors "$WORK/read.txt")"
row "sqlite3 shell, single-row transactions (baseline, higher)" "${base_rate}/s" ""
row "writes (comment; submit, signoff, reopen), 32 connections" "${write_rate}/s" \
    ">= 40% of sqlite3: $(python3 -c "print(f'{$write_rate / $base_rate * 100:.0f}%')") $(verdict "$write_rate >= 0.4 * $base_rate")"
row "  its p99 latency" "$write_p99 ms" "< 50 ms: $(verdict "$write_p99 < 50")"
row "  non-2xx answers; socket errors" "$(non2xx "$WORK/write.txt")" "$(errors "$WORK/write.txt")"
if ls "$WORK"/rejected-*.txt >/dev/null 2>&1; then
    row "  the first refusal" "" "$(head -qn1 "$WORK"/rejected-*.txt | head -1 | cut -c1-150)"
fi
row "  acknowledged: requests, their events" "$acked_requests, $acked_events" ""
row "  acknowledged events in the ledger" "$acked_present" "all: $(verdict "$acked_present == $acked_events")"
row "  new events in the ledger (answers cut off at the end too)" "$new_events" ">= acknowledged: $(verdict "$new_events >= $acked_events")"
row "  db check after the runs" "$check" "sound: $(verdict "'$check' == 'sound'")"
row "peak RSS of the server over all three runs (VmHWM)" "$(python3 -c "print(f'{$hwm_kb / 1024:.1f} MB')")" \
    "< 128 MB: $(verdict "$hwm_kb < 131072")  ($threads_n threads; exit $server_exit on SIGTERM)"
