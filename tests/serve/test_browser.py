"""End to end in a real browser: the server on 127.0.0.1, Debian's Chromium driven headless by
Playwright; a search is run and its results, and a comparison, must appear. Screenshot artifact:
``test-artifacts/serve_search.png``."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from autocompose.serve.app import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [  # Playwright adds headless mode and a fresh temporary profile itself
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_search_in_headless_chromium(engine):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is required for this test (.ci/run installs it: apt-get install chromium)"
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("document.getElementById('ref-img').naturalWidth > 0", timeout=20_000)
            assert "builtin" in page.inner_text("#ref-label")
            page.fill("#text", "raise both arms above your head")
            page.click("#search-btn")
            page.wait_for_selector(".hit img", timeout=20_000)
            hits = page.query_selector_all(".hit")
            assert len(hits) == 10
            page.wait_for_function("[...document.querySelectorAll('.hit img')].every(i => i.complete && i.naturalWidth > 0)")
            hits[0].click()
            page.wait_for_selector("#compare-text li", timeout=20_000)
            assert page.inner_text("#compare-text")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "serve_search.png"), full_page=True)
            page.fill("#text", "")
            page.click("#search-btn")
            assert "Describe the change" in page.inner_text("#status")
            browser.close()
            assert not errors, errors
    finally:
        server.should_exit = True
        thread.join(timeout=10)
