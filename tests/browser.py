"""Debian's headless Chromium driven through the DevTools protocol, and the dashboard served for it.

A page whose content is drawn by JavaScript over a websocket (the Panel dashboard) cannot be checked with
``chromium --dump-dom``: it must be opened, clicked and read while the server answers. :class:`Browser` starts
Chromium with ``--remote-debugging-port=0``, reads the port Chromium chose from its profile, and speaks the
protocol over Tornado's websocket client (Tornado comes with Panel and Jupyter). :class:`DashboardServer` runs
``python -m sim.interfaces.dashboard`` as a real process on 127.0.0.1 and a free port.

``python -m tests.browser OUT.png [QUERY]`` runs a comparison through the dashboard (default :data:`SMALL_RUN`)
and saves a screenshot (``make figures``: ``docs/img/dashboard.png``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")

# Every element matching a selector, and the text of a page, looking inside shadow roots (Bokeh draws in them).
DEEP = """
window.__deep = function (root, sel) {
  var out = Array.prototype.slice.call(root.querySelectorAll(sel));
  root.querySelectorAll('*').forEach(function (el) { if (el.shadowRoot) out = out.concat(window.__deep(el.shadowRoot, sel)); });
  return out;
};
window.__text = function (root) {
  var parts = [];
  (function walk(node) {
    if (node.nodeType === 3) { parts.push(node.textContent); return; }
    if (node.shadowRoot) walk(node.shadowRoot);
    node.childNodes.forEach(walk);
  })(root);
  return parts.join(' ').replace(/\\s+/g, ' ');
};
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_chromium() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class DashboardServer:
    """``python -m sim.interfaces.dashboard`` on 127.0.0.1 and a free port, results under ``tmp`` (its TMPDIR)."""

    def __init__(self, tmp: Path, timeout_s: float = 90.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tmp / f"dashboard-{self.port}.log"
        env = {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "sim.interfaces.dashboard", "--port", str(self.port)],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(self.url, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the dashboard did not start on {self.url}: {self.log.read_text()[-2000:]}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class Browser:
    """One headless Chromium page, driven through the DevTools protocol (``async with Browser(...) as page``)."""

    def __init__(self, chromium: str, profile: Path, width: int = 1400, height: int = 1000):
        self.chromium, self.profile, self.size = chromium, profile, (width, height)
        self.proc: subprocess.Popen | None = None
        self.ws: Any = None
        self._id = 0
        self._waiting: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> Browser:
        self.profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [self.chromium, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             f"--window-size={self.size[0]},{self.size[1]}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.is_file() and port_file.read_text().strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.proc.returncode}")
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.loads(resp.read())
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = await websocket_connect(page["webSocketDebuggerUrl"], max_message_size=256 * 1024 * 1024)
        self._reader = asyncio.ensure_future(self._read())
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        await self.send("Emulation.setDeviceMetricsOverride", width=self.size[0], height=self.size[1],
                        deviceScaleFactor=1, mobile=False)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            self.ws.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    async def _read(self) -> None:
        """Hand each response to the command waiting for it (events are dropped); several commands may wait."""
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                for fut in self._waiting.values():
                    if not fut.done():
                        fut.set_exception(RuntimeError("the DevTools connection closed"))
                return
            msg = json.loads(raw)
            fut = self._waiting.pop(msg.get("id", -1), None)
            if fut is not None and not fut.done():
                fut.set_result(msg)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result."""
        self._id += 1
        mine = self._id
        fut = asyncio.get_running_loop().create_future()
        self._waiting[mine] = fut
        await self.ws.write_message(json.dumps({"id": mine, "method": method, "params": params}))
        msg = await asyncio.wait_for(fut, 60)
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = await self.send("Runtime.evaluate", expression=DEEP + expression, returnByValue=True,
                                 awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    async def goto(self, url: str, ready: str = "document.readyState === 'complete'", timeout_s: float = 60) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for(ready, timeout_s)

    async def wait_for(self, condition: str, timeout_s: float = 60, every_s: float = 0.25) -> Any:
        """Poll a JavaScript expression until it is truthy; return its value (TimeoutError otherwise)."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = await self.evaluate(condition)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout_s:g} s for: {condition}")
            await asyncio.sleep(every_s)

    async def text(self) -> str:
        return str(await self.evaluate("window.__text(document.body)"))

    async def click_button(self, label: str) -> None:
        found = await self.evaluate(
            f"(function () {{ var b = window.__deep(document, 'button').filter(function (x) {{ "
            f"return x.textContent.indexOf({json.dumps(label)}) >= 0; }}); if (b.length) b[0].click(); "
            f"return b.length; }})()")
        if not found:
            raise RuntimeError(f"no button labelled {label!r} in the page")

    async def upload(self, path: Path) -> None:
        """Give ``path`` to the page's file input, as a user choosing the file would (change event and all)."""
        await self.send("DOM.enable")
        await self.send("DOM.getDocument", depth=-1, pierce=True)
        found = await self.send("Runtime.evaluate", expression=DEEP + "window.__deep(document, 'input[type=file]')[0]")
        object_id = found["result"].get("objectId")
        if not object_id:
            raise RuntimeError("no file input in the page")
        await self.send("DOM.setFileInputFiles", files=[str(path)], objectId=object_id)

    async def images(self, min_width: int = 200) -> list[dict[str, Any]]:
        """The decoded images of the page wider than ``min_width`` (the charts): their natural size."""
        return await self.evaluate(
            "window.__deep(document, 'img').filter(function (i) { return i.complete && i.naturalWidth > "
            f"{min_width}; }}).map(function (i) {{ return {{w: i.naturalWidth, h: i.naturalHeight, "
            "shown: i.getBoundingClientRect().width}; })")

    async def screenshot(self, out: Path, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = await self.send("Page.getLayoutMetrics")
            size = metrics["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        shot = await self.send("Page.captureScreenshot", **params)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(shot["data"]))
        return out


SMALL_RUN = "?scenario=default&days=1&customers=800&replications=2&workers=1"
"""A comparison of the default scenario that takes seconds: one day, 800 customers, 2 replications, 3 setups."""
SUMMARY_READY = "window.__text(document.body).indexOf('The decision') >= 0"


async def run_small_comparison(page: Browser, url: str, timeout_s: float = 240, query: str = SMALL_RUN) -> str:
    """Open the dashboard with ``query``, press Run and wait for the decision; return the page's text."""
    await page.goto(url + query)
    await page.wait_for("window.__deep(document, 'button').some(function (b) { return "
                        "b.textContent.indexOf('Run the comparison') >= 0; })")
    await page.click_button("Run the comparison")
    await page.wait_for(SUMMARY_READY, timeout_s=timeout_s, every_s=0.5)
    await page.wait_for("window.__deep(document, 'img').filter(function (i) { return i.complete && "
                        "i.naturalWidth > 200; }).length >= 2", timeout_s=30)
    return await page.text()


async def _screenshot(out: Path, chromium: str, query: str) -> None:
    with tempfile.TemporaryDirectory(prefix="omnisim-shot-") as tmp:
        server = DashboardServer(Path(tmp))
        try:
            async with Browser(chromium, Path(tmp) / "profile", 1400, 1050) as page:
                await run_small_comparison(page, server.url, timeout_s=900, query=query)
                await asyncio.sleep(1.0)  # let the last images lay out
                await page.screenshot(out)
        finally:
            server.stop()


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m tests.browser OUT.png [?scenario=default&days=2...]", file=sys.stderr)
        return 2
    chromium = os.environ.get("CHROMIUM") or find_chromium()
    if not chromium:
        print("chromium not found (Debian's package: apt-get install chromium)", file=sys.stderr)
        return 1
    out = Path(argv[0]).absolute()
    asyncio.run(_screenshot(out, chromium, argv[1] if len(argv) > 1 else SMALL_RUN))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
