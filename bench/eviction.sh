#!/usr/bin/env bash
# Eviction simulation: the hit ratio of the service's real store on every workload of
# src/test/java/dev/kvcache/cache/Workload.java, next to Caffeine alone, LRU and FIFO, from an empty cache of
# the same capacity (EvictionSimulator). With --caffeine VERSION the same runs on another Caffeine release
# (its jar from the local Maven repository or Maven Central), e.g. --caffeine 3.2.4, the one before the recency
# reserve.
#   bench/eviction.sh [--caffeine VERSION] [capacity, default 50000] [seed, default 1]
set -euo pipefail
cd "$(dirname "$0")/.."

caffeine=""
if [[ "${1:-}" == "--caffeine" ]]; then caffeine=$2; shift 2; fi
./mvnw -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
classpath=$(cat target/test.classpath)
if [[ -n "$caffeine" ]]; then
  ./mvnw -B -q dependency:get -Dartifact="com.github.ben-manes.caffeine:caffeine:$caffeine" >/dev/null
  jar="$HOME/.m2/repository/com/github/ben-manes/caffeine/caffeine/$caffeine/caffeine-$caffeine.jar"
  classpath=$(tr ':' '\n' <<< "$classpath" | sed "s#.*/caffeine-[0-9.]*\.jar#$jar#" | paste -sd:)
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$java" -Xmx2g ${EVICTION_OPTS:-} -cp "target/test-classes:target/classes:$classpath" dev.kvcache.local.EvictionSimulator "$@"
