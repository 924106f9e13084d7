"""The explorer's served page makes no outside call (issue 23): no hidden frame to the
Solara site (its first-run check), no script, style, frame or image from another host,
whatever the telemetry setting. The page is fetched from a real server on 127.0.0.1, with
a fresh Solara home (where the first-run check would fire)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

#: Attributes and CSS that make a browser load something as the page opens.
LOADS = re.compile(r"""(?:\bsrc\s*=\s*|<link\b[^>]*\bhref\s*=\s*|url\(\s*|@import\s+)["']?([^"'\s)>]+)""", re.I)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _page(tmp_path: Path, telemetry: str) -> str:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # Solara skips its check under pytest
    env.update(SOLARA_HOME=str(tmp_path / "solara-home"), SOLARA_TELEMETRY_MIXPANEL_ENABLE=telemetry)
    server = subprocess.Popen([sys.executable, "-m", "sim.app.explore", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    return response.read().decode("utf-8")
            except OSError:
                assert server.poll() is None, server.stderr.read()[-2000:]
                assert time.monotonic() < deadline, "the explorer never answered"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_served_page_references_no_outside_host(tmp_path):
    for telemetry in ("False", "True"):
        page = _page(tmp_path, telemetry)
        assert "<iframe" not in page.lower()
        outside = [url for url in LOADS.findall(page) if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)]
        assert outside == [], outside
        assert "Protective integration explorer" in page or "solara" in page.lower()
