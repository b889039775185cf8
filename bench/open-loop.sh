#!/usr/bin/env bash
# Latency at a fixed rate, in a full cache and in an empty one, in one invocation. kv-cache runs as its image
# runs it (scripts/container-run.sh: the Dockerfile's ENTRYPOINT on JDK 25, in a 2 GiB, 2-CPU cgroup) with
# kvcache.ttl=1h and a GC log; bench/OpenLoad.java drives it.
#   full:  unique 256/256 entries written at full speed (closed loop) until the cache evicts, then at each rate
#          an open-loop run of half puts of new keys (so it keeps evicting) and half gets of the last 4096 keys
#          put, from 64 keep-alive connections;
#   empty: a fresh process, the same mix at the same rates, the puts overwriting 10,000 keys (put once first),
#          the gets reading them: the control, a cache that never fills.
#   go-echo (with --go-echo): the empty control against the original Go/Echo design (../shared/peers/go-echo),
#          in a cgroup of the same size, with the same client, keys and rates.
# Each run prints, per 10 s window, p50/p90/p99/p99.9/max counted from each request's scheduled start (the
# first --warmup seconds are one window of their own and count in no total), the GC pauses that ended in the
# window (from the server's log), the client's lag behind its schedule, and both processes' CPU. Last, one row
# per (phase, rate) over the runs after their warm-up and the full/empty p99 ratio. Raw windows (TSV), the
# console of each run, the server's and the GC logs go to target/open-loop/.
#
#   bench/open-loop.sh [--rates 4000,8000,15000] [--duration 60] [--warmup 15] [--connections 64]
#                      [--key-length 256] [--port 7261] [--jar JAR] [--dockerfile FILE]
#                      [--skip-full] [--skip-empty] [--go-echo] [--cluster] [-- extra kv-cache args]
#
# --cluster measures a cluster member instead of a local instance: one member alone (kvcache.mode=cluster,
# backup-count 0, so that it owns every entry), bound to 127.0.0.1 with its cluster port at --port + 1000.
#
# --duration counts the warm-up. --jar measures another build (KVCACHE_JAR), --dockerfile another ENTRYPOINT
# (KVCACHE_DOCKERFILE); JAVA_TOOL_OPTIONS reaches the service (a GC flag to try), the GC log appended to it.
# Warm restart is off (--kvcache.snapshot.dir=): writing 1.5 GB at each stop measures nothing here.
# Needs curl and JDK 25 (KVCACHE_JAVA_HOME, else /usr/lib/jvm/temurin-25*), root for the cgroup; fetches
# HdrHistogram 2.2.2 with the Maven wrapper if ~/.m2 lacks it. Takes 2 to 4 minutes to fill (2.5 million puts),
# then (duration + ~5 s) per rate and phase; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

rates=4000,8000,15000 duration=60 warmup=15 connections=64 key_length=256 port=7261 full=1 empty=1 go_echo=0
cluster=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rates) rates="$2"; shift 2 ;;
    --duration) duration="${2%s}"; shift 2 ;;
    --warmup) warmup="${2%s}"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --key-length) key_length="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --jar) export KVCACHE_JAR="$(readlink -f "$2")"; shift 2 ;;
    --dockerfile) export KVCACHE_DOCKERFILE="$(readlink -f "$2")"; shift 2 ;;
    --skip-full) full=0; shift ;;
    --skip-empty) empty=0; shift ;;
    --go-echo) go_echo=1; shift ;;
    --cluster) cluster=1; shift ;;
    --) shift; break ;;
    *) echo "open-loop: unknown option $1" >&2; exit 2 ;;
  esac
done
extra=("$@")
if [[ $cluster -eq 1 ]]; then
  member=127.0.0.1:$((port + 1000))
  extra=(--kvcache.mode=cluster --kvcache.cluster.backup-count=0 --kvcache.cluster.bind-address=127.0.0.1
    --kvcache.cluster.port=$((port + 1000)) --kvcache.cluster.members=$member --kvcache.cluster.name=open-loop-$$
    "${extra[@]}")
fi
IFS=, read -r -a rate_list <<< "$rates"

