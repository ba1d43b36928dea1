# Per-mapping totals of a /proc/PID/smaps file (bench/gate/gate_250.sh): one line per mapped
# file (its base name), [heap], [stack], [anon] (anonymous mappings without a name) and the
# like, with Rss, Pss and Private_Dirty in KiB, largest Rss first, then the sum.
/^[0-9a-f]+-[0-9a-f]+ / {
	n = (NF >= 6) ? $6 : "[anon]"
	sub(/.*\//, "", n)
	next
}
/^Rss:/ { rss[n] += $2; trss += $2 }
/^Pss:/ { pss[n] += $2; tpss += $2 }
/^Private_Dirty:/ { pd[n] += $2; tpd += $2 }
END {
	cmd = "sort -k2,2nr"
	for (k in rss)
		if (rss[k] > 0)
			printf "%-32s %7d %7d %7d\n", k, rss[k], pss[k], pd[k] | cmd
	close(cmd)
	printf "%-32s %7d %7d %7d\n", "total", trss, tpss, tpd
}
