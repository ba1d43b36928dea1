# shellcheck shell=sh
# recall-conform's private-mode tests (PROTOCOL.md 18), sourced by the runner after tests.sh:
# they run when the adapter's info says mode=private and are "skip (normal mode)" otherwise. A
# private check-in carries no identity, so the responder takes the one the adapter states
# (the runner writes it next to the mode file) and walks as 18.4 describes: page 0 of 2 lists
# a decoy model, page 1 the DUT's tag with 2 notices, notice 0 a genuine one for another build,
# notice 1 the mode's (conform/resp_private.c). Judged, like the rest, from the responder's log.

# The private forgeries: mode and clause (run through forgery() of tests.sh).
PRIV_FORGERIES="pnocover:18.4,9.3 precalled:18.4,12.3 pbucketnonce:7.1,18.4"
PRIVATE_TESTS="private-walk-quarantine private-release-bucket private-wire private-fetch-listed
$(for f in $PRIV_FORGERIES; do echo "forgery-${f%%:*}"; done)"

# A line of the log is a private check-in or a notice request (a normal check-in has no type=).
t_private() {
	if [ "$DUT_MODE" != private ]; then
		for t in $PRIVATE_TESTS; do
			want "$t" && result "$t" 18 - skip "normal mode"
		done
		return 0
	fi
	if want private-walk-quarantine; then
		n0=$(lines)
		mode recall
		trigger
		e=$(quarantine_probe)
		since "$n0" | grep -q ' type=private .* page=1 ' || e="$e no private check-in for page 1;"
		since "$n0" | grep -q ' type=notice .* own=1 index=1 ' || e="$e notice 1 not asked for;"
		judge "$e" private-walk-quarantine 18.4,9.5 "$REG_QUAR" \
			"paged to its tag, skipped notice 0 (another build), quarantined by notice 1" \
			"the walk to the covering notice: "
	fi
	if want private-release-bucket; then
		n0=$(lines)
		mode clear
		trigger
		e=$(quarantined_evidence)
		since "$n0" | grep -q ' type=private ' || e="$e no private check-in;"
		judge "$e" private-release-bucket 18.4,12.5 "$REG_QUAR" \
			"a bucket without its tag released" "after a bucket without its tag: "
	else
		release
	fi
	for f in $PRIV_FORGERIES; do forgery "${f%%:*}" "${f#*:}"; done
}

# Judged from every datagram of the run (t_datagrams' snapshot, final.log).
t_private_wire() {
	[ "$DUT_MODE" = private ] || return 0
	all=$W/final.log
	tot=$(grep -c ' type=' "$all")
	if want private-wire; then
		e=''
		n=$(grep -vc ' type=' "$all")
		[ "$n" -eq 0 ] || e="$e $n normal check-ins;"
		n=$(grep ' type=' "$all" | grep -vc ' len=1200 ok=1 ')
		[ "$n" -eq 0 ] || e="$e $n not 1200 bytes or malformed (an identity map is);"
		n=$(grep ' type=' "$all" | grep -vc ' idstr=0 ')
		[ "$n" -eq 0 ] || e="$e $n carry the vendor, model, hwrev or fwver string;"
		n=$(grep ' type=private ' "$all" | grep -vc ' ownprefix=1 ')
		[ "$n" -eq 0 ] || e="$e $n name another prefix;"
		judge "$e" private-wire 18.1,18.2,6.2 "$REG_DATA" \
			"$tot datagrams, all private check-ins or notice requests of 1200 bytes, no identity" \
			"private datagrams:"
	fi
	if want private-fetch-listed; then
		# Only the walk's buckets (modes other than clear and the bucket forgery) list its tag.
		e=''
		n=$(grep ' type=notice ' "$all" | grep -vc ' own=1 ')
		[ "$n" -eq 0 ] || e="$e $n notice requests for another tag;"
		n=$(grep ' type=notice ' "$all" | grep -Ec ' mode=(clear|pbucketnonce) ')
		[ "$n" -eq 0 ] || e="$e $n notice requests after a bucket without its tag;"
		n=$(grep -c ' type=notice ' "$all")
		[ "$n" -gt 0 ] || e="$e no notice request at all;"
		judge "$e" private-fetch-listed 18.4 "$REG_DATA" \
			"$n notice requests, all for its tag after a bucket that listed it" "notice requests:"
	fi
}
