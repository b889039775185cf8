#!/usr/bin/env bash
# The second capacity reference for bench/memory-fill.sh, beside bench/redis-reference.sh: memcached (Debian's) in
# the same t3.small imitation, a 2 GiB, 2-CPU cgroup, with the budget kv-cache's default asks for (-m 1536), filled
# with unique entries until well past eviction: 256-character values under 250-character keys (memcached refuses
# keys over 250 bytes, so these stand for kv-cache's and Redis' 256), then under UUID-length (36) keys, each with a
# TTL as kv-cache's always have one (set ... 3600), memcached started afresh for each. Prints, per key length: the
# entries memcached held (stats curr_items), evictions, limit_maxbytes, bytes, the items' slab chunk, its hash table,
# its peak RSS (VmHWM) and the cgroup's peak. Exits non-zero if memcached died or was OOM-killed, or if the loader's
# count of entries stored is not memcached's own. The loader is bench/memcached-load.py: the text protocol,
# pipelined, over 4 connections (redis-cli --pipe's job; memtier_benchmark is not in Debian).
#   bench/memcached-reference.sh [--entries-250 5000000] [--entries-36 7000000] [--key-length K]
# (--key-length: only keys of K characters, 12 to 250, as memory-fill.sh --memcached asks, with --entries-36's
#  entries up to 165 characters, else --entries-250's; --entries-256 is --entries-250, redis-reference.sh's name)
set -euo pipefail
cd "$(dirname "$0")/.."

port=7392 entries_250=5000000 entries_36=7000000 only="" connections=4
while [[ $# -gt 0 ]]; do
  case "$1" in
    --entries-250 | --entries-256) entries_250="$2"; shift 2 ;;
    --entries-36) entries_36="$2"; shift 2 ;;
    --key-length) only="$2"; shift 2 ;;
    *) echo "memcached-reference: unknown option $1" >&2; exit 2 ;;
  esac
done
# Written: at least 1.6 times what fits, whatever the key length: an item takes 315 bytes and the key's length in
# memcached 1.6 (a 56-byte header with the CAS, the key and a NUL, the value and CRLF), in a chunk of 384 bytes up to
# 69 characters (1536 MiB hold 4.2 million), 480 up to 165 (3.4 million), 600 up to 250 (2.7 million)
if [[ -z "$only" ]]; then
  shapes=("250 $entries_250" "36 $entries_36")
elif [[ "$only" =~ ^[0-9]+$ && $only -ge 12 && $only -le 250 ]]; then
  shapes=("$only $([[ $only -le 165 ]] && echo "$entries_36" || echo "$entries_250")")
else
  echo "memcached-reference: --key-length is 12 to 250 (memcached refuses keys over 250 bytes)" >&2; exit 2
fi
command -v memcached >/dev/null || { apt-get update -qq && apt-get install -y -qq memcached >/dev/null; }
# memcached will not run as root without -u; Debian's package adds the user memcache
user=memcache; id -u "$user" >/dev/null 2>&1 || user=nobody
out=target/memcached-reference
mkdir -p "$out"

memory_cg=/sys/fs/cgroup/memory/kvcache-memcached-$$
cpu_cg=/sys/fs/cgroup/cpu/kvcache-memcached-$$
memcached_pid=""
stop() {
  [[ -n "$memcached_pid" ]] || return 0
  kill "$memcached_pid" 2>/dev/null || true
  wait "$memcached_pid" 2>/dev/null || true # its status is SIGTERM's, or the OOM killer's, checked apart
  memcached_pid=""
}
cleanup() {
  stop
  rmdir "$memory_cg" "$cpu_cg" 2>/dev/null || true
  return 0
}
trap cleanup EXIT
mkdir -p "$memory_cg" "$cpu_cg"
echo 2g > "$memory_cg/memory.limit_in_bytes"
echo 0 > "$memory_cg/memory.swappiness" 2>/dev/null || true
echo 100000 > "$cpu_cg/cpu.cfs_period_us"
echo 200000 > "$cpu_cg/cpu.cfs_quota_us"

alive() { # kill -0 alone would take a dead child not yet waited for (a zombie) for a live one
  [[ -n "$memcached_pid" ]] && kill -0 "$memcached_pid" 2>/dev/null \
    && ! grep -q '^State:[[:space:]]*Z' "/proc/$memcached_pid/status" 2>/dev/null
}
oom_kills() { awk '$1 == "oom_kill" { print $2; found = 1 } END { if (!found) print 0 }' "$memory_cg/memory.oom_control"; }
start() { # key length
  ( echo "$BASHPID" > "$memory_cg/cgroup.procs"; echo "$BASHPID" > "$cpu_cg/cgroup.procs"
    exec memcached -m 1536 -U 0 -l 127.0.0.1 -p $port -t 2 -c 1024 -u "$user" ) 2> "$out/memcached-$1.log" &
  memcached_pid=$!
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  alive || { echo "memcached-reference: memcached did not start" >&2; exit 1; }
  echo 0 > "$memory_cg/memory.max_usage_in_bytes" # the cgroup's peak from here, for this shape alone
}
stat_of() { sed -n "s/^$1 //p" "$2"; } # name file → value, from memcached-load.py stats' "name value" lines

