#!/bin/sh
# Smoke test of the benchmark tools: recall-bench against recall-bench-echo on loopback for one
# second; every request must come back (--strict), and a non-loopback target must be refused.
# usage: smoke.sh RECALL_BENCH RECALL_BENCH_ECHO
set -eu
bench=$1 echo=$2
port=$(( 20000 + $$ % 20000 ))
"$echo" -a 127.0.0.1 -p "$port" -t 1 -m 30 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
i=0
until ss -Huln "sport = :$port" | grep -q .; do
	i=$((i + 1)); [ "$i" -lt 50 ] || { echo "echo server did not start"; exit 1; }
	sleep 0.1
done
"$bench" -p "$port" --echo -m 1:0:0 --duration 1s -n 200000 -S 2 -w 64 --strict -P "$pid"
out=$("$bench" -p "$port" --echo -m 1:0:0 --duration 1 -T 1s -n 1000 --json)
echo "$out" | grep -q '"lost":0,' || { echo "json: $out"; exit 1; }
echo "$out" | grep -q '"duration":1.000,' || { echo "duration: $out"; exit 1; }
# -d, the old letter of --duration (-d is --debug in the daemons), works with a warning
err=$("$bench" -p "$port" --echo -m 1:0:0 -d 500ms -n 10 2>&1 >/dev/null)
echo "$err" | grep -q "use --duration" || { echo "-d: $err"; exit 1; }
if "$bench" -s 192.0.2.1 -p "$port" -m 1:0:0 --duration 1 -n 10 2>/dev/null; then
	echo "a non-loopback address was accepted"; exit 1
fi
echo ok
