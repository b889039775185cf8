#!/usr/bin/env bash
# Warm restart of a full t3.small-sized cache, as the image runs it (scripts/container-run.sh: 2 GiB, 2 CPUs, the
# image's JVM flags, its volume /data as a folder of this run):
#   1. fill: unique 256/256 entries written with wrk until the budget is full (no eviction), TTL 1 h;
#   2. SIGTERM: time to exit (bound: 30 s, Kubernetes' default grace period), the snapshot's size and write rate;
#   3. start again: time to readiness, the load rate, every key written reads back, no OutOfMemoryError and no
#      OOM kill in either direction, peak memory of the cgroup; then the same start with no snapshot, whose time
#      to readiness a warm start may exceed by at most 3 s;
#   4. the disk itself: dd writing (fdatasync) and reading (page cache dropped) 1 GB in the same folder;
#   5. kill -9 with kvcache.snapshot.interval=60s: keys are written in numbered rounds, the process killed about
#      half an interval after a periodic snapshot; after a restart, every key of the rounds written before that
#      snapshot must be back, and only later ones may be lost.
#   scripts/restart-check.sh [--entries N (default: what fills the budget)] [--skip-kill | --only-kill]
# Prints its figures; exits non-zero if a check fails. Takes 5 to 10 minutes; needs root (cgroup), JDK 25, wrk.
set -euo pipefail
cd "$(dirname "$0")/.."

entries="" skip_kill=0 only_kill=0 port=7251
while [[ $# -gt 0 ]]; do
  case "$1" in
    --entries) entries="$2"; shift 2 ;;
    --skip-kill) skip_kill=1; shift ;;
    --only-kill) only_kill=1; shift ;;
    *) echo "restart-check: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[[ -f target/kv-cache.jar ]] || ./mvnw -B -q package -DskipTests