echo "| key/value characters | entries written | entries held (curr_items) | evictions | limit_maxbytes | bytes |" \
  "item, slab chunk | hash table | peak RSS of memcached (VmHWM) | peak cgroup |"
echo "|---|---|---|---|---|---|---|---|---|---|"
notes=()
for shape in "${shapes[@]}"; do
  read -r key_length entries <<< "$shape"
  kills_before=$(oom_kills)
  start "$key_length"
  # bounded in time: the loader gives up after 15 minutes, the timeout a minute later
  if ! timeout 960 python3 bench/memcached-load.py fill --port $port --key-length "$key_length" --entries "$entries" \
      --connections $connections --deadline 900 > "$out/load-$key_length.txt" 2> "$out/load-$key_length.err"; then
    alive || { echo "memcached-reference: memcached died (OOM kill?)" >&2; exit 1; }
    echo "memcached-reference: the loader failed:" >&2; tail -n 5 "$out/load-$key_length.err" >&2; exit 1
  fi
  sleep 1 # the LRU maintainer's last moves
  alive || { echo "memcached-reference: memcached died (OOM kill?)" >&2; exit 1; }
  [[ $(oom_kills) -eq $kills_before ]] || { echo "memcached-reference: the cgroup OOM-killed a process" >&2; exit 1; }
  stats="$out/stats-$key_length.txt" slabs="$out/slabs-$key_length.txt"
  python3 bench/memcached-load.py stats --port $port > "$stats"
  python3 bench/memcached-load.py stats --port $port slabs > "$slabs"
  python3 bench/memcached-load.py stats --port $port items > "$out/items-$key_length.txt"
  # a set memcached finds no room for (SERVER_ERROR out of memory) counts here, not in cmd_set
  out_of_memory=$(awk '$1 ~ /:outofmemory$/ { n += $2 } END { print n + 0 }' "$out/items-$key_length.txt")
  peak_rss=$(awk '/^VmHWM/ { print $2 * 1024 }' "/proc/$memcached_pid/status")
  peak_cgroup=$(cat "$memory_cg/memory.max_usage_in_bytes")
  read -r _ written _ stored _ errors _ seconds < "$out/load-$key_length.txt"
  held=$(stat_of curr_items "$stats") evictions=$(stat_of evictions "$stats") total_items=$(stat_of total_items "$stats")
  bytes=$(stat_of bytes "$stats") limit=$(stat_of limit_maxbytes "$stats") cmd_set=$(stat_of cmd_set "$stats")
  # the slab class holding the items: the one with the most chunks in use (all items here are of one size)
  read -r class chunk pages < <(awk -F'[: ]' '/^[0-9]+:used_chunks / { if ($3 > used) { used = $3; class = $1 } }
    /^[0-9]+:chunk_size / { size[$1] = $3 } /^[0-9]+:total_pages / { pages[$1] = $3 }
    END { print class, size[class], pages[class] }' "$slabs")
  echo "| $key_length/256 | $entries | $held | $evictions | $((limit / 1048576)) MiB | $((bytes / 1048576)) MiB |" \
    "$((bytes / (held > 0 ? held : 1))) B in class $class's $chunk B chunks ($pages pages of 1 MiB) |" \
    "$(( $(stat_of hash_bytes "$stats") / 1048576 )) MiB |" \
    "$((peak_rss / 1048576)) MiB | $((peak_cgroup / 1048576)) MiB |"
  printf '%s %s %s %s %s\n' "$held" "$evictions" "$peak_rss" "$peak_cgroup" "$written" > "$out/result-$key_length"
  rate=$(awk -v n="$written" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
  counted="memcached counts $cmd_set sets, $out_of_memory out of memory, $total_items items stored"
  counted="$counted (curr_items + evictions = $((held + evictions)))"
  notes+=("$key_length/256: the loader sent $written sets in $seconds s ($rate sets/s), $stored stored, $errors refused; $counted")
  # the loader's count must be memcached's own, or the figures above are not of the entries this script wrote
  if [[ $stored -ne $total_items || $errors -ne $out_of_memory || $written -ne $((cmd_set + out_of_memory)) ]]; then
    echo "memcached-reference: the loader's count ($written sent, $stored stored, $errors refused) is not memcached's" \
      "($cmd_set sets, $total_items stored, $out_of_memory out of memory)" >&2
    exit 1
  fi
  [[ $errors -eq 0 ]] || notes+=("$key_length/256: $errors sets answered $(sed -n 's/.*other than STORED: //p' \
    "$out/load-$key_length.err"): its allocator found nothing to evict in its tries (stats items: outofmemory)")
  [[ $evictions -gt 0 ]] || notes+=("$key_length/256: no eviction: memcached was never full; write more entries")
  stop
  [[ $(oom_kills) -eq $kills_before ]] || { echo "memcached-reference: the cgroup OOM-killed a process" >&2; exit 1; }
done
echo
printf '%s\n' "${notes[@]}"
echo "memcached $(memcached -V | cut -d' ' -f2), -m 1536 -t 2 -c 1024, in a 2 GiB, 2-CPU cgroup; memcached refuses" \
  "keys over 250 bytes, so the 256/256 shape of kv-cache and Redis is 250/256 here"
