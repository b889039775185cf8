#!/usr/bin/env bash
# How many entries a three-member cluster holds against one local instance of the same budget: the question of
# docs/cluster.md's "Sizing". Three members, each started as the image starts them in a cgroup of its own
# (--memory, default 2g, as three t3.smalls), one backup (every entry on two members), all of them given
# kvcache.max-memory=BUDGET; unique 256/256 entries (bench/fill.lua) are put through member 1 until FACTOR times
# what the three can hold has been written, so that every member evicts. Then one local instance of the same budget
# in the same cgroup, filled the same way. Entries held: for the cluster, the sum over the members of the entries
# each is the primary owner of (every entry has exactly one; `cache.size`), for the local instance its
# `cache.size`; both checked by reading back the newest keys. Prints the two and their ratio, and two times: how
# long the members took from their start to ready (joined, every entry backed up), and a rejoin: member 3 stopped
# (SIGTERM) and started again into the full cluster, from its start until it is ready again, its share of the
# entries received (the two left evict what no longer fits in their budgets, as any full cache must).
# Takes about 25 minutes at the defaults (the cluster takes puts at ~5,000/s on one machine), 6 at 256MB.
#
#   bench/cluster-capacity.sh [--budget 1536MB] [--factor 1.3] [--memory 2g] [--backups 1] [--recent 20000]
#
# A small budget answers faster but not the same question: a member's budget counts its engine's own memory (80 MB,
# at most a quarter of the budget: MemoryBudget.INFINISPAN_ENGINE), so the smaller the budget, the smaller the
# share of it the entries get.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=1536MB factor=1.3 memory=2g backups=1 recent=20000 port=7391 connections=32
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --factor) factor="$2"; shift 2 ;;
    --memory) memory="$2"; shift 2 ;;
    --backups) backups="$2"; shift 2 ;;
    --recent) recent="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[[ -f target/kv-cache.jar ]] || ./mvnw -B -q package -DskipTests
out=target/cluster-capacity
mkdir -p "$out"

runners=()
stop_all() {
  for runner in "${runners[@]}"; do kill "$runner" 2>/dev/null || true; done
  for runner in "${runners[@]}"; do wait "$runner" 2>/dev/null || true; done # SIGTERM's status, not a failure
  runners=()
}
trap stop_all EXIT

metric() { # port name → value
  curl -fs "localhost:$1/actuator/metrics/$2" | sed -E 's/.*"value":([0-9.Ee+-]+).*/\1/' | awk '{ printf "%.0f", $1 }'
}
ready() { # port members → waits until the instance is ready and sees that many members (0: local)
  for _ in $(seq 1 480); do
    if curl -fs -o /dev/null "localhost:$1/actuator/health/readiness" \
        && { [[ $2 -eq 0 ]] || [[ "$(metric "$1" cache.cluster.members)" == "$2" ]]; }; then
      return 0
    fi
    sleep 0.5
  done
  echo "capacity: the instance on port $1 was not ready in 4 minutes" >&2
  exit 1
}
fill() { # port mode from to seconds → "rps p50 p99 errors requests"
  FILL_MODE=$2 FILL_FROM=$3 FILL_TO=$4 wrk -t1 -c$connections -d"$5"s --timeout 10s -s bench/fill.lua \
    "http://127.0.0.1:$1" 2>&1 | sed -n 's/^RESULT //p'
}
fill_until() { # port target → writes unique entries through that port until target have been written
  local written=0 errors=0 rps e requests
  while [[ $written -lt $2 ]]; do
    read -r rps _ _ e requests <<< "$(fill "$1" put "$written" 0 10)"
    written=$((written + requests)) errors=$((errors + e))
    echo "capacity: $written of $2 written, $rps puts/s" >&2
  done
  [[ $errors -eq 0 ]] || { echo "capacity: $errors puts failed" >&2; exit 1; }
  echo "$written"
}
newest_hit() { # port written → share of the newest $recent keys that hit, in %
  local reads=0 errors=0 e requests
  while [[ $reads -lt $recent ]]; do
    read -r _ _ _ e requests <<< "$(fill "$1" get $(($2 - recent + reads)) "$2" 5)"
    reads=$((reads + requests)) errors=$((errors + e))
  done
  echo $(( (reads - errors) * 100 / reads ))
}

# The cluster: three members, one backup.
members=127.0.0.1:$((port + 1001)),127.0.0.1:$((port + 1002)),127.0.0.1:$((port + 1003))
member() { # m → starts member m
  scripts/container-run.sh --memory "$memory" --server.port=$((port + $1)) --kvcache.ttl=1h \
    --kvcache.max-memory="$budget" --kvcache.mode=cluster --kvcache.cluster.backup-count="$backups" \
    --kvcache.cluster.bind-address=127.0.0.1 --kvcache.cluster.port=$((port + 1000 + $1)) \
    --kvcache.cluster.members="$members" --kvcache.cluster.name=capacity-$$ >> "$out/member-$1.log" 2>&1 &
  runners+=($!)
}
: > "$out/member-1.log"; : > "$out/member-2.log"; : > "$out/member-3.log"
started=$(date +%s%N)
for m in 1 2 3; do member $m; done
for m in 1 2 3; do ready $((port + m)) 3; done
start_ms=$(( ($(date +%s%N) - started) / 1000000 ))
per_member=$(metric $((port + 1)) cache.memory.budget)
# What three can hold at 512 bytes an entry (a 256/256 entry's cost, with the allocator's), written FACTOR times.
target=$(bc <<< "$factor * 3 * $per_member / ($backups + 1) / 512")
written=$(fill_until $((port + 1)) "$target")
cluster_held=0
for m in 1 2 3; do
  held=$(metric $((port + m)) cache.size)
  echo "capacity: member $m is the primary owner of $held entries, $(( $(metric $((port + m)) cache.memory.used) / 1048576 )) MB used"
  cluster_held=$((cluster_held + held))
done
cluster_hits=$(newest_hit $((port + 1)) "$written")

# Rejoin: member 3 leaves (SIGTERM, as a rolling restart does), the two left are ready again, member 3 comes back.
kill "${runners[2]}"; wait "${runners[2]}" 2>/dev/null || true
for m in 1 2; do ready $((port + m)) 2; done
started=$(date +%s%N)
member 3
ready $((port + 3)) 3
rejoin_ms=$(( ($(date +%s%N) - started) / 1000000 ))
rejoined_held=$(metric $((port + 3)) cache.size)
stop_all

# One local instance of the same budget, in the same cgroup.
scripts/container-run.sh --memory "$memory" --server.port=$((port + 10)) --kvcache.ttl=1h \
  --kvcache.max-memory="$budget" > "$out/local.log" 2>&1 &
runners+=($!)
ready $((port + 10)) 0
local_written=$(fill_until $((port + 10)) "$(bc <<< "$factor * $(metric $((port + 10)) cache.memory.budget) / 480")")
local_held=$(metric $((port + 10)) cache.size)
local_hits=$(newest_hit $((port + 10)) "$local_written")
stop_all

echo
echo "| budget $budget each, 256/256 entries | entries held | newest $recent keys that hit |"
echo "|---|---|---|"
echo "| three members, $backups backup(s) ($written written through member 1) | $cluster_held | $cluster_hits% |"
echo "| one local instance ($local_written written) | $local_held | $local_hits% |"
echo "| ratio | $(bc -l <<< "scale=2; $cluster_held / $local_held") | |"
echo
echo "three members started together, all ready (joined, backed up) in $start_ms ms;"\
  "member 3 restarted into the full cluster, ready again in $rejoin_ms ms, primary owner of $rejoined_held entries"