out=target/open-loop
mkdir -p "$out"
command -v curl >/dev/null || { echo "open-loop: needs curl" >&2; exit 2; }
java_home="${KVCACHE_JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n 1 || true)}"
[[ -x "$java_home/bin/javac" ]] || { echo "open-loop: needs JDK 25 (set KVCACHE_JAVA_HOME)" >&2; exit 2; }
[[ -n "${KVCACHE_JAR:-}" || -f target/kv-cache.jar ]] || ./mvnw -B -q package -DskipTests
if ss -Hltn "sport = :$port" | grep -q .; then
  echo "open-loop: port $port is taken; pick another with --port" >&2; exit 2
fi

# The client: compiled once (the source launcher would compile it at every run), on its own small heap, and
# without the service's JAVA_TOOL_OPTIONS.
hdr=~/.m2/repository/org/hdrhistogram/HdrHistogram/2.2.2/HdrHistogram-2.2.2.jar
if [[ ! -f $hdr ]]; then
  ./mvnw -B -q dependency:copy -Dartifact=org.hdrhistogram:HdrHistogram:2.2.2 -DoutputDirectory="$out/lib"
  hdr=$out/lib/HdrHistogram-2.2.2.jar
fi
"$java_home/bin/javac" -d "$out/classes" -cp "$hdr" bench/OpenLoad.java
client=(env -u JAVA_TOOL_OPTIONS "$java_home/bin/java" -Xms64m -Xmx256m -XX:+UseSerialGC
  -cp "$out/classes:$hdr" OpenLoad --port "$port" --connections "$connections" --key-length "$key_length"
  --clk-tck "$(getconf CLK_TCK)")

source scripts/lib.sh
name=open-loop base="http://127.0.0.1:$port" ready_seconds=120
runner="" jvm="" gc_log=""
stop() {
  if [[ -n "$runner" ]]; then
    kill "$runner" 2>/dev/null || true # container-run.sh stops the JVM and removes the cgroup
    wait "$runner" 2>/dev/null || true
  fi
  runner="" jvm=""
}
trap stop EXIT

# Starts kv-cache for a phase; sets runner, jvm and gc_log.
start() {
  local phase=$1 log="$out/server-$1.log"
  rm -f "$out/gc-$phase-"*.log
  # timemillis (the wall clock in ms) lines the pauses up with the client's windows; safepoint adds the time
  # to reach each safepoint, which the pause figure leaves out.
  JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:-} -Xlog:gc*,safepoint:file=$PWD/$out/gc-$phase-%p.log:time,uptime,timemillis,level,tags:filecount=0" \
    kv_start "$log" --server.port="$port" --kvcache.ttl=1h --kvcache.shutdown.drain=0s --kvcache.snapshot.dir= \
    "${extra[@]}"
  jvm=$pid
  gc_log="$out/gc-$phase-$jvm.log"
  find "$out" -maxdepth 1 -name "gc-$phase-*.log" ! -name "${gc_log##*/}" -delete # the layer extraction's
  echo "open-loop: $phase: kv-cache pid $jvm on port $port; $(grep -o 'Cache budget.*' "$log" | head -n 1)"
}

metric() { # name → value
  curl -fs "http://127.0.0.1:$port/actuator/metrics/$1" | sed -E 's/.*"value":([0-9.Ee+-]+).*/\1/' \
    | awk '{ printf "%.0f", $1 }'
}

# One open-loop run; its SUMMARY line, with the 1-minute load average at its end, goes to summaries.
run() { # phase rate keys
  local phase=$1 rate=$2 keys=$3 prefix="ol-$1-"
  [[ $keys == new ]] && prefix+="$rate-" # new keys at each rate; the empty control's 10,000 stay the same
  timeout $((duration + 90)) "${client[@]}" --rate "$rate" --duration "$duration" --warmup "$warmup" \
    --keys "$keys" --key-prefix "$prefix" ${gc_log:+--gc-log "$gc_log"} \
    --server-pid "$jvm" --tsv "$out/$phase-$rate.tsv" --label "phase=$phase rate=$rate" \
    | tee "$out/$phase-$rate.txt" || true
  local summary
  summary=$(grep '^SUMMARY' "$out/$phase-$rate.txt" || echo "SUMMARY phase=$phase rate=$rate failed=1")
  echo "$summary load_1m=$(cut -d' ' -f1 /proc/loadavg)" >> "$summaries"
}

