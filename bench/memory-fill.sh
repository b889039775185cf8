#!/usr/bin/env bash
# Fill run: can a t3.small-sized container run out of memory? Starts kv-cache with the Dockerfile's exact JVM
# options inside a 2 GiB, 2-CPU cgroup (scripts/container-run.sh) and writes unique 256/256-character entries
# with wrk until twice the effective budget has been written:
#   A. up to 90% of the budget: no eviction, and every key written reads back (all of them are checked);
#   B. on to 2x the budget, in rounds: health UP, puts answer 200, evictions counted, put p99 per round;
#   C. the most recent writes all hit: those filling the 10% of the budget the store guarantees (less the writes
#      in flight), and 2,000 fresh keys put one by one, each read back right after its put; the process is
#      alive, never OOM-killed, no OutOfMemoryError.
# Prints peak RSS, heap after GC, entries held, the effective budget and put p99 during eviction; exits
# non-zero when a check fails. TTL is set to 1h so that only memory evicts. Takes 5 to 10 minutes.
#
#   bench/memory-fill.sh [--memory 2g] [--cpus 2] [--factor 2] [--recent N] [--key-length 256] [--redis]
#                        [--memcached] [--cluster] [-- extra kv-cache args]
# (--key-length: the keys' length, 256 or e.g. 36 as a UUID's; values are always 256 characters;
#  --redis: then the same question put to Redis, bench/redis-reference.sh, for a side-by-side table;
#  --memcached: and to memcached, bench/memcached-reference.sh, for the same key length, but 250 for 256: memcached
#  refuses longer keys; with either, a last line puts the entries each held side by side)
# (--cluster: a cluster member alone, kvcache.mode=cluster with backup-count 0 so that it owns every entry)
# (--recent: how many of the newest wrk-written keys phase C reads; default: the guaranteed share's worth)
set -euo pipefail
cd "$(dirname "$0")/.."

memory=2g cpus=2 factor=2 recent="" port=7191 connections=32 key_length=256 redis=0 memcached=0 cluster=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --memory) memory="$2"; shift 2 ;;
    --cpus) cpus="$2"; shift 2 ;;
    --factor) factor="$2"; shift 2 ;;
    --recent) recent="$2"; shift 2 ;;
    --key-length) key_length="$2"; shift 2 ;;
    --redis) redis=1; shift ;;
    --memcached) memcached=1; shift ;;
    --cluster) cluster=1; shift ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[[ -f target/kv-cache.jar ]] || ./mvnw -B -q package -DskipTests

out=target/memory-fill
mkdir -p "$out"
log="$out/service.log" samples="$out/samples.tsv"
failures=0
check() { # condition-description, then the test command
  local what=$1; shift
  if "$@"; then echo "fill: ok   $what"; else echo "fill: FAIL $what" >&2; failures=$((failures + 1)); fi
}

member=()
[[ $cluster -eq 0 ]] || member=(--kvcache.mode=cluster --kvcache.cluster.backup-count=0
  --kvcache.cluster.bind-address=127.0.0.1 --kvcache.cluster.port=$((port + 1000))
  --kvcache.cluster.members=127.0.0.1:$((port + 1000)) --kvcache.cluster.name=memory-fill-$$)
scripts/container-run.sh --memory "$memory" --cpus "$cpus" --server.port=$port --kvcache.ttl=1h "${member[@]}" "$@" \
  > "$log" 2>&1 &
