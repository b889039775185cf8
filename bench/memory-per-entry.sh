#!/usr/bin/env bash
# Memory per entry, kv-cache against Redis, in one run: loads the same N entries (unique keys of 36 and of 256
# characters, 256-character values) into kv-cache, started as its image starts it (JDK 25, compact object
# headers), and into redis-server (Debian's), and prints the bytes each needs per entry:
#   kv-cache: the growth of the heap after a full GC (whatever Java objects an entry costs), of the entries'
#   bytes off the heap (cache.offheap.used), their sum, and the growth of what the store counts against its
#   budget (cache.memory.used: for the segment store, the segments taken; its index's primary buckets and
#   ghosts are taken whole at start-up, about 12 bytes an entry of a full 1.5 GB cache of 256/256 entries);
#   Redis: the growth of INFO memory's used_memory, with a TTL on every key (SET ... EX 300, as kv-cache
#   always has one) and without.
#   bench/memory-per-entry.sh [--entries 200000]
#   KVCACHE_JAR=other.jar KVCACHE_DOCKERFILE=its-Dockerfile bench/memory-per-entry.sh   (the build before)
set -euo pipefail
cd "$(dirname "$0")/.."

entries=200000 port=7192 redis_port=7390
[[ "${1:-}" == "--entries" ]] && entries=$2
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
[[ -n "${KVCACHE_JAR:-}" || -f target/kv-cache.jar ]] || ./mvnw -B -q package -DskipTests
out=target/memory-per-entry
mkdir -p "$out"

# --- kv-cache
scripts/container-run.sh --memory 2g --server.port=$port --kvcache.ttl=1h > "$out/service.log" 2>&1 &
runner=$!
trap 'kill $runner 2>/dev/null || true; wait $runner 2>/dev/null || true; redis-cli -p $redis_port shutdown nosave >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 120); do curl -fs -o /dev/null "localhost:$port/actuator/health/readiness" && break; sleep 0.25; done
java_pid=$(pgrep -P $runner | head -n 1)
jcmd="$(dirname "$(readlink -f "/proc/$java_pid/exe")")/jcmd"
metric() { curl -fs "localhost:$port/actuator/metrics/$1${2:+?tag=$2}" | sed -E 's/.*"value":([0-9.Ee+-]+).*/\1/' | awk '{ printf "%.0f", $1 }'; }
heap_after_gc() { "$jcmd" "$java_pid" GC.run > /dev/null; sleep 1; metric jvm.memory.used area:heap; }

declare -A kv_weighed kv_heap kv_offheap
from=0
for key_length in 36 256; do
  before_heap=$(heap_after_gc) before_used=$(metric cache.memory.used) before_size=$(metric cache.size)
  before_offheap=$(metric cache.offheap.used)
  to=$((from + entries))
  while [[ $from -lt $to ]]; do # wrk runs for a time, not a count: put in rounds until all are in
    read -r _ _ _ _ requests <<< "$(FILL_MODE=put FILL_FROM=$from FILL_KEY_LENGTH=$key_length \
      wrk -t1 -c16 -d1s -s bench/fill.lua "http://127.0.0.1:$port" | sed -n 's/^RESULT //p')"
    from=$((from + requests))
  done
  sleep 1
  held=$(( $(metric cache.size) - before_size ))
  kv_weighed[$key_length]=$(( ($(metric cache.memory.used) - before_used) / held ))
  kv_heap[$key_length]=$(( ($(heap_after_gc) - before_heap) / held ))
  kv_offheap[$key_length]=$(( ($(metric cache.offheap.used) - before_offheap) / held ))
done

# --- Redis: the same keys and values, sent through redis-cli --pipe.
redis-server --port $redis_port --save '' --appendonly no --daemonize yes --logfile "$PWD/$out/redis.log"
sleep 0.5
used_memory() { redis-cli -p $redis_port info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
value=$(printf 'v0123456789abcdefghijklmnopqrstuvwxyz<>&%s' "'ABCDEFGHIJKLMNOPQRSTUVWXYZ" | head -c 64)
value="$value$value$value$value"
declare -A redis_ttl redis_plain
for key_length in 36 256; do
  for ttl in yes no; do
    redis-cli -p $redis_port flushall > /dev/null
    before=$(used_memory)
    awk -v n="$entries" -v kl="$key_length" -v v="$value" -v ttl="$ttl" 'BEGIN {
      for (i = 0; i < n; i++) {
        k = sprintf("fill-%s%d", substr(sprintf("%0300d", 0), 1, kl - 5 - length(i "")), i)
        if (ttl == "yes") printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$3\r\n300\r\n", kl, k, length(v), v
        else printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", kl, k, length(v), v
      } }' | redis-cli -p $redis_port --pipe > /dev/null
    per_entry=$(( ($(used_memory) - before) / entries ))
    if [[ $ttl == yes ]]; then redis_ttl[$key_length]=$per_entry; else redis_plain[$key_length]=$per_entry; fi
  done
done

echo "| entry (key/value chars) | kv-cache: heap growth after GC | + off-heap entry bytes | = in all | counted against the budget | Redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-), SET EX 300 | Redis, no TTL |"
echo "|---|---|---|---|---|---|---|"
for key_length in 36 256; do
  echo "| $key_length/256 | ${kv_heap[$key_length]} B | ${kv_offheap[$key_length]} B | $(( kv_heap[$key_length] + kv_offheap[$key_length] )) B | ${kv_weighed[$key_length]} B | ${redis_ttl[$key_length]} B | ${redis_plain[$key_length]} B |"
done
echo "($entries entries of each size; kv-cache on $(grep -o 'temurin-[0-9]*' "$out/service.log" | head -n 1) with the image's flags)"