summaries="$out/summaries.txt"
: > "$summaries"
echo "open-loop: rates $rates, ${duration}s each (${warmup}s warm-up), $connections connections;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { exit !(l > 1) }'; then
  echo "open-loop: WARNING: other processes are running (load above 1): they take CPU from the service and the" \
    "client, and the figures show it (see the load column and the client's lag)"
fi

if [[ $full -eq 1 ]]; then
  start full
  budget=$(metric cache.memory.budget) written=0 round=500000
  for _ in $(seq 1 20); do # until it evicts: 2.3 million 256/256 entries fill 1536 MB
    timeout 300 "${client[@]}" --rate 0 --requests "$round" --put-ratio 1 --keys new --key-prefix fill- \
      --key-from "$written" > "$out/fill.txt" || { echo "open-loop: fill failed, see $out/fill.txt" >&2; exit 1; }
    written=$((written + round))
    evictions=$(metric cache.evictions)
    echo "open-loop: fill: $written written at $(sed -n 's/.*achieved_rate=\([0-9]*\).*/\1/p' "$out/fill.txt")/s," \
      "$(metric cache.size) held, $(( $(metric cache.memory.used) / 1048576 )) of $((budget / 1048576)) MB used," \
      "$evictions evictions"
    [[ $evictions -gt 0 ]] && break
  done
  [[ $evictions -gt 0 ]] || { echo "open-loop: the cache never evicted" >&2; exit 1; }
  for rate in "${rate_list[@]}"; do
    run full "$rate" new
    echo "open-loop: full after $rate/s: $(metric cache.size) held, $(( $(metric cache.memory.used) / 1048576 ))" \
      "MB used, $(metric cache.evictions) evictions"
  done
  stop
fi

if [[ $empty -eq 1 ]]; then
  start empty
  timeout 120 "${client[@]}" --rate 0 --requests 10000 --put-ratio 1 --keys 10000 --key-prefix ol-empty- \
    > "$out/preload.txt" || { echo "open-loop: preload failed, see $out/preload.txt" >&2; exit 1; }
  echo "open-loop: empty: 10,000 keys put; $(metric cache.size) held, $(metric cache.evictions) evictions"
  for rate in "${rate_list[@]}"; do
    run empty "$rate" 10000
  done
  stop
fi

if [[ $go_echo -eq 1 ]]; then
  # Built as bench/bench.sh builds it, from Debian's Go and Echo packages; run in a 2 GiB, 2-CPU cgroup like
  # kv-cache's (container-run.sh), with no GC log to read (--gc-log is left out).
  [[ -d /usr/share/gocode/src/github.com/labstack/echo ]] && command -v go >/dev/null \
    || { echo "open-loop: --go-echo needs golang-go and golang-github-labstack-echo-dev (bench/bench.sh installs them)" >&2; exit 2; }
  GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="$PWD/$out/gocache" go build -o "$out/go-echo" ../shared/peers/go-echo/main.go
  go_cgroups=(/sys/fs/cgroup/memory/open-loop-go-$$ /sys/fs/cgroup/cpu/open-loop-go-$$)
  mkdir -p "${go_cgroups[@]}"
  echo 2g > "${go_cgroups[0]}/memory.limit_in_bytes"
  echo 100000 > "${go_cgroups[1]}/cpu.cfs_period_us" && echo 200000 > "${go_cgroups[1]}/cpu.cfs_quota_us"
  (for cg in "${go_cgroups[@]}"; do echo "$BASHPID" > "$cg/cgroup.procs"; done; exec env PORT="$port" "$out/go-echo") \
    > "$out/server-go-echo.log" 2>&1 &
  runner=$!
  trap 'stop; rmdir "${go_cgroups[@]}" 2>/dev/null || true' EXIT
  for _ in $(seq 1 40); do curl -s -o /dev/null "$base/get?key=ping" && break; sleep 0.25; done
  jvm=$runner gc_log=""
  timeout 120 "${client[@]}" --rate 0 --requests 10000 --put-ratio 1 --keys 10000 --key-prefix ol-empty- \
    > "$out/preload.txt" || { echo "open-loop: go-echo preload failed, see $out/preload.txt" >&2; exit 1; }
  echo "open-loop: go-echo: pid $runner on port $port, 10,000 keys put"
  for rate in "${rate_list[@]}"; do
    run go-echo "$rate" 10000
  done
  stop