out=target/restart-check
data="$out/data"
rm -rf "$out" && mkdir -p "$data"
base="http://127.0.0.1:$port"
failures=0
say() { echo "restart-check: $*"; }
check() { # description, then the test command
  local what=$1; shift
  if "$@"; then say "ok   $what"; else echo "restart-check: FAIL $what" >&2; failures=$((failures + 1)); fi
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
metric() { curl -fs "$base/actuator/metrics/$1${2:+?tag=$2}" | sed -E 's/.*"value":([0-9.Ee+-]+).*/\1/' | awk '{ printf "%.0f", $1 }'; }

runner="" cgroup="" sampler=""
cleanup() {
  [[ -z "$sampler" ]] || kill "$sampler" 2>/dev/null || true # it may have ended with the JVM
  [[ -z "$runner" ]] || { kill "$runner" 2>/dev/null; wait "$runner" 2>/dev/null; } || true
}
trap cleanup EXIT

# Peak RSS of the JVM, sampled every 0.2 s (the cgroup's own peak counts the page cache of the snapshot file too).
rss_peak() { # pid file
  ( peak=0; while kill -0 "$1" 2>/dev/null; do
      rss=$(awk '/VmRSS/ { print $2 * 1024 }' "/proc/$1/status" 2>/dev/null || echo 0)
      [[ ${rss:-0} -gt $peak ]] && peak=$rss && echo "$peak" > "$2"
      sleep 0.2
    done ) &
  sampler=$!
}
jvm_start_ms() { # pid → the process' start, in ms since the epoch (its age from /proc, in 10 ms ticks)
  local ticks uptime_ms
  ticks=$(awk '{ print $22 }' "/proc/$1/stat")
  uptime_ms=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
  echo $(( $(now_ms) - (uptime_ms - ticks * 1000 / $(getconf CLK_TCK)) ))
}

start() { # log, extra args → sets runner, java_pid, cgroup, ready_ms (from container-run), jvm_ready_ms
  local log=$1; shift
  local started
  started=$(now_ms)
  scripts/container-run.sh --memory 2g --cpus 2 --data "$data" --server.port=$port --kvcache.ttl=1h "$@" > "$log" 2>&1 &
  runner=$!
  for _ in $(seq 1 1200); do
    curl -fs -o /dev/null "$base/actuator/health/readiness" && break
    kill -0 "$runner" 2>/dev/null || { echo "restart-check: the service died on start-up, see $log" >&2; tail "$log" >&2; exit 1; }
    sleep 0.05
  done
  ready_ms=$(( $(now_ms) - started ))
  java_pid=$(pgrep -P "$runner" | head -n 1)
  jvm_ready_ms=$(( started + ready_ms - $(jvm_start_ms "$java_pid") ))
  cgroup=/sys/fs/cgroup/memory/kvcache-$runner
  rss_peak "$java_pid" "$log.rss"
}

stop() { # signal → sets exit_ms, status
  local signal=$1 sent
  sent=$(now_ms)
  oom_kills=$(sed -n 's/^oom_kill //p' "$cgroup/memory.oom_control" 2>/dev/null || echo 0)
  kill "-$signal" "$java_pid"
  set +e
  wait "$runner"
  status=$?
  set -e
  exit_ms=$(( $(now_ms) - sent ))
  runner=""
}

fill() { # mode from to seconds → requests
  FILL_MODE=$1 FILL_FROM=$2 FILL_TO=$3 wrk -t1 -c32 -d"$4"s --timeout 10s -s bench/fill.lua "$base" 2>&1 \
    | sed -n 's/^RESULT //p' | awk '{ print $4, $5 }'
}

if [[ $only_kill -eq 0 ]]; then
# 1. Fill.
start "$out/first.log"
budget=$(metric cache.memory.budget)
# What an entry costs: its bytes in a segment (cache.offheap.used counts the entries the index names) and its
# share of the index (12 bytes), as bench/memory-fill.sh counts it; 90% of the budget fills it without eviction.
curl -fs -o /dev/null -X POST "$base/put" -H 'Content-Type: application/json' \
  -d "{\"key\":\"$(printf 'probe-%0250d' 0)\",\"value\":\"$(printf '%0256d' 0)\"}"
sleep 1
entry=$(( $(metric cache.offheap.used) + 12 ))
[[ -n "$entries" ]] || entries=$(( budget * 90 / 100 / entry ))
say "budget $((budget / 1048576)) MB, an entry costs $entry B: writing $entries entries"
written=0 rate=20000
while [[ $written -lt $entries ]]; do # rounds that shorten as the target nears, so as not to overshoot it
  seconds=$(( (entries - written) / rate )); seconds=$(( seconds < 1 ? 1 : (seconds > 10 ? 10 : seconds) ))
  read -r errors requests <<< "$(fill put "$written" 0 "$seconds")"
  written=$((written + requests)) rate=$(( requests / seconds > 1000 ? requests / seconds : 1000 ))
  say "written $written, $(( $(metric cache.memory.used) / 1048576 )) MB used"
done
held=$(metric cache.size)
check "no eviction while filling ($(metric cache.evictions) evictions, $held entries held)" [ "$(metric cache.evictions)" -eq 0 ]

# 2. SIGTERM with a full cache.
stop TERM
snapshot_line=$(grep -o 'Shutdown snapshot: .*' "$out/first.log" || true)
full_exit_ms=$exit_ms # the empty start of step 3b stops too
check "SIGTERM: exit status $status after $exit_ms ms (bound 30000 ms), $snapshot_line" \
  bash -c "[ $status -eq 0 ] && [ $exit_ms -le 30000 ] && [ -n '$snapshot_line' ]"
check "no OutOfMemoryError, no OOM kill while writing the snapshot" \
  bash -c "! grep -q java.lang.OutOfMemoryError '$out/first.log' && [ '${oom_kills:-0}' -eq 0 ]"
peak_first=$(cat "$out/first.log.rss" 2>/dev/null || echo 0)
write_ms=$(sed -n 's/.*written to .* in \([0-9]*\) ms.*/\1/p' <<< "$snapshot_line")
snapshot_bytes=$(sed -n 's/.*entries (\([0-9]*\) bytes.*/\1/p' <<< "$snapshot_line")

# 3. Start again (with periodic snapshots, for step 6).
start "$out/second.log" --kvcache.snapshot.interval=20s
load_line=$(grep -o 'Loaded .*' "$out/second.log" || true)
load_ms=$(sed -n 's/.* in \([0-9]*\) ms.*/\1/p' <<< "$load_line")
check "start to ready in $jvm_ready_ms ms from the JVM's start (bound 10000 ms; $ready_ms ms from container-run, which extracts the jar's layers first): $load_line" \
  [ "$jvm_ready_ms" -le 10000 ]
check "every entry back: $(metric cache.size) held, $held before" [ "$(metric cache.size)" -ge "$held" ]
read_back=0 misses=0
while [[ $read_back -lt $written ]]; do
  read -r errors requests <<< "$(fill get "$read_back" "$written" 10)"
  read_back=$((read_back + requests)) misses=$((misses + errors))
done
check "all $written keys read back ($misses misses or errors)" [ "$misses" -eq 0 ]

# 6. What a periodic snapshot costs the requests: reads of the full cache in 1 s rounds for 60 s, each round
# marked by whether a snapshot was being written during it (the log gives each one's end and duration).
: > "$out/rounds.tsv"
for _ in $(seq 1 60); do
  begin=$(now_ms)
  read -r rps p99 <<< "$(FILL_MODE=get FILL_FROM=0 FILL_TO=$written wrk -t1 -c32 -d1s -s bench/fill.lua "$base" 2>&1 \
    | sed -n 's/^RESULT //p' | awk '{ print $1, $3 }')"
  printf '%s\t%s\t%s\t%s\n' "$begin" "$(now_ms)" "$rps" "$p99" >> "$out/rounds.tsv"
done
# Snapshot windows in ms since the epoch: its end (the log line's time) less its duration.
grep 'Periodic snapshot:' "$out/second.log" | while read -r stamp line; do
  end=$(date -d "$stamp" +%s%3N); took=$(sed -n 's/.* in \([0-9]*\) ms.*/\1/p' <<< "$line")
  echo "$((end - took)) $end"
done > "$out/windows.txt" || true
awk 'NR == FNR { from[NR] = $1; to[NR] = $2; n = NR; next }
  { during = 0; for (i = 1; i <= n; i++) if ($1 < to[i] && $2 > from[i]) during = 1
    print (during ? "with" : "without"), $3, $4 }' "$out/windows.txt" "$out/rounds.tsv" > "$out/classified.txt"
periodic=""
for kind in with without; do # rounds, mean reads/s, median p99 (wrk reports microseconds)
  read -r rounds rps <<< "$(awk -v k=$kind '$1 == k { n++; r += $2 } END { printf "%d %.0f", n, n ? r / n : 0 }' "$out/classified.txt")"
  p99=$(awk -v k=$kind '$1 == k { print $3 }' "$out/classified.txt" | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", NR ? a[int((NR + 1) / 2)] / 1000 : 0 }')
  periodic+="$kind a snapshot: $rounds rounds, $rps reads/s, median p99 $p99 ms; "
done
say "reads of a full cache while periodic snapshots run (every 20 s): $periodic"
stop TERM
check "no OutOfMemoryError, no OOM kill while loading" \
  bash -c "! grep -q java.lang.OutOfMemoryError '$out/second.log' && [ '${oom_kills:-0}' -eq 0 ]"
peak_second=$(cat "$out/second.log.rss" 2>/dev/null || echo 0)
warm_ready_ms=$jvm_ready_ms

# 3b. The same start with no snapshot: what loading one adds to it.
mv "$data/kv-cache.snapshot" "$out/kept.snapshot"
start "$out/empty.log"
empty_ready_ms=$jvm_ready_ms
stop TERM
mv "$out/kept.snapshot" "$data/kv-cache.snapshot"
check "a warm start is ready $(( warm_ready_ms - empty_ready_ms )) ms later than a start with no snapshot ($warm_ready_ms against $empty_ready_ms ms; bound 3000 ms)" \
  [ $(( warm_ready_ms - empty_ready_ms )) -le 3000 ]

# 4. The disk.
sync
dd_write=$(dd if=/dev/zero of="$out/ddtest" bs=1M count=1000 conv=fdatasync 2>&1 | tail -n 1)
sync; echo 3 > /proc/sys/vm/drop_caches
dd_read=$(dd if="$out/ddtest" of=/dev/null bs=1M 2>&1 | tail -n 1)
rm -f "$out/ddtest"

echo
echo "| figure | value |"
echo "|---|---|"
echo "| entries, weighed | $held entries of 256/256, $(( held * entry / 1048576 )) MB of a $((budget / 1048576)) MB budget |"
echo "| snapshot | $snapshot_bytes bytes of keys and values, file $(stat -c %s "$data/kv-cache.snapshot") bytes |"
echo "| SIGTERM to exit (drain 5 s included) | $full_exit_ms ms of which writing the snapshot $write_ms ms: $(( snapshot_bytes / 1000 / (write_ms > 0 ? write_ms : 1) )) MB/s |"
echo "| start to ready (JVM start to readiness UP) | $warm_ready_ms ms, of which loading $load_ms ms: $(( snapshot_bytes / 1000 / (load_ms > 0 ? load_ms : 1) )) MB/s; with no snapshot $empty_ready_ms ms |"
echo "| peak RSS of the JVM, filling and writing / loading and reading | $((peak_first / 1048576)) / $((peak_second / 1048576)) MiB (limit 2048) |"
echo "| dd write 1 GB (fdatasync) / read (page cache dropped) | ${dd_write##*, } / ${dd_read##*, } |"
echo "| reads (1 s rounds, 32 connections) with / without a periodic snapshot running | $periodic |"
fi

# 5. kill -9 with a 60 s interval.
if [[ $skip_kill -eq 0 ]]; then
  rm -rf "$data" && mkdir -p "$data"
  start "$out/kill.log" --kvcache.snapshot.interval=60s
  declare -a round_from round_to
  round=0 from=0 kill_at=0 snapshot_seen=""
  # Write in rounds of 1 s, 2 s apart (so that the budget holds every key: nothing is evicted), until half an
  # interval after the first periodic snapshot, then kill -9.
  while :; do
    read -r _ requests <<< "$(FILL_MODE=put FILL_FROM=$from wrk -t1 -c8 -d1s -s bench/fill.lua "$base" 2>&1 \
      | sed -n 's/^RESULT //p' | awk '{ print $4, $5 }')"
    sleep 2
    round_from[$round]=$from round_to[$round]=$((from + requests))
    from=$((from + requests))
    if [[ -z "$snapshot_seen" ]] && grep -q 'Periodic snapshot:' "$out/kill.log"; then
      snapshot_seen=$round kill_at=$(( $(now_ms) + 30000 ))
    fi
    round=$((round + 1))
    [[ $kill_at -gt 0 && $(now_ms) -ge $kill_at ]] && break
  done
  stop KILL
  last_snapshot=$(grep -o 'Periodic snapshot: [0-9]* entries' "$out/kill.log" | tail -n 1)
  start "$out/kill-restart.log" --kvcache.snapshot.interval=60s
  # The snapshot is noticed once written, after the round in which it ran; it may have begun in the round
  # before: every round before those two ended before it began, and must be in it.
  safe_to=${round_from[$(( snapshot_seen > 0 ? snapshot_seen - 1 : 0 ))]}
  read_back=0 misses_safe=0
  while [[ $read_back -lt $safe_to ]]; do
    read -r errors requests <<< "$(fill get "$read_back" "$safe_to" 5)"
    read_back=$((read_back + requests)) misses_safe=$((misses_safe + errors))
  done
  total_after=$((from - safe_to))
  held_after=$(metric cache.size)
  stop TERM
  check "kill -9 with a 60 s interval: the $safe_to keys written before the last periodic snapshot ($last_snapshot) all back ($misses_safe misses in $read_back reads); of the $total_after written after it, $(( held_after - safe_to > 0 ? held_after - safe_to : 0 )) back" \
    [ "$misses_safe" -eq 0 ]
fi

echo
[[ $failures -eq 0 ]] && echo "restart-check: PASS" || { echo "restart-check: $failures check(s) FAILED" >&2; exit 1; }
