"""The Korean edition: every guide has its twin, with the same code, built under `ko/`.

The English pages are the source of the code: a Korean page's code blocks are
the English page's, block for block, so the Korean site teaches the same
programs (and tests/test_docs.py need only run the English ones). The API
reference is one English reference: the Korean build links to it and does not
copy it.
"""

import json
import re

import pytest
from docs_site import (
    DOCS,
    built_site,
    english_twin,
    guide_pages,
    html_of,
    korean_pages,
    korean_twin,
)

FENCED = re.compile(r"^```[^\n]*\n.*?^```", re.MULTILINE | re.DOTALL)
HANGUL = re.compile(r"[가-힣]")
HREF = re.compile(r'href="([^"]+)"')


def _code_blocks(page):
    return FENCED.findall(page.read_text())


def _ids(html_path):
    return set(re.findall(r'\bid="([^"]+)"', html_path.read_text()))


def test_every_english_guide_has_a_korean_twin():
    missing = [p.relative_to(DOCS).as_posix() for p in guide_pages() if not korean_twin(p).exists()]
    assert not missing, f"English pages without a Korean twin (page.ko.md): {missing}"


def test_every_korean_page_has_an_english_twin():
    orphans = [
        p.relative_to(DOCS).as_posix() for p in korean_pages() if not english_twin(p).exists()
    ]
    assert korean_pages(), "there is no Korean page"
    assert not orphans, f"Korean pages without an English twin: {orphans}"


@pytest.mark.parametrize("korean", korean_pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_a_korean_page_has_the_english_pages_code_and_is_korean(korean):
    assert _code_blocks(korean) == _code_blocks(english_twin(korean)), (
        "the code blocks of a Korean page must be its English twin's, in order"
    )
    prose = FENCED.sub("", korean.read_text())
    # what stays English by design: inline code, link targets, references, maths, tables' ids
    for pattern in (r"`[^`]*`", r"\]\([^)]*\)", r"\]\[[^\]]*\]", r"\$[^$]*\$", r"\{[^}]*\}"):
        prose = re.sub(pattern, " ", prose)
    assert len(HANGUL.findall(prose)) > 0.2 * len(re.findall(r"[A-Za-z가-힣]", prose)), (
        "the prose of the Korean page is mostly not Korean"
    )
    english = english_twin(korean).read_text()
    for figure in re.findall(r"\]\(((?:\.\./)*figures/[^)\s]+)\)", english):
        assert figure in korean.read_text(), f"the Korean page does not show {figure}"


@pytest.mark.parametrize("korean", korean_pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_the_korean_page_is_built_in_korean_with_a_switch_to_its_english_twin(korean):
    site = built_site()
    page = site / html_of(korean)
    html = page.read_text()
    assert '<html lang="ko"' in html
    english = html_of(english_twin(korean))
    depth = html_of(korean).count("/")
    assert f'href="{"../" * depth}{english}" hreflang="en"' in html


def test_the_api_reference_is_built_once_in_english():
    site = built_site()
    assert list((site / "api").glob("*.html"))
    assert not (site / "ko" / "api").exists()


def test_every_link_of_the_korean_site_to_the_api_reference_lands_on_an_anchor():
    site = built_site()
    checked = 0
    for page in sorted((site / "ko").rglob("*.html")):
        for href in HREF.findall(page.read_text()):
            if "api/kerastoolkit" not in href or "://" in href:
                continue
            path, _, anchor = href.partition("#")
            target = (page.parent / path).resolve()
            assert target.is_relative_to((site / "api").resolve()), f"{page}: {href}"
            assert target.exists(), f"{page.relative_to(site)}: {href} does not exist"
            if anchor:
                assert anchor in _ids(target), f"{page.relative_to(site)}: {href} has no anchor"
            checked += 1
    assert checked, "no Korean page links to the API reference"


def test_the_korean_home_page_says_the_reference_is_english():
    html = (built_site() / "ko" / "index.html").read_text()
    assert "API 레퍼런스는 영어로 된 하나뿐입니다" in html


def _index():
    return json.loads((built_site() / "search" / "search_index.json").read_text())


def _tokens(text, separator):
    return [t.lower() for t in re.split(separator, text) if t]


@pytest.mark.parametrize(
    ("query", "page"),
    [("경사 하강법", "ko/landscape.html"), ("기울기 소실", "ko/activations.html")],
)
def test_the_search_index_finds_a_korean_query_on_the_korean_page(query, page):
    """Every word of the query begins a word of the page (Material appends a wildcard)."""
    if not (DOCS / page.removeprefix("ko/").replace(".html", ".ko.md")).exists():
        pytest.skip(f"{page} is not translated")
    index = _index()
    assert "ko" in index["config"]["lang"]
    separator = index["config"]["separator"]
    # Python's re reads the separator as lunr's JavaScript does (no JS-only syntax in it).
    words = {
        w for doc in index["docs"] if doc["location"].split("#")[0] == page
        for w in _tokens(re.sub(r"<[^>]+>", " ", doc["title"] + " " + doc["text"]), separator)
    }
    for term in _tokens(query, separator):
        assert any(w.startswith(term) for w in words), f"{term!r} is not indexed for {page}"