fi

# ---- the table ----------------------------------------------------------------------------------------------
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< " $1"; }
{
  printf 'phase\trate\t'
  sed -n 1p "$summaries" | tr ' ' '\n' | sed -n 's/=.*//p' | grep -v -e '^phase$' -e '^rate$' | paste -sd '\t'
  while read -r line; do
    printf '%s\t%s\t' "$(field "$line" phase)" "$(field "$line" rate)"
    tr ' ' '\n' <<< "${line#SUMMARY }" | grep -v -e '^phase=' -e '^rate=' | sed 's/^[^=]*=//' | paste -sd '\t'
  done < "$summaries"
} > "$out/results.tsv"
echo
echo "Over each run after its ${warmup} s warm-up; latency in ms from the scheduled start (uncorrected: from the"
echo "send, as a closed-loop tool counts); CPU in % of one core and µs per request; GC pauses that ended in the run."
echo
echo "| phase | rate/s | done/s | p50 | p90 | p99 | p99.9 | max | uncorrected p99 | gets hit | errors | client lag p99 / max | client CPU | server CPU | GC pauses: n, max, sum ms | load 1m |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
while read -r l; do
  f() { field "$l" "$1"; }
  if [[ -n "$(f failed)" ]]; then echo "| $(f phase) | $(f rate) | failed: see $out/$(f phase)-$(f rate).txt |"; continue; fi
  hit=$(awk -v h="$(f hits)" -v g="$(f gets)" 'BEGIN { printf "%.1f%%", g ? 100 * h / g : 0 }')
  errors=$(( $(f errors) + $(f puts_failed) + $(f status_other) + $(f unfinished) ))
  echo "| $(f phase) | $(f rate) | $(f achieved_rate) | $(f p50_ms) | $(f p90_ms) | $(f p99_ms) | $(f p999_ms) |" \
    "$(f max_ms) | $(f uncorrected_p99_ms) | $hit | $errors | $(f lag_p99_ms) / $(f lag_max_ms) |" \
    "$(f client_cpu_pct)% ($(f client_us_per_request) µs) | $(f server_cpu_pct)% ($(f server_us_per_request) µs) |" \
    "$(f gc_pauses), $(f gc_max_ms), $(f gc_sum_ms) | $(f load_1m) |"
done < "$summaries"
echo
for rate in "${rate_list[@]}"; do
  full_p99=$(grep "phase=full rate=$rate " "$summaries" | sed -n 's/.* p99_ms=\([^ ]*\).*/\1/p')
  empty_p99=$(grep "phase=empty rate=$rate " "$summaries" | sed -n 's/.* p99_ms=\([^ ]*\).*/\1/p')
  if [[ -n "$full_p99" && -n "$empty_p99" ]]; then
    awk -v f="$full_p99" -v e="$empty_p99" -v r="$rate" \
      'BEGIN { printf "p99 full / empty at %d/s: %.3gx (%s against %s ms)\n", r, f / e, f, e }'
  fi
  go_line=$(grep "phase=go-echo rate=$rate " "$summaries" || true)
  empty_line=$(grep "phase=empty rate=$rate " "$summaries" || true)
  if [[ -n "$go_line" && -n "$empty_line" ]]; then
    echo "kv-cache empty / Go/Echo at $rate/s: p99 $(field "$empty_line" p99_ms) against $(field "$go_line" p99_ms) ms," \
      "p99.9 $(field "$empty_line" p999_ms) against $(field "$go_line" p999_ms) ms"
  fi
done
echo "Windows: $out/<phase>-<rate>.tsv and .txt; rows: $out/results.tsv; GC logs: $out/gc-*.log"