runner=$!
cgroup=/sys/fs/cgroup/memory/kvcache-$runner
sampler=""
cleanup() {
  [[ -z "$sampler" ]] || kill "$sampler" 2>/dev/null || true # it may have ended with the JVM
  kill "$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true # its status is SIGTERM's, not a failure
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  curl -fs "localhost:$port/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 $runner 2>/dev/null || { echo "fill: the service died on start-up" >&2; tail "$log" >&2; exit 1; }
  sleep 0.25
done
java_pid=$(pgrep -P $runner | head -n 1)
java_home=$(dirname "$(dirname "$(readlink -f "/proc/$java_pid/exe")")")

metric() { # name [tag] → value
  curl -fs "localhost:$port/actuator/metrics/$1${2:+?tag=$2}" | sed -E 's/.*"value":([0-9.Ee+-]+).*/\1/' \
    | awk '{ printf "%.0f", $1 }'
}
health() { curl -s -o /dev/null -w '%{http_code}' "localhost:$port/actuator/health/liveness"; }

# RSS of the JVM and the cgroup's usage, every second.
( while kill -0 "$java_pid" 2>/dev/null; do
    printf '%s\t%s\t%s\n' "$(date +%s)" "$(awk '/VmRSS/ { print $2 * 1024 }' "/proc/$java_pid/status")" \
      "$(cat "$cgroup/memory.usage_in_bytes" 2>/dev/null || echo 0)"
    sleep 1
  done ) > "$samples" &
sampler=$!

budget=$(metric cache.memory.budget)
"$java_home/bin/jcmd" "$java_pid" GC.run >/dev/null
sleep 1
heap_empty=$(metric jvm.memory.used area:heap) # the heap of an empty cache, after a full GC
probe() { # puts one entry of the run's shape
  curl -s -X POST "localhost:$port/put" -H 'Content-Type: application/json' \
    -d "{\"key\":\"probe-$(printf "%0$((key_length - 6))d" 0)\",\"value\":\"$(printf '%0256d' 0)\"}" >/dev/null
}
if [[ $cluster -eq 0 ]]; then
  # What an entry costs: its bytes in a segment (cache.offheap.used counts the entries the index names) and its
  # share of the index (an 8-byte slot, buckets about 70% full: 12 bytes).
  probe
  entry=$(( $(metric cache.offheap.used) + 12 ))
else
  # A member's entries are Infinispan's allocations, each counted with its allocator's overhead: one put's growth.
  before=$(metric cache.memory.used)
  probe
  entry=$(( $(metric cache.memory.used) - before ))
fi
echo "fill: effective budget $((budget / 1048576)) MB; a $key_length/256 entry costs $entry bytes;"\
  "$(grep -o 'Cache budget .*max heap)' "$log")"

written=0
fill() { # mode from to seconds → "rps p50 p99 errors requests"
  local result
  result=$(FILL_MODE=$1 FILL_FROM=$2 FILL_TO=$3 FILL_KEY_LENGTH=$key_length wrk -t1 -c$connections -d"$4"s --timeout 10s -s bench/fill.lua \
    "http://127.0.0.1:$port" 2>&1 | sed -n 's/^RESULT //p')
  [[ -n "$result" && "${result##* }" -gt 0 ]] || { echo "fill: wrk sent nothing; stopping" >&2; kill $$; }
  echo "$result"
}

# A. Up to 90% of the budget: nothing may be evicted, every key must read back.
target_a=$(( budget * 9 / 10 / entry ))
put_errors=0
while [[ $written -lt $target_a ]]; do
  read -r _ _ _ errors requests <<< "$(fill put "$written" 0 5)"
  written=$((written + requests)) put_errors=$((put_errors + errors))
  printf 'fill: A %8d entries written, %s MB used, health %s\n' "$written" \
    "$(( $(metric cache.memory.used) / 1048576 ))" "$(health)"
done
evictions_a=$(metric cache.evictions)
size_a=$(metric cache.size)
check "phase A: $written puts, no errors" [ "$put_errors" -eq 0 ]
check "phase A: no eviction below the budget ($evictions_a evictions)" [ "$evictions_a" -eq 0 ]
check "phase A: every key put is held ($size_a entries for $((written + 1)) puts)" [ "$size_a" -ge "$((written + 1))" ]
read_back=0 read_errors=0
while [[ $read_back -lt $written ]]; do
  read -r _ _ _ errors requests <<< "$(fill get "$read_back" "$written" 10)"
  read_back=$((read_back + requests)) read_errors=$((read_errors + errors))
done
check "phase A: all $written keys read back, $read_errors misses or errors" [ "$read_errors" -eq 0 ]

# B. On to factor x the budget, in rounds; evictions must keep the cache within its budget.
target_b=$(( budget * factor / entry ))
p99s=() put_errors=0 rounds_unhealthy=0
while [[ $written -lt $target_b ]]; do
  read -r rps _ p99 errors requests <<< "$(fill put "$written" 0 10)"
  written=$((written + requests)) put_errors=$((put_errors + errors)) p99s+=("$p99")
  h=$(health); [[ "$h" == 200 ]] || rounds_unhealthy=$((rounds_unhealthy + 1))
  printf 'fill: B %8d entries written (%d MB), %6s puts/s, p99 %6.1f ms, %s MB used, %s evictions, health %s\n' \
    "$written" "$(( written * entry / 1048576 ))" "$rps" "$(bc -l <<< "$p99/1000")" \
    "$(( $(metric cache.memory.used) / 1048576 ))" "$(metric cache.evictions)" "$h"
done
used=$(metric cache.memory.used)
check "phase B: $written puts in all (${factor}x the budget), no errors" [ "$put_errors" -eq 0 ]
check "phase B: health UP after every round" [ "$rounds_unhealthy" -eq 0 ]
check "phase B: evictions counted ($(metric cache.evictions))" [ "$(metric cache.evictions)" -gt 0 ]
check "phase B: memory in use within the budget ($((used / 1048576)) of $((budget / 1048576)) MB)" [ "$used" -le "$budget" ]

# C. The most recent writes all hit: the guaranteed share (10% of the budget; 2% off for the entry's size, and the
# writes wrk had in flight), then fresh keys put and read back one at a time, as a user would.
[[ -n "$recent" ]] || recent=$(( budget / 10 * 98 / 100 / entry - connections ))
reads=0 read_errors=0
while [[ $reads -lt $recent ]]; do # every one of them read at least once
  read -r _ _ _ errors requests <<< "$(fill get $((written - recent + reads)) "$written" 5)"
  reads=$((reads + requests)) read_errors=$((read_errors + errors))
done
check "phase C: the $recent most recent keys hit ($reads reads, $read_errors misses or errors)" [ "$read_errors" -eq 0 ]
fresh_hits=0
for i in $(seq 1 2000); do
  key="fresh-$$-$i"
  curl -fs -o /dev/null -X POST "localhost:$port/put" -H 'Content-Type: application/json' \
    -d "{\"key\":\"$key\",\"value\":\"$(printf '%0256d' "$i")\"}" || continue
  [[ "$(curl -s "localhost:$port/get?key=$key")" == *"$(printf '%0256d' "$i")"* ]] && fresh_hits=$((fresh_hits + 1))
done
check "phase C: 2000 fresh keys put one by one, each read back at once: $fresh_hits hits" [ "$fresh_hits" -eq 2000 ]

"$java_home/bin/jcmd" "$java_pid" GC.run >/dev/null
sleep 1
heap_after_gc=$(metric jvm.memory.used area:heap)
alive=yes; kill -0 "$java_pid" 2>/dev/null || alive=no
check "the JVM is alive" [ "$alive" == yes ]
check "no OutOfMemoryError in the log" bash -c "! grep -q 'java.lang.OutOfMemoryError' '$log'"
check "never OOM-killed by the cgroup" bash -c "! grep -q '^oom_kill [1-9]' '$cgroup/memory.oom_control'"
check "liveness UP at the end" [ "$(health)" == 200 ]

peak_rss=$(cut -f2 "$samples" | sort -n | tail -n 1)
peak_cgroup=$(cat "$cgroup/memory.max_usage_in_bytes")
entries=$(metric cache.size)
sorted=$(printf '%s\n' "${p99s[@]}" | sort -n)
echo
echo "| figure | value |"
echo "|---|---|"
echo "| memory limit / CPUs | $memory / $cpus |"
echo "| effective budget | $((budget / 1048576)) MB |"
echo "| written | $written entries of $key_length/256 chars ($(( written * entry / 1048576 )) MB, ${factor}x the budget) |"
echo "| entries held at the end | $entries ($((used / 1048576)) MB in use: segments, index, ghosts) |"
echo "| evictions | $(metric cache.evictions) |"
echo "| newest keys read back | $recent of $recent (the guaranteed share); 2000 fresh keys put one by one: $fresh_hits hits |"
echo "| peak RSS of the JVM | $((peak_rss / 1048576)) MiB |"
echo "| peak cgroup memory usage | $((peak_cgroup / 1048576)) MiB |"
echo "| heap used after a full GC | $((heap_after_gc / 1048576)) MB, $((heap_empty / 1048576)) MB empty:" \
  "$(awk -v f="$heap_after_gc" -v e="$heap_empty" -v n="$entries" 'BEGIN { printf "%.1f", (f - e) / n }') bytes an entry held |"
echo "| put p99 during eviction, median / worst 10 s round | $(awk '{ a[NR] = $1 } END { printf "%.1f ms / %.1f ms", a[int((NR + 1) / 2)] / 1000, a[NR] / 1000 }' <<< "$sorted") |"
echo
if [[ $redis -eq 1 || $memcached -eq 1 ]]; then
  cleanup # the service's memory back before the references get the same cgroup limits
  trap - EXIT
fi
held="kv-cache held $entries entries of $key_length/256 characters"
ratio() { awk -v a="$entries" -v b="$1" 'BEGIN { printf "%.2f", a / b }'; } # kv-cache's entries per reference's
if [[ $redis -eq 1 ]]; then
  echo "The same container for Redis (bench/redis-reference.sh):"
  bench/redis-reference.sh | tee "$out/redis-reference.txt"
  echo
  # its table's row for this key length, if it has one (it fills 256/256 and 36/256): the entries held
  redis_held=$(awk -F' *[|] *' -v shape="$key_length/256" '$2 == shape { print $4 }' "$out/redis-reference.txt")
  [[ -z "$redis_held" ]] || held="$held, Redis $redis_held (kv-cache: $(ratio "$redis_held")x)"
fi
if [[ $memcached -eq 1 ]]; then
  memcached_key_length=$(( key_length > 250 ? 250 : key_length ))
  echo "The same container for memcached (bench/memcached-reference.sh --key-length $memcached_key_length):"
  rm -f "target/memcached-reference/result-$memcached_key_length" # never a figure of an earlier run
  bench/memcached-reference.sh --key-length "$memcached_key_length"
  echo
  read -r memcached_held _ < "target/memcached-reference/result-$memcached_key_length"
  held="$held, memcached $memcached_held of $memcached_key_length/256"
  held="$held (kv-cache: $(ratio "$memcached_held")x)"
fi
if [[ $redis -eq 1 || $memcached -eq 1 ]]; then
  # the references always run in 2g and 2 CPUs, kv-cache in what --memory and --cpus asked
  [[ "$memory $cpus" == "2g 2" ]] && where=", in the same 2 GiB, 2-CPU cgroup" \
    || where="; kv-cache in $memory and $cpus CPUs, the references in 2g and 2"
  echo "$held$where"
  echo
fi
[[ $failures -eq 0 ]] && echo "fill: PASS" || { echo "fill: $failures check(s) FAILED" >&2; exit 1; }
