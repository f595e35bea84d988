"""The built site in a real browser: math is rendered, search finds "Adam", figures load.

The Korean edition too: a Korean page's math renders, its language switcher
leads to the English twin of the same page, and a Korean query finds the
Korean page.

Headless Chromium from the system packages (`chromium` + `chromium-driver`),
driven through chromedriver's W3C WebDriver HTTP API with the standard
library, loads the pages straight from the build directory (`file://`, the
way `site/index.html` is opened offline). Every resource a page loads must
come from the site's own files. Skipped when Chromium is not installed:
`make test-browser` installs it and runs this module.
"""

import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest
from docs_site import built_site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
POLL_S = 0.25
WAIT_S = 30.0
REQUEST_TIMEOUT_S = 60.0

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium is not installed (Debian packages chromium and "
    "chromium-driver): run `make test-browser` to install them and run this check",
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A minimal W3C WebDriver client: open a URL, run a script, wait for a condition."""

    def __init__(self, port, session):
        self.base = f"http://127.0.0.1:{port}/session/{session}"

    @staticmethod
    def request(url, method="GET", body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            url, method=method, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as response:
            return json.loads(response.read())["value"]

    def open(self, page, query=""):
        url = (built_site() / page).as_uri() + query
        self.request(f"{self.base}/url", "POST", {"url": url})

    def run(self, script):
        return self.request(f"{self.base}/execute/sync", "POST", {"script": script, "args": []})

    def wait_for(self, script):
        """Poll `script` until it returns something truthy; return that, or the last value."""
        deadline = time.monotonic() + WAIT_S
        value = self.run(script)
        while not value and time.monotonic() < deadline:
            time.sleep(POLL_S)
            value = self.run(script)
        return value


@pytest.fixture(scope="module")
def browser():
    site = built_site()  # build first: the driver's idle time-outs stay out of the way
    port = _free_port()
    driver = subprocess.Popen(
        [CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    profile = tempfile.mkdtemp(prefix="kerastoolkit-chromium-")
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                Browser.request(f"http://127.0.0.1:{port}/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(POLL_S)
        options = {"binary": CHROMIUM, "args": [*CHROME_ARGS, f"--user-data-dir={profile}"]}
        session = Browser.request(
            f"http://127.0.0.1:{port}/session", "POST",
            {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}},
        )["sessionId"]
        b = Browser(port, session)
        b.site = site
        yield b
        Browser.request(b.base, "DELETE")
    finally:
        driver.terminate()
        driver.wait()
        shutil.rmtree(profile, ignore_errors=True)


RENDERED_MATH = "return document.querySelectorAll('.arithmatex .katex').length"
RAW_MATH = r"""return Array.from(document.querySelectorAll('.arithmatex'))
    .filter(e => !e.querySelector('.katex')).map(e => e.textContent.slice(0, 60))"""
FOREIGN_RESOURCES = """return performance.getEntriesByType('resource').map(r => r.name)
    .filter(n => !n.startsWith('file://') && !n.startsWith('data:') && !n.startsWith('blob:'))"""


@pytest.mark.parametrize(
    "page",
    ["index.html", "optimizers.html", "api/kerastoolkit.optimizers.html", "ko/landscape.html"],
)
def test_math_is_rendered_by_the_vendored_katex(browser, page):
    browser.open(page)
    assert browser.wait_for(RENDERED_MATH) > 0
    assert browser.run(RAW_MATH) == []
    assert browser.run(FOREIGN_RESOURCES) == []


def test_search_finds_adam(browser):
    browser.open("index.html", query="?q=Adam")
    titles = browser.wait_for(
        "return Array.from(document.querySelectorAll('.md-search-result__item'))"
        ".map(e => e.textContent)"
    )
    assert titles, "the search returned no result for 'Adam'"
    assert any("Adam" in t for t in titles)


def _pages_with_figures(site):
    return sorted(
        p.relative_to(site).as_posix() for p in site.glob("*.html") if "figures/" in p.read_text()
    )


def test_every_figure_loads(browser):
    pages = _pages_with_figures(browser.site)
    assert pages, "no page of the site shows a figure"
    for page in pages:
        browser.open(page)
        figures = browser.wait_for(
            "const imgs = Array.from(document.images).filter(i => i.src.includes('/figures/'));"
            "return imgs.length && imgs.every(i => i.complete)"
            " ? imgs.map(i => [i.src, i.naturalWidth]) : null"
        )
        assert figures, f"{page}: figures did not finish loading"
        broken = [src for src, width in figures if width == 0]
        assert not broken, f"{page}: figures that failed to load: {broken}"
        assert browser.run(FOREIGN_RESOURCES) == []


SEARCH_LINKS = """return Array.from(document.querySelectorAll('.md-search-result__link'))
    .map(a => a.href)"""


def test_the_language_switcher_leads_to_the_english_twin(browser):
    browser.open("ko/landscape.html")
    assert browser.wait_for("return document.documentElement.lang") == "ko"
    english = browser.run(
        "const a = document.querySelector('a[hreflang=\"en\"]'); return a && a.href"
    )
    assert english == (browser.site / "landscape.html").as_uri()
    browser.request(f"{browser.base}/url", "POST", {"url": english})
    assert browser.wait_for(
        "return document.documentElement.lang === 'en' && document.title"
    ).startswith("Gradient descent")


@pytest.mark.parametrize(
    ("query", "page"),
    [("경사 하강법", "ko/landscape.html"), ("기울기 소실", "ko/activations.html")],
)
def test_a_korean_search_finds_the_korean_page(browser, query, page):
    browser.open("ko/index.html", query="?q=" + urllib.parse.quote(query))
    links = browser.wait_for(SEARCH_LINKS)
    assert links, f"the search returned no result for {query!r}"
    wanted = (browser.site / page).as_uri()
    # a result's link carries the query to highlight (`?h=...`) and maybe an anchor
    assert any(re.split(r"[?#]", link)[0] == wanted for link in links), links
