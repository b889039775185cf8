#!/usr/bin/env bash
# Trace replays: the hit ratio of the service's real store on recorded traces of real caches' keys, next to
# Caffeine alone, LRU and FIFO at the same budget, each cache-aside from empty
# (src/test/java/dev/kvcache/local/TraceReplay.java says which formats and capacities). The traces are not in the
# repository: DIR (default ../shared/traces) holds them, each file named after its format, e.g.
# cache2k-web07.trace.xz, corda-trace_vaultservice.gz, scarab-recs.trace.xz, lirs-loop.trace.gz.
#   bench/traces.sh [--traces DIR] [--only NAME,...] [capacities...]
# A capacity is a number of entries, or with a decimal point a share of each trace's distinct keys (0.1); by
# default 5%, 10% and 25% of them (25%, 50% and 75% for traces of fewer than 10,000 distinct keys).
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
classpath=$(cat target/test.classpath)
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$java" -Xmx3g ${EVICTION_OPTS:-} -cp "target/test-classes:target/classes:$classpath" dev.kvcache.local.TraceReplay "$@"
