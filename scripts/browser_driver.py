#!/usr/bin/env python3
"""Drive headless Chromium through the DevTools protocol (standard library only).

Opens one page, waits until its script reports `document.body.dataset.ready` (or an error), runs
the steps of a JSON file and prints a JSON list with one result per step:

  {"eval": "js expression"}                  value of the expression (promises awaited)
  {"mouse": [type, x, y, modifiers, buttons]} a real input event (type mouseMoved|mousePressed|
                                             mouseReleased; modifiers 8 = shift; buttons 1 = left held);
                                             x may be a page expression giving [x, y], then y an offset
  {"sleep": seconds}
  {"screenshot": "path.png"}                 a PNG of the viewport

Chromium reads commands on fd 3 and writes replies on fd 4 (--remote-debugging-pipe), each a JSON
message ended by a NUL byte. Used by the explorer's browser tests (Tests/ReportTests) and by the
frame-time measurements; usage:
  browser_driver.py --chromium /usr/bin/chromium --url file:///…/map.html --steps steps.json
                    [--downloads DIR] [--width 1200 --height 800] [--timeout 60]
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, chromium, width, height):
        self.profile = tempfile.TemporaryDirectory(prefix="embedviz-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def wire():  # in the child: the protocol's fds 3 (commands in) and 4 (replies out), inheritable
            commands, replies = os.dup(to_chrome_r), os.dup(from_chrome_w)  # the pipe may already sit on 3 or 4
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        args = [chromium, "--headless", "--no-sandbox", "--remote-debugging-pipe", "--no-first-run",
                "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--mute-audio",
                "--user-data-dir=" + self.profile.name, f"--window-size={width},{height}", "about:blank"]
        self.process = subprocess.Popen(args, preexec_fn=wire, close_fds=False,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self.receive(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def receive(self, deadline):
        while b"\0" not in self.buffer:
            if time.time() > deadline:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the protocol pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url, width, height, downloads):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        if downloads:
            self.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads}, session=False)
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression, timeout=60):
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True},
                           timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(f"{expression}: {details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=10)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.profile.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--url", required=True)
    parser.add_argument("--steps", required=True)
    parser.add_argument("--downloads")
    parser.add_argument("--ready", default="document.body.dataset.ready",
                        help="page expression that is truthy once the page is ready (default: data-ready on <body>)")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    steps = json.load(open(args.steps))
    browser = Browser(args.chromium, args.width, args.height)
    results = []
    try:
        browser.open(args.url, args.width, args.height, args.downloads)
        deadline = time.time() + args.timeout
        state = None
        while time.time() < deadline:
            try:
                state = browser.evaluate(f"document.body ? [String(({args.ready}) || ''), document.body.dataset.error || ''] : ['', '']")
            except RuntimeError as error:
                # A page that navigates on load (the explorer's opener page forwards to its folder)
                # ends the evaluation in flight; ask the page it navigated to.
                if "navigated or closed" not in str(error) and "Cannot find context" not in str(error):
                    raise
                state = None
            if state and (state[0] or state[1]):
                break
            time.sleep(0.05)
        if not state or not (state[0] or state[1]):
            raise TimeoutError("the page did not become ready")
        if state[1]:
            raise RuntimeError("page error: " + state[1])
        for step in steps:
            if "eval" in step:
                results.append(browser.evaluate(step["eval"], timeout=args.timeout))
            elif "mouse" in step:
                kind, x, y, *rest = step["mouse"]
                if isinstance(x, str):  # a page expression giving the position, e.g. "explorer.cssPosition(12)"
                    x, y = [a + b for a, b in zip(browser.evaluate(x), y or [0, 0])]
                modifiers, buttons = (rest + [0, 0])[:2]
                pressed = kind != "mouseMoved" or buttons
                browser.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "modifiers": modifiers,
                                                          "button": "left" if pressed else "none",
                                                          "buttons": 1 if kind == "mousePressed" else buttons, "clickCount": 1})
                results.append(None)
            elif "sleep" in step:
                time.sleep(step["sleep"])
                results.append(None)
            elif "screenshot" in step:
                shot = browser.send("Page.captureScreenshot", {"format": "png"})
                with open(step["screenshot"], "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                results.append(step["screenshot"])
        error = browser.evaluate("document.body.dataset.error || ''")
        print(json.dumps({"results": results, "error": error}))
    except Exception as e:
        print(json.dumps({"results": results, "error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
