# Sourced by bench/run -p (bash): recalld answering normal check-ins next to private check-ins
# and notice requests (PROTOCOL.md 18), the same devices (recall-bench -m C:R, and --private:
# every device a private check-in, the recalled share also a notice request), ROUNDS rounds of
# WARM + DUR s each per mode, server CPU from /proc as bench/run measures it. Prints a Markdown
# table for docs/PERFORMANCE.md ("Issue 18: private check-ins", recalld).
for r in $(seq "$ROUNDS"); do
	log "round $r of $ROUNDS: normal and private, $WARM + $DUR s each"
	for mode in normal private; do
		extra=()
		[ "$mode" = private ] && extra=(--private)
		timeout $((WARM + 60)) "${PIN_CLI[@]}" "$BENCH" -p "$RD_PORT" --feed feed \
			--duration "$WARM" -S 4 -w 128 -m "$C:$R:0" "${extra[@]}" >/dev/null
		timeout $((DUR + 60)) "${PIN_CLI[@]}" "$BENCH" -p "$RD_PORT" --feed feed \
			--duration "$DUR" -S 4 -w 128 -m "$C:$R:0" -P "$RD_PID" --json "${extra[@]}" \
			>"$mode.$r.json"
		budget
	done
done
python3 - "$ROUNDS" "$C" "$R" <<'EOF' >table.md
import json, sys
rounds, c, r = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
# requests per device: 1 (normal); 1 private check-in + r/(c+r) notice requests (private)
per_dev = {"normal": 1.0, "private": (c + 2 * r) / (c + r)}
print("| mode | answered | lost | wrong | answers/s | server CPU s | answers per CPU-s (range) "
      "| devices per CPU-s | round trips per device | bytes per answer | bytes per device "
      "| latency us p50 / p99 |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for mode in ("normal", "private"):
    runs = []
    for i in range(1, rounds + 1):
        j = json.load(open("%s.%d.json" % (mode, i)))
        j["per_cpu"] = j["answered"]["total"] / j["server_cpu_s"] if j["server_cpu_s"] > 0 else 0
        runs.append(j)
    runs.sort(key=lambda j: j["per_cpu"])
    m = runs[(len(runs) - 1) // 2]
    k = per_dev[mode]
    lat = m["latency_us"]
    print("| %s | %d | %d | %d | %.0f | %.2f | %.0f (%.0f-%.0f) | %.0f | %.2f | %.0f | %.0f "
          "| %.0f / %.0f |" % (
              mode, m["answered"]["total"], m["lost"], m["wrong"], m["answers_per_s"],
              m["server_cpu_s"], m["per_cpu"], runs[0]["per_cpu"], runs[-1]["per_cpu"],
              m["per_cpu"] / k, k, m["answer_bytes_mean"],
              k * (1200 + m["answer_bytes_mean"]), lat["p50"], lat["p99"]))
EOF
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cat <<EOF

### recalld, private check-ins: $(date -u '+%Y-%m-%d %H:%M UTC') on $NCPU CPUs ($CPU_MODEL)

Command: \`$CMDLINE\` (build in ${BUILD#"$SRC"/}); load average at the end:
$(cut -d' ' -f1-3 /proc/loadavg). Feed: $NOTICES notices of ~$NOTICE_BYTES bytes; devices
$C:$R clear:recalled; $ROUNDS rounds of $WARM s warm-up + $DUR s per mode; $PINNING; recalld
workers = 1, rate limit off; recall-bench -S 4 -w 128. Each row is the mode's median round.

$(cat table.md)
EOF
log "done in $((SECONDS - START)) s"
