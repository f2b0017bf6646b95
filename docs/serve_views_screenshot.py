"""Screenshots of the ``unreid serve`` page's two views, in Debian's headless Chromium at 1280x900.

    python docs/serve_views_screenshot.py INDEX --checkpoint model.pth \\
        --identities docs/serve_identities.png --search docs/serve_search.png

Starts ``unreid serve`` on a free 127.0.0.1 port, waits for the page's ready signal
(``body[data-state=ready]``), opens the Identities tab and saves it, then clicks the
first crop of the first identity (a search with that crop, the query itself and its
camera's crops left out) and saves the search view. The PNGs are reduced to 256 colours to stay small. Needs
``chromium``, ``chromium-driver`` and ``selenium``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from serve_screenshot import headless_chrome, start_server  # docs/ is the script's folder, first on sys.path

ALL_LOADED = "return [...document.images].every(i => i.complete && i.naturalWidth > 0)"


def save(driver: webdriver.Chrome, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    Image.open(out).convert("RGB").quantize(colors=256).save(out, optimize=True)
    print(f"saved {out} ({out.stat().st_size // 1024} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--identities", type=Path, default=Path("docs/serve_identities.png"))
    parser.add_argument("--search", type=Path, default=Path("docs/serve_search.png"))
    args = parser.parse_args()
    server, url = start_server(args.index, args.checkpoint, wait_s=120)
    try:
        driver = headless_chrome(window="1280,900")
        try:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",  # the page area itself 1280 x 900
                                   {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            driver.get(url)
            wait = WebDriverWait(driver, 300)
            wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "ready")
            driver.find_element(By.ID, "tab-identities").click()
            wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-identities") == "ready")
            wait.until(lambda d: d.execute_script(ALL_LOADED))
            save(driver, args.identities)
            group = driver.find_element(By.CSS_SELECTOR, "#identities .identity .group")
            query_camera = " " + str(group.get_attribute("data-camera"))
            group.find_element(By.TAG_NAME, "img").click()
            wait.until(lambda d: d.find_element(By.ID, "status").text.endswith("matches"))
            driver.find_element(By.ID, "exclude-same-camera").click()  # reruns: matches from other cameras only
            wait.until(lambda d: (hits := [h.text for h in d.find_elements(By.CSS_SELECTOR, "#results .hit")])
                       and not any(h.endswith(query_camera) for h in hits))
            wait.until(lambda d: d.execute_script(ALL_LOADED))
            save(driver, args.search)
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
