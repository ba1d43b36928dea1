# shellcheck shell=bash
# The lab's transparency log (sourced by lab/scenario.sh; docs/LAB.md "The log"): nginx and the
# two witnesses on the Internet host, publication of the authority's log with cosignatures, and
# the ISP nodes' copies fetched over HTTP.

# nginx (Debian nginx-light) with a configuration of its own, serving $LAB_DIR/www/<view>/log
# at http://198.51.100.10/log (and [2001:db8:100::10]). The view is picked by client address:
# every client gets "honest", except node b (10.255.2.2) which gets "node-b", a symbolic link to
# "honest" until the attacker of scenario b points it at a fork. Then the witnesses w1 and w2.
sc_log_servers() {
	local w addr n=$LAB_DIR/nginx
	mkdir -p "$n/tmp" "$LAB_DIR/www/honest/log" "$LAB_DIR/www/mirrors"
	ln -s honest "$LAB_DIR/www/node-b"
	cat >"$n/nginx.conf" <<EOC
# nginx of the lab's Internet host: the authority's log as static files
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log;
events { worker_connections 64; }
http {
	access_log $n/access.log;
	client_body_temp_path $n/tmp/body;
	proxy_temp_path $n/tmp/proxy;
	fastcgi_temp_path $n/tmp/fastcgi;
	uwsgi_temp_path $n/tmp/uwsgi;
	scgi_temp_path $n/tmp/scgi;
	default_type application/octet-stream;
	map \$remote_addr \$view { default honest; 10.255.2.2 node-b; }
	server {
		listen $LAB_INET4:80;
		listen [$LAB_INET6]:80;
		root $LAB_DIR/www/\$view;
	}
	# other publication mirrors (lab/pub_scenarios.sh): second, stale, tamper
	server {
		listen $LAB_INET4:8081;
		root $LAB_DIR/www/mirrors;
	}
}
EOC
	lx inet "$NGINX" -c "$n/nginx.conf" -g 'daemon off;' >>"$n/stderr.log" 2>&1 &
	lx inet ip addr add "$LAB_W1/32" dev lo
	lx inet ip addr add "$LAB_W2/32" dev lo
	for w in w1 w2; do
		lx inet "$WITNESS" -c "$LAB_DIR/$w/recall-witness.conf" >>"$LAB_DIR/$w/witness.log" 2>&1 &
	done
	SC_LOG_URL=http://$LAB_INET4/log
	for addr in "$LAB_INET4:80" "$LAB_INET4:8081" "$LAB_W1:7414" "$LAB_W2:7414"; do
		if ! sc_wait 50 sc_listening inet "$addr"; then
			echo "lab: nothing listens on $addr in inet" >&2
			cat "$n/stderr.log" "$n/error.log" "$LAB_DIR"/w?/witness.log >&2 2>/dev/null
			return 1
		fi
	done
}
sc_listening() { lx "$1" ss -ltnH | awk '{print $4}' | grep -qxF "$2"; }

# Publish the authority's log (or log directory $1): the offline log host's directory is carried
# to the Internet host (tiles first, the checkpoint last), where `recall log witness` collects
# the cosignatures of w1 and w2 into the served checkpoint.
sc_log_publish() {
	local src=${1:-$LAB_DIR/authority/log-host/log} dst=$LAB_DIR/www/honest/log
	mkdir -p "$dst/tile"
	[ -d "$src/tile" ] && cp -a "$src/tile/." "$dst/tile/"
	cp "$src/checkpoint" "$dst/checkpoint.tmp" && mv "$dst/checkpoint.tmp" "$dst/checkpoint"
	chmod -R a+rX "$LAB_DIR/www"
	sc_log_witness "$dst"
}
# recall log witness on log directory $1, from the Internet host (output: witness-client.log).
sc_log_witness() {
	lx inet "$RECALL" log witness --witness "http://$LAB_W1:7414" --witness "http://$LAB_W2:7414" \
		--vkey "$(cat "$LAB_DIR/w1/vkey")" --vkey "$(cat "$LAB_DIR/w2/vkey")" "$1" \
		>"$LAB_DIR/witness-client.log" 2>&1
}

# Node $1 fetches the log over HTTP into $LAB_DIR/isp-$1/log, with curl from inside the node:
# the checkpoint, then every tile and entry bundle its size implies (c2sp.org/tlog-tiles), the
# checkpoint put in place last so that recalld never sees it before its tiles. Issue 12 moves
# this fetching into recalld.
sc_log_fetch() {
	local n=$1 d=$LAB_DIR/isp-$1/log p size
	mkdir -p "$d"
	lx "$n" curl -sf --max-time 5 -o "$d/checkpoint.new" "$SC_LOG_URL/checkpoint" || return 1
	size=$(sed -n 2p "$d/checkpoint.new")
	for p in $(sc_tile_paths "$size"); do
		lx "$n" curl -sf --max-time 5 --create-dirs -o "$d/$p" "$SC_LOG_URL/$p" || return 1
	done
	mv "$d/checkpoint.new" "$d/checkpoint"
}
# The tile and entry bundle paths of a tree of size $1 (c2sp.org/tlog-tiles: 256 hashes a tile,
# an index written as 3-digit groups with "x" before all but the last, a partial tile's width
# after ".p/").
sc_tile_paths() {
	python3 - "$1" <<'EOP'
import sys
def name(i):
    parts = [f"{i % 1000:03d}"]
    while i >= 1000:
        i //= 1000
        parts.insert(0, f"x{i % 1000:03d}")
    return "/".join(parts)
size = int(sys.argv[1])
level = 0
while size >> (8 * level):
    n = size >> (8 * level)
    for kind in [str(level)] + (["entries"] if level == 0 else []):
        for t in range(n // 256):
            print(f"tile/{kind}/{name(t)}")
        if n % 256:
            print(f"tile/{kind}/{name(n // 256)}.p/{n % 256}")
    level += 1
EOP
}
