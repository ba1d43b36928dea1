#!/usr/bin/env python3
"""Drives Debian's headless Chromium through the owner's page of recall-gate, for
tests/netns/gate_web.sh. Standard library only: the DevTools protocol over
--remote-debugging-pipe (JSON messages separated by NUL bytes on fds 3 and 4), no websocket.

Usage: gate_web_browser.py URL PASSWORD OUTDIR MAC ACTION [NAMES_FILE]
  Logs in by typing the password and clicking "Log in", saves OUTDIR/page.png (a phone-sized
  full-page screenshot) and OUTDIR/page.html (the DOM after load), checks the DOM (see
  check_dom), then clicks the ACTION button of device MAC with the mouse (a real form
  submission carrying the page's CSRF token) and checks the page after the redirect.
  NAMES_FILE: one payload per line that must appear as text on the page.
Exit 0 when every check passed; 1 with a line per failed check; 2 on a browser problem."""
import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time

TIMEOUT = 30.0  # seconds for any one browser step


class Browser:
    def __init__(self, profile):
        cmd_r, cmd_w = os.pipe()  # we write commands, Chromium reads fd 3
        ev_r, ev_w = os.pipe()    # Chromium writes fd 4, we read

        def child_fds():
            os.dup2(cmd_r, 3)
            os.dup2(ev_w, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
             "--user-data-dir=" + profile, "--remote-debugging-pipe", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-sync",
             "--disable-background-networking", "--disable-component-update",
             "--password-store=basic", "about:blank"],
            preexec_fn=child_fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile, "stderr"), "wb"))
        os.close(cmd_r)
        os.close(ev_w)
        self.w, self.r = cmd_w, ev_r
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from the browser")
            ready, _, _ = select.select([self.r], [], [], left)
            if ready:
                chunk = os.read(self.r, 65536)
                if not chunk:
                    raise EOFError("the browser closed its pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self._read_msg(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, name):
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    del self.events[i]
                    return e
            self.events.append(self._read_msg(deadline))

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("page script failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def navigate_and_wait(self, url):
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def click(self, selector):
        """A real mouse click in the middle of the element (scrolled into view first)."""
        box = self.eval("(() => { const e = document.querySelector(%s); if (!e) return null;"
                        " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                        " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
                        % json.dumps(selector))
        if not box:
            raise RuntimeError("nothing to click: " + selector)
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        for t in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": t, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})
        self.wait_event("Page.loadEventFired")

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# Everything about the DOM the page must hold after load, evaluated in the page.
DOM_CHECK = r"""(() => {
  const all = [...document.querySelectorAll('*')];
  const onattrs = [];
  for (const e of all)
    for (const a of e.attributes)
      if (a.name.toLowerCase().startsWith('on') || /^\s*javascript:/i.test(a.value))
        onattrs.push(e.tagName + ' ' + a.name + '=' + a.value);
  const hrefs = [...document.querySelectorAll('[href],[src],[action],[formaction]')]
      .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') ||
                e.getAttribute('formaction'));
  const devs = [...document.querySelectorAll('section.dev')].map(s => ({
      mac: s.dataset.mac, name: s.querySelector('.name').textContent,
      state: s.querySelector('.state').textContent,
      text: s.textContent,
      forms: [...s.querySelectorAll('form')].map(f => ({
          action: f.getAttribute('action'),
          csrf: (f.querySelector('input[name=csrf]') || {}).value || ''}))}));
  return {
    scripts: document.querySelectorAll('script').length,
    active: document.querySelectorAll('img,svg,iframe,object,embed,video,audio,math,base,meta[http-equiv],link').length,
    styles: document.querySelectorAll('style').length,
    onattrs: onattrs, hrefs: hrefs, devices: devs,
    header_bg: getComputedStyle(document.querySelector('header')).backgroundColor,
    title: document.title, path: location.pathname,
    flash: (document.getElementById('msg') || {}).textContent || '',
    body: document.body.textContent,
  };
})()"""


def check_dom(d, names, failures):
    def check(ok, what):
        if not ok:
            failures.append(what)
    check(d["scripts"] == 0, "the page has %d <script> elements" % d["scripts"])
    check(d["active"] == 0, "the page has %d img/svg/iframe/... elements" % d["active"])
    check(d["styles"] == 1, "the page has %d <style> elements, not 1" % d["styles"])
    check(not d["onattrs"], "event-handler or javascript: attributes: %s" % d["onattrs"])
    for h in d["hrefs"]:
        check(h.startswith("/") or h.startswith("http://") or h.startswith("https://"),
              "a link or form to %r" % h)
    # the inline style applied: the CSP hash matches the style element
    check(d["header_bg"] == "rgb(34, 34, 51)",
          "header background %s: the inline style was blocked" % d["header_bg"])
    tokens = {f["csrf"] for dev in d["devices"] for f in dev["forms"]}
    check(len(tokens) == 1 and len(next(iter(tokens), "")) == 64,
          "every form carries the one 64-hex CSRF token: %s" % tokens)
    for n in names:
        check(n in d["body"], "payload not shown as text: %r" % n)


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    url, password, out, mac, action = sys.argv[1:6]
    names = []
    if len(sys.argv) > 6:
        with open(sys.argv[6], encoding="utf-8") as f:
            names = [l.rstrip("\n") for l in f if l.strip()]
    failures = []
    profile = tempfile.mkdtemp(prefix="rcg3-chromium-", dir=out)
    b = Browser(profile)
    try:
        t = b.call("Target.getTargets", session=False)
        page = next(x for x in t["targetInfos"] if x["type"] == "page")
        b.session = b.call("Target.attachToTarget", {"targetId": page["targetId"],
                                                    "flatten": True},
                           session=False)["sessionId"]
        b.call("Page.enable")
        b.call("Runtime.enable")
        # a phone: 412 CSS pixels wide
        b.call("Emulation.setDeviceMetricsOverride", {"width": 412, "height": 900,
                                                      "deviceScaleFactor": 1, "mobile": True})
        b.navigate_and_wait(url + "/")
        if b.eval("location.pathname") != "/login":
            failures.append("without a session / did not lead to /login")
        b.eval("document.getElementById('password').focus()")
        b.call("Input.insertText", {"text": password})
        b.click("#login")
        d = b.eval(DOM_CHECK)
        if d["path"] != "/":
            raise RuntimeError("login failed: at %s: %s" % (d["path"], d["flash"]))
        check_dom(d, names, failures)
        html = b.eval("document.documentElement.outerHTML")
        # the screenshot shows every device's sources too
        b.eval("document.querySelectorAll('details').forEach(e => e.open = true)")
        with open(os.path.join(out, "page.html"), "w", encoding="utf-8") as f:
            f.write(html)
        shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(os.path.join(out, "page.png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        with open(os.path.join(out, "devices.json"), "w", encoding="utf-8") as f:
            json.dump(d["devices"], f, indent=1)
        # click the action of one device: the browser submits the form with its token
        b.click('section[data-mac="%s"] form[action$="/%s"] button' % (mac, action))
        after = b.eval(DOM_CHECK)
        if after["path"] != "/":
            failures.append("after the click the browser is at %s" % after["path"])
        if ("%s %s: done." % (action, mac)) not in after["flash"]:
            failures.append("after the click the page says %r" % after["flash"])
        check_dom(after, names, failures)
        shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(os.path.join(out, "after.png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        if any(e.get("method") == "Page.javascriptDialogOpening" for e in b.events):
            failures.append("a script ran: a JavaScript dialog opened")
    except (RuntimeError, TimeoutError, EOFError, StopIteration, KeyError) as e:
        print("gate_web_browser: %s" % e, file=sys.stderr)
        b.close()
        return 2
    b.close()
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
