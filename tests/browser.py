"""Headless Chromium for the site tests, driven over the Chrome DevTools protocol.

``ensure_chromium()`` installs Debian's ``chromium`` and ``fonts-noto-cjk`` when they are
missing (as root, ``apt-get update`` then ``apt-get install -y``) and *fails* the test with the
installer's output when that does not work: a browser test never skips silently.

``Browser`` starts Chromium with ``--remote-debugging-port=0`` (the port is read back from the
profile's ``DevToolsActivePort``) and speaks CDP over the ``websockets`` package that the
project already depends on (through Dagster), so no browser-automation package is needed.
``Browser.open(url)`` loads a page and returns what a reader would meet: JavaScript errors,
console errors, failed or non-local requests, load time, and the state of every plotly chart.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.debian_packages import ensure_installed

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PACKAGES = ("chromium", "fonts-noto-cjk")
# The machine has no network: these keep Chromium from trying to reach Google's hosts.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--no-default-browser-check", "--allow-file-access-from-files")


def _find_binary() -> str | None:
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _has_japanese_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True)
    return bool(out.stdout.strip())


def ensure_chromium() -> str:
    """Chromium's path, installing it and a Japanese font first when they are missing."""
    ensure_installed("Chromium or a Japanese font", PACKAGES,
                     lambda: _find_binary() is not None and _has_japanese_font())
    binary = _find_binary()
    if not binary:
        pytest.fail(f"apt-get installed {PACKAGES} but no Chromium binary is on PATH")
    if not _has_japanese_font():
        pytest.fail("fonts-noto-cjk installed but fontconfig lists no Japanese font")
    return binary


@dataclass
class PageVisit:
    """What one page load looked like."""

    url: str
    load_ms: float  # navigation start -> end of the load event (Navigation Timing)
    wall_ms: float  # Page.navigate -> charts rendered, as measured from outside
    floor_ms: float = 0.0  # a bare plotly page loaded just before (tests that compare)
    errors: list[str] = field(default_factory=list)  # JS exceptions, console/log errors
    requests: list[str] = field(default_factory=list)  # every URL the page requested
    charts: list[dict] = field(default_factory=list)
    title: str = ""
    text: str = ""

    @property
    def network_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:", "blob:"))]


_CHART_STATE = """
(async () => {
  const state = () => Array.from(document.querySelectorAll('.chart')).map(d => {
    const box = d.getBoundingClientRect();
    return {id: d.id, svg: d.querySelectorAll('.main-svg').length,
            container: !!d.querySelector('.plot-container'),
            traces: (d._fullData || []).filter(t => t.visible === true).length,
            marks: d.querySelectorAll('.point, .js-line, .sankey-link, .sankey-node, .bars path')
                    .length,
            width: Math.round(box.width), height: Math.round(box.height)};
  });
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline) {
    const s = state();
    if (s.every(c => c.svg > 0 && c.marks > 0)) return s;
    await new Promise(r => setTimeout(r, 50));
  }
  return state();
})()
"""

_LOAD_MS = """
new Promise(resolve => {
  const read = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    if (nav && nav.loadEventEnd > 0) resolve(nav.loadEventEnd); else setTimeout(read, 20);
  };
  read();
})
"""


class Browser:
    """One headless Chromium; ``open()`` visits pages in one tab."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900):
        from websockets.sync.client import connect

        self.profile = tempfile.mkdtemp(prefix="kurume-cdp-")
        self.log = open(Path(self.profile) / "chromium.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [binary, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.fail(f"Chromium did not start its DevTools endpoint: {self._log_tail()}")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(
            connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=20))
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=self.session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=self.session)

    def _log_tail(self) -> str:
        try:
            return (Path(self.profile) / "chromium.log").read_text()[-2000:]
        except OSError:
            return ""

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        ident = next(self.ids)
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"CDP {method} did not answer in {timeout} s")
            reply = json.loads(self.ws.recv(timeout=remaining))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"CDP {method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def _wait_event(self, name: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == name:
                    return self.events.pop(i)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {name} within {timeout} s")
            reply = json.loads(self.ws.recv(timeout=remaining))
            if "method" in reply:
                self.events.append(reply)

    def evaluate(self, expression: str, timeout: float = 30):
        result = self.call("Runtime.evaluate",
                           {"expression": expression, "awaitPromise": True,
                            "returnByValue": True}, session=self.session, timeout=timeout)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, timeout: float = 30) -> PageVisit:
        self.events.clear()
        started = time.perf_counter()
        self.call("Page.navigate", {"url": url}, session=self.session)
        self._wait_event("Page.loadEventFired", timeout)
        load_ms = float(self.evaluate(_LOAD_MS))
        charts = self.evaluate(_CHART_STATE)
        wall_ms = (time.perf_counter() - started) * 1000
        self.evaluate("new Promise(r => setTimeout(r, 30))")  # let late console messages in
        visit = PageVisit(url=url, load_ms=load_ms, wall_ms=wall_ms, charts=charts,
                          title=self.evaluate("document.title"),
                          text=self.evaluate("document.body.innerText"))
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = details.get("exception", {}).get("description") or details.get("text")
                visit.errors.append(f"uncaught exception: {text}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = " ".join(str(a.get("value", a.get("description", "")))
                                for a in params.get("args", []))
                visit.errors.append(f"console.{params.get('type')}: {args}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                visit.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params.get("request", {}).get("url", ""))
            elif method == "Network.loadingFailed":
                visit.errors.append(f"request failed: {params.get('errorText')}")
        return visit

    def click(self, selector: str, index: int = 0) -> None:
        """A real mouse click (CDP input events) in the middle of the matching element."""
        box = self.evaluate(f"""(() => {{
            const el = document.querySelectorAll({json.dumps(selector)})[{index}];
            if (!el) return null;
            el.scrollIntoView({{block: 'center'}});
            const r = el.getBoundingClientRect();
            return {{x: r.left + r.width / 2, y: r.top + r.height / 2}};
        }})()""")
        if box is None:
            raise AssertionError(f"nothing matches {selector!r} [{index}]")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent",
                      {"type": kind, "x": box["x"], "y": box["y"], "button": "left",
                       "clickCount": 1}, session=self.session)

    def screenshot(self, path: Path, full_page: bool = True,
                   region: tuple[int, int] | None = None) -> Path:
        """A PNG of the page (``region``: from y, height, in CSS pixels)."""
        params: dict = {"format": "png"}
        if full_page or region:
            metrics = self.call("Page.getLayoutMetrics", session=self.session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            top, height = region or (0, size["height"])
            params.update({"captureBeyondViewport": True,
                           "clip": {"x": 0, "y": top, "width": size["width"],
                                    "height": min(height, size["height"] - top, 16000),
                                    "scale": 1}})
        data = self.call("Page.captureScreenshot", params, session=self.session, timeout=60)
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    def close(self) -> None:
        try:
            if getattr(self, "_stack", None):
                self._stack.close()
        finally:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
