# shellcheck shell=sh
# Real-device mode of recall-conform (--device IFACE), sourced by it. The device is cabled to
# IFACE, a dedicated bench port: the suite moves IFACE into its network namespace, where the
# DHCP server, router advertisements, responder, LAN, remedy and "Internet" hosts live, so every
# packet the suite sends leaves by IFACE or stays in namespaces it made. At exit IFACE goes back.
# Without an adapter the tester does each step the adapter would (tester): the suite prompts on
# standard error, reads the answer from standard input, bounds the wait (--tester-timeout) and
# times the step; the steps are listed in both reports.

# device_check: IFACE must be a bench port carrying nothing else (its addresses would be lost).
device_check() {
	case $DEVICE in lo | */* | *' '*) die "--device $DEVICE: not a usable interface" ;; esac
	ip link show dev "$DEVICE" >/dev/null 2>&1 || die "--device $DEVICE: no such interface"
	if ip -o addr show dev "$DEVICE" scope global | grep -q . ||
		ip route show default dev "$DEVICE" | grep -q . || ip -6 route show default dev "$DEVICE" | grep -q .; then
		die "--device $DEVICE has addresses or routes: give a dedicated bench port"
	fi
	ip -o link show dev "$DEVICE" | grep -q ' master ' && die "--device $DEVICE is part of a bridge or bond"
	DEVICE_UP=0
	ip -o link show dev "$DEVICE" | grep -q '[<,]UP[,>]' && DEVICE_UP=1
}

# device_take: IFACE into the suite's network namespace (the tests' gateway interface).
device_take() {
	ip link set dev "$DEVICE" netns "$NET" || die "cannot move $DEVICE into $NET"
	MOVED=1
}

# device_return: IFACE back where it came from (this shell's namespace), as it was.
device_return() {
	ip -n "$NET" addr flush dev "$DEVICE" 2>/dev/null
	ip -n "$NET" link set dev "$DEVICE" down 2>/dev/null
	ip -n "$NET" link set dev "$DEVICE" netns "$$" && MOVED=0
	[ "$DEVICE_UP" -eq 1 ] && ip link set dev "$DEVICE" up
	[ $MOVED -eq 0 ] || echo "$PROG: could not move $DEVICE back" >&2
}

# ask STEP TEXT: prompt the tester, wait at most TT seconds for a line; prints the answer.
# The time the tester took goes to $W/steps (step, seconds, answer).
ask() {
	t0=$(date +%s.%N)
	echo "$PROG: [tester] $1: $2" >&2
	a=$(timeout --foreground "$TT" sh -c 'IFS= read -r l && printf "%s" "$l"')
	rc=$?
	t1=$(date +%s.%N)
	[ $rc -eq 0 ] || a="(no answer: $([ $rc -eq 124 ] && echo "timed out after $TT s" || echo "end of input"))"
	awk -v s="$1" -v a="$a" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%s\t%.1f\t%s\n", s, t1 - t0, a }' >>"$W/steps"
	printf '%s\n' "$a"
	return $rc
}

# tester VERB [ARG]: the adapter protocol, done by the tester. Exit status as an adapter's.
tester() {
	case $1 in
	info)
		[ -n "$INFO" ] && cat "$INFO"
		echo "probe=yes"
		return 0
		;;
	start) t="power the device on now, then press Enter once it is up" ;;
	stop) t="power the device off now, then press Enter" ;;
	reboot) t="power-cycle the device now (off, then on again), then press Enter once it is up" ;;
	link-down) t="unplug the device's network cable now, then press Enter" ;;
	link-up) t="plug the device's network cable back in now, then press Enter once its link is up" ;;
	dhcp-renew) t="make the device renew its DHCP lease now, then press Enter (type skip if it cannot)" ;;
	checkin) t="make the device check in now, then press Enter (type skip: the suite asks for a cable unplug instead)" ;;
	set-firmware) t="install firmware version $2 on the device and let it restart, then press Enter (type skip if you cannot)" ;;
	override) t="$([ "$2" = on ] && echo "set" || echo "clear") the owner's override of the held recall on the device, then press Enter (type skip if it has none)" ;;
	state) t="which state does the device show: type normal, quarantined or overridden (Enter: it does not show one)" ;;
	probe) t="from the device, try to reach $2 (ping or any connection): did it get through? type y or n" ;;
	*) return 3 ;;
	esac
	a=$(ask "$1${2:+ $2}" "$t") || return 1
	case $1:$a in
	*:skip) return 3 ;;
	state:normal | state:quarantined | state:overridden) echo "$a" ;;
	state:*) echo unknown ;;
	probe:y | probe:yes) return 0 ;;
	probe:*) return 1 ;;
	esac
	return 0
}

# tester_setup: what the device must be given before it is powered on.
tester_setup() {
	ask setup "cable the device to $DEVICE, give it the suite's trust anchors ($CONFORM_ANCHORS; \
recall-conform-responder anchors FILE writes the same set) and the check-in addresses \
198.51.100.74 and 2001:db8:74::74 port 7412, leave it powered off, then press Enter" >/dev/null ||
		die "the tester did not confirm the setup"
}

# steps_report: the tester's steps and their times, for the human report.
steps_report() {
	[ -s "$W/steps" ] || return 0
	awk -F '\t' '{ n++; t += $2; if ($2 > m) { m = $2; ms = $1 } }
		END { printf "tester steps: %d, %.1f s in all, longest %.1f s (%s)\n", n, t, m, ms }' "$W/steps"
	awk -F '\t' '{ printf "  %7.1f s  %-28s %s\n", $2, $1, $3 }' "$W/steps"
}
