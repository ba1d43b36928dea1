#!/usr/bin/env python3
"""A misbehaving publication mirror on loopback for tests/integration/pubfetch_limits.sh.
Usage: mirror_server.py PORTFILE LOGFILE. Paths under /pub/:
  recall-publication  200 with ETag and Last-Modified; 304 when If-None-Match matches
  small               2000 bytes;  big: 100000 bytes with Content-Length
  endless             an endless chunked body (stops at 64 MiB); logs the bytes it got out
  slow                10 bytes a second, without end (stops after 60 s)
  redir-http          302 to /pub/small on this server; redir-https: 302 to https://
  error               500;  anything else: 404
Every request line (and, for endless, "endless sent N") goes to LOGFILE."""
import http.server
import sys
import time

ETAG = '"rc-1"'
LASTMOD = "Thu, 01 Jan 2026 00:00:00 GMT"


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        with open(sys.argv[2], "a") as f:
            f.write("%s %s\n" % (self.path, self.headers.get("If-None-Match") or "-"))

    def body(self, data, code=200, extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        p = self.path
        if p == "/pub/recall-publication":
            if self.headers.get("If-None-Match") == ETAG:
                self.send_response(304)
                self.send_header("ETag", ETAG)
                self.end_headers()
                return
            self.body(b"T" * 900, extra=[("ETag", ETAG), ("Last-Modified", LASTMOD)])
        elif p == "/pub/small":
            self.body(b"s" * 2000)
        elif p == "/pub/big":
            self.body(b"b" * 100000)
        elif p == "/pub/endless":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            chunk = b"e" * 16384
            try:
                while sent < (64 << 20):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent += len(chunk)
            except OSError:
                pass
            with open(sys.argv[2], "a") as f:
                f.write("endless sent %d\n" % sent)
            self.close_connection = True
        elif p == "/pub/slow":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(60):
                    self.wfile.write(b"x" * 10)
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            self.close_connection = True
        elif p == "/pub/redir-http":
            self.body(b"", 302, [("Location", "/pub/small")])
        elif p == "/pub/redir-https":
            self.body(b"", 302, [("Location", "https://127.0.0.1:1/pub/small")])
        elif p == "/pub/error":
            self.body(b"no", 500)
        else:
            self.body(b"not found", 404)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
