"""Screenshot of the ``unreid serve`` page after one search, in Debian's headless Chromium.

    python docs/serve_screenshot.py INDEX QUERY_IMAGE --checkpoint model.pth --out docs/serve_page.png

Starts ``unreid serve`` on a free 127.0.0.1 port, uploads ``QUERY_IMAGE``, clicks Search,
waits for the ranked results and saves the window (needs ``chromium``, ``chromium-driver``
and ``selenium``).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(index: Path, checkpoint: Path, *, wait_s: float) -> tuple[subprocess.Popen[bytes], str]:
    """``unreid serve INDEX`` on a free 127.0.0.1 port, and its URL once ``/api/info`` answers (or ``wait_s`` passed)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "unreid.cli.main", "serve", str(index), "--checkpoint",
                               str(checkpoint), "--port", str(port)])
    url = f"http://127.0.0.1:{port}/"
    for _ in range(int(wait_s / 0.5)):
        try:
            urllib.request.urlopen(url + "api/info", timeout=1).read()
            break
        except OSError:
            time.sleep(0.5)
    return server, url


def headless_chrome(*, window: str) -> webdriver.Chrome:
    """Debian's Chromium, headless, with a ``window`` like ``"1280,900"``."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={window}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")),
                            options=options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("query", type=Path)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/serve_page.png"))
    parser.add_argument("--top-k", type=int, default=10)
    args = parser.parse_args()
    server, url = start_server(args.index, args.checkpoint, wait_s=60)
    try:
        driver = headless_chrome(window="1100,860")
        try:
            driver.get(url)
            wait = WebDriverWait(driver, 60)
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#examples img")) > 0)
            driver.find_element(By.ID, "topk").clear()
            driver.find_element(By.ID, "topk").send_keys(str(args.top_k))
            driver.find_element(By.ID, "file").send_keys(str(args.query.resolve()))
            driver.find_element(By.ID, "search").click()
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results .hit")) == args.top_k)
            wait.until(lambda d: d.execute_script(
                "return [...document.images].every(i => !i.src || (i.complete && i.naturalWidth > 0))"))
            args.out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(args.out))
            print(f"saved {args.out}")
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
