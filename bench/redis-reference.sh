#!/usr/bin/env bash
# The capacity reference for bench/memory-fill.sh: Redis (Debian's) in the same t3.small imitation, a 2 GiB, 2-CPU
# cgroup, with the budget kv-cache's default asks for (--maxmemory 1536mb --maxmemory-policy allkeys-lru), filled
# with the entries memory-fill writes (256-character values under 256-character keys, then under UUID-length
# keys, each with a TTL as kv-cache's always have one: SET ... EX 3600) until well past eviction. Prints, per key
# length: the entries Redis held, its used_memory, its peak RSS and the cgroup's, evictions; then SET's p99 while
# evicting (redis-benchmark -c 32, 256-byte values, random keys). Exits non-zero if Redis died or was OOM-killed.
#   bench/redis-reference.sh [--entries-256 3000000] [--entries-36 4500000]
set -euo pipefail
cd "$(dirname "$0")/.."

port=7391 entries_256=3000000 entries_36=4500000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --entries-256) entries_256="$2"; shift 2 ;;
    --entries-36) entries_36="$2"; shift 2 ;;
    *) echo "redis-reference: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
out=target/redis-reference
mkdir -p "$out"

memory_cg=/sys/fs/cgroup/memory/kvcache-redis-$$
cpu_cg=/sys/fs/cgroup/cpu/kvcache-redis-$$
redis_pid="" sampler=""
cleanup() {
  [[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null
  redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true
  sleep 0.5
  rmdir "$memory_cg" "$cpu_cg" 2>/dev/null || true
  return 0
}
trap cleanup EXIT
mkdir -p "$memory_cg" "$cpu_cg"
echo 2g > "$memory_cg/memory.limit_in_bytes"
echo 0 > "$memory_cg/memory.swappiness" 2>/dev/null || true
echo 100000 > "$cpu_cg/cpu.cfs_period_us"
echo 200000 > "$cpu_cg/cpu.cfs_quota_us"

start() {
  echo "$$" > /dev/null
  ( echo "$BASHPID" > "$memory_cg/cgroup.procs"; echo "$BASHPID" > "$cpu_cg/cgroup.procs"
    exec redis-server --port $port --maxmemory 1536mb --maxmemory-policy allkeys-lru --save '' --appendonly no \
      --logfile "$PWD/$out/redis.log" ) &
  redis_pid=$!
  for _ in $(seq 1 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo 0 > "$memory_cg/memory.max_usage_in_bytes"
  ( peak=0; while kill -0 "$redis_pid" 2>/dev/null; do
      rss=$(awk '/VmRSS/ { print $2 * 1024 }' "/proc/$redis_pid/status" 2>/dev/null || echo 0)
      [[ ${rss:-0} -gt $peak ]] && peak=$rss && echo "$peak" > "$out/peak"
      sleep 0.2
    done ) &
  sampler=$!
}
info() { redis-cli -p $port info "$1" | tr -d '\r' | sed -n "s/^$2:\\(.*\\)/\\1/p"; }

value=$(printf 'v0123456789abcdefghijklmnopqrstuvwxyz<>&%s' "'ABCDEFGHIJKLMNOPQRSTUVWXYZ" | head -c 64)
value="$value$value$value$value"
echo "| key/value characters | entries written | entries held | used_memory | peak RSS of Redis | peak cgroup | evicted |"
echo "|---|---|---|---|---|---|---|"
for shape in "256 $entries_256" "36 $entries_36"; do
  read -r key_length entries <<< "$shape"
  start
  awk -v n="$entries" -v kl="$key_length" -v v="$value" 'BEGIN {
    for (i = 0; i < n; i++) {
      k = sprintf("fill-%s%d", substr(sprintf("%0300d", 0), 1, kl - 5 - length(i "")), i)
      printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$4\r\n3600\r\n", kl, k, length(v), v
    } }' | redis-cli -p $port --pipe > "$out/pipe-$key_length.log"
  kill -0 "$redis_pid" 2>/dev/null || { echo "redis-reference: Redis died (OOM kill?)" >&2; exit 1; }
  sleep 0.5
  echo "| $key_length/256 | $entries | $(redis-cli -p $port dbsize) | $(( $(info memory used_memory) / 1048576 )) MiB |" \
    "$(( $(cat "$out/peak") / 1048576 )) MiB | $(( $(cat "$memory_cg/memory.max_usage_in_bytes") / 1048576 )) MiB |" \
    "$(info stats evicted_keys) |"
  if [[ $key_length == 256 ]]; then # full and evicting: SET's latency under load, 32 connections as memory-fill
    redis-benchmark -p $port -c 32 -n 1000000 -t set -d 256 -r 1000000000 --csv > "$out/benchmark.csv" 2>/dev/null
  fi
  kill "$sampler" 2>/dev/null; sampler=""
  redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true
  wait "$redis_pid" 2>/dev/null || true
done
# redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
echo
awk -F',' 'NR > 1 { gsub("\"", ""); printf "Redis SET while evicting (redis-benchmark -c 32 -d 256, random keys): %s requests/s, p50 %s ms, p99 %s ms, max %s ms\n", $2, $5, $7, $8 }' \
  "$out/benchmark.csv"
