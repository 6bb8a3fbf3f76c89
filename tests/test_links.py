"""Every internal link, anchor and asset reference in the built site resolves.

An offline link checker over the HTML of the built site: each relative `href`
or `src` must name a file that exists, and each `#fragment` an `id` on the
target page. External links are not fetched (there is no network in CI);
`-n` already makes Sphinx fail on broken cross-references.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from notebooks import first_chapter


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append((tag, attrs[key]))


def parse(path: Path) -> Collector:
    collector = Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def pages(html: Path):
    return sorted(
        p
        for p in html.rglob("*.html")
        if not {"_static", "_sources"} & set(p.relative_to(html).parts)
    )


@pytest.fixture(scope="module")
def parsed(site):
    return {path: parse(path) for path in pages(site)}


def test_no_broken_internal_links(site, parsed):
    broken = []
    for page, collector in parsed.items():
        for tag, link in collector.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("data:"):
                continue  # external, not fetched offline
            if parts.path:
                target = (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            else:
                target = page.resolve()
            where = f"{page.relative_to(site)}: <{tag}> {link}"
            if not target.exists():
                broken.append(f"{where} (no such file)")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                ids = parsed.get(target, None) or parse(target)
                if fragment not in ids.ids:
                    broken.append(f"{where} (no anchor #{fragment})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_the_checker_sees_links(site, parsed):
    chapter = site / "book" / f"{first_chapter().stem}.html"
    assert len(parsed[chapter].links) > 20
