#!/usr/bin/env bash
# JMH micro-benchmarks of the store (src/jmh/java), at 1 and then 2 threads.
#   bench/jmh.sh [JMH options, e.g. -f 2 -i 10 or a benchmark regex]
# Uses JAVA_HOME's java (JDK 25 gives the container's figures: add -jvmArgsAppend -XX:+UseCompactObjectHeaders).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -Pjmh test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath
classpath="target/test-classes:target/classes:$(cat target/jmh.classpath)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
for threads in 1 2; do
  "$java" -cp "$classpath" org.openjdk.jmh.Main -t "$threads" -rf text -rff "target/jmh-$threads-threads.txt" "$@"
done
