"""The search page in a real headless Chromium: upload a crop, click Search, see the ranked results.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them). Where they
are missing, the test setup installs them with apt-get when it runs as root (as ``.ci/run``
does; ``UNREID_INSTALL_BROWSER=0`` turns that off), and the test is skipped with the reason
otherwise. Set
``UNREID_SCREENSHOT=path.png`` to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from unreid.serving.http_server import SearchServer

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _find() -> tuple[str | None, str | None]:
    browser = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    return browser, shutil.which("chromedriver")


def _browser_paths() -> tuple[str, str]:
    browser, driver = _find()
    wants_install = os.environ.get("UNREID_INSTALL_BROWSER", "1") != "0"
    if (browser is None or driver is None) and wants_install and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]):
            subprocess.run(command, env=env, capture_output=True, timeout=900, check=False)
        browser, driver = _find()
    if browser is None or driver is None:
        pytest.skip("chromium and chromedriver not found; install them with "
                    "`apt-get install chromium chromium-driver` (bash .ci/run does)")
    return browser, driver


@pytest.fixture(scope="module")
def browser() -> object:
    binary, driver_path = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1100,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    yield driver
    driver.quit()


def _hits(driver: Any) -> list[Any]:
    return list(driver.find_elements(By.CSS_SELECTOR, "#results .hit"))


def test_upload_click_and_see_ranked_results(browser: object, server: SearchServer, serve_world: tuple,
                                             tmp_path: Path) -> None:
    driver = browser
    _, _, root = serve_world
    driver.get(server.url)  # type: ignore[attr-defined]
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "ready")
    assert driver.find_element(By.ID, "info").text.startswith("gallery: 12 crops loaded")  # type: ignore[attr-defined]
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#examples img")) == 12)

    query = next((root / "query").glob("0002_*.jpg"))
    driver.find_element(By.ID, "topk").clear()  # type: ignore[attr-defined]
    driver.find_element(By.ID, "topk").send_keys("6")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "file").send_keys(str(query))  # type: ignore[attr-defined]
    driver.find_element(By.ID, "search").click()  # type: ignore[attr-defined]
    wait.until(lambda d: len(_hits(d)) == 6)
    labels = [h.text for h in _hits(driver)]
    assert [label.split()[0] for label in labels] == [f"#{r}" for r in range(1, 7)]
    scores = [float(label.split()[1]) for label in labels]
    assert scores == sorted(scores, reverse=True) and all(label.split()[2] in ("c1", "c2") for label in labels)
    assert driver.find_element(By.ID, "status").text == "6 matches"  # type: ignore[attr-defined]
    wait.until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('#results img')].every(i => i.complete && i.naturalWidth > 0)"))
    shot = Path(os.environ.get("UNREID_SCREENSHOT") or tmp_path / "serve_page.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 1000  # type: ignore[attr-defined]

    driver.find_element(By.ID, "exclude-self").click()  # type: ignore[attr-defined]  # off: the crop finds itself
    driver.find_elements(By.CSS_SELECTOR, "#examples img")[3].click()  # type: ignore[attr-defined]
    wait.until(lambda d: _hits(d) and _hits(d)[0].text.startswith("#1 1.000"))


def _ready(driver: Any, url: str) -> WebDriverWait:
    driver.get(url)
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "ready")
    return wait


_BROKEN_IMAGES = ("return [...document.querySelectorAll('img')].filter(i => !i.getAttribute('src') || "
                  "!(i.complete && i.naturalWidth > 0)).length")


def test_ready_signal_and_no_broken_image_before_a_query(browser: object, server: SearchServer) -> None:
    driver: Any = browser
    _ready(driver, server.url)
    assert driver.find_element(By.ID, "info").text.startswith("gallery: 12 crops loaded")
    assert driver.execute_script("return document.querySelectorAll('#examples img').length") == 12
    assert driver.execute_script(_BROKEN_IMAGES) == 0
    assert driver.find_element(By.ID, "query-preview").text == "no query chosen yet"
    options = [o.text for o in driver.find_elements(By.CSS_SELECTOR, "#camera option")]
    assert options == ["all cameras", "c1", "c2"]


def test_picked_crop_leaves_itself_out_and_camera_filter(browser: object, server: SearchServer) -> None:
    driver: Any = browser
    wait = _ready(driver, server.url)
    assert driver.find_element(By.ID, "exclude-self").is_selected()  # on by default
    picked = driver.find_elements(By.CSS_SELECTOR, "#examples img")[5]
    row = int(picked.get_attribute("src").rsplit("/", 1)[1])
    assert picked.get_attribute("title").endswith(" c1")  # 0002_c1s1_000001_00.jpg
    picked.click()
    wait.until(lambda d: len(_hits(d)) == 10)
    first = _hits(driver)[0]
    assert first.get_attribute("data-index") != str(row) and first.text.startswith("#1 ")
    assert str(row) not in [h.get_attribute("data-index") for h in _hits(driver)]
    assert driver.execute_script(_BROKEN_IMAGES) == 0

    camera = Select(driver.find_element(By.ID, "camera"))
    camera.select_by_visible_text("c2")  # the search reruns on a change
    wait.until(lambda d: len(_hits(d)) == 6 and all(h.text.endswith(" c2") for h in _hits(d)))
    camera.select_by_visible_text("c1")  # the picked crop's own camera: itself left out
    wait.until(lambda d: len(_hits(d)) == 5 and all(h.text.endswith(" c1") for h in _hits(d)))
    camera.select_by_visible_text("all cameras")
    driver.find_element(By.ID, "exclude-same-camera").click()
    wait.until(lambda d: len(_hits(d)) == 6 and all(h.text.endswith(" c2") for h in _hits(d)))


def test_identities_tab(browser: object, clustered_server: SearchServer, tmp_path: Path) -> None:
    driver: Any = browser
    wait = _ready(driver, clustered_server.url)
    assert not driver.find_element(By.ID, "view-identities").is_displayed()
    driver.find_element(By.ID, "tab-identities").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-identities") == "ready")
    assert not driver.find_element(By.ID, "view-search").is_displayed()
    cards = driver.find_elements(By.CSS_SELECTOR, "#identities .identity")
    assert len(cards) == 3
    for card in cards:
        groups = card.find_elements(By.CSS_SELECTOR, ".group")
        assert [g.get_attribute("data-camera") for g in groups] == ["c1", "c2"]
        assert all(g.find_element(By.CSS_SELECTOR, ".camera").text.startswith(g.get_attribute("data-camera") + " (")
                   for g in groups)
    assert "3 identities in 12 crops" in driver.find_element(By.ID, "identities-status").text
    wait.until(lambda d: d.execute_script(_BROKEN_IMAGES) == 0)
    shot = Path(os.environ.get("UNREID_SCREENSHOT_IDENTITIES") or tmp_path / "identities.png")
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 1000

    crop = cards[1].find_element(By.CSS_SELECTOR, ".group img")
    row = crop.get_attribute("src").rsplit("/", 1)[1]
    crop.click()  # searches with it, in the search view
    wait.until(lambda d: d.find_element(By.ID, "view-search").is_displayed() and len(_hits(d)) == 10)
    assert _hits(driver)[0].get_attribute("data-index") != row


def test_non_image_upload_shows_the_error(browser: object, server: SearchServer, tmp_path: Path) -> None:
    driver = browser
    fake = tmp_path / "fake.jpg"
    fake.write_text("this is not a picture")
    driver.get(server.url)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "file").send_keys(str(fake))  # type: ignore[attr-defined]
    driver.find_element(By.ID, "search").click()  # type: ignore[attr-defined]
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("class") == "error")
    assert "Error 415: not a readable image" in driver.find_element(By.ID, "status").text  # type: ignore[attr-defined]
    assert _hits(driver) == []
