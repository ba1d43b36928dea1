# Sourced by the gate's netns tests (POSIX sh). ns_reap NS: end every process still in the
# namespace (ip netns pids: also those a test's subshell started, such as a dnsmasq whose
# parent was killed), SIGKILL after 3 s (waited for up to 1 s more), then delete the namespace.
ns_reap() {
	rp=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$rp" ] && kill $rp 2>/dev/null
	for _ in $(seq 30); do
		[ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break
		sleep 0.1
	done
	rp=$(ip netns pids "$1" 2>/dev/null)
	if [ -n "$rp" ]; then
		kill -9 $rp 2>/dev/null
		for _ in $(seq 10); do
			[ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break
			sleep 0.1
		done
	fi
	ip netns del "$1" 2>/dev/null
}
