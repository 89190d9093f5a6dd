"""LinkExtractor: URLs, emails, domains, and optionally phones, mentions and hashtags."""

from __future__ import annotations

import pytest

from llamafarm_core.testing.extractors import ExtractorContract


class TestLinksContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("LinkExtractor")

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [fda_text, aero_text]

    @pytest.fixture
    def expected_keys(self):
        return {"urls", "emails", "domains", "link_count", "phone_numbers", "mentions", "hashtags"}


TEXT = """\
See https://www.fda.gov/drugs/new-drugs. Also (http://example.org/path?q=1&r=2) and
[the wiki](https://en.wikipedia.org/wiki/Boundary_layer_(fluid)), www.nasa.gov, and
https://www.fda.gov/drugs/new-drugs again. Mail Jane.Doe@FDA.gov or press@example.org.
Call +1 (301) 555-0100. Thanks @fda_news #DrugSafety #2024 and page#anchor.
"""


def test_urls_emails_domains(one):
    meta = one("links", TEXT)
    assert meta["urls"] == [
        "https://www.fda.gov/drugs/new-drugs",
        "http://example.org/path?q=1&r=2",
        "https://en.wikipedia.org/wiki/Boundary_layer_(fluid)",
        "www.nasa.gov",
    ]
    assert meta["emails"] == ["jane.doe@fda.gov", "press@example.org"]
    assert meta["domains"] == ["fda.gov", "example.org", "en.wikipedia.org", "nasa.gov"]
    assert meta["link_count"] == 6


def test_phones_mentions_hashtags(one):
    meta = one("links", TEXT)
    assert meta["phone_numbers"] == ["+1 (301) 555-0100"]
    assert meta["mentions"] == ["@fda_news"]
    assert meta["hashtags"] == ["#DrugSafety"]


def test_switches(one):
    meta = one(
        "links",
        TEXT,
        extract_emails=False,
        extract_phone_numbers=False,
        extract_mentions=False,
        extract_hashtags=False,
        extract_domains=False,
    )
    assert set(meta) >= {"urls", "link_count"}
    assert not {"emails", "phone_numbers", "mentions", "hashtags", "domains"} & set(meta)
    assert meta["link_count"] == 4


def test_no_links(one, aero_text):
    meta = one("links", aero_text)
    assert meta["urls"] == [] and meta["emails"] == [] and meta["link_count"] == 0


def test_original_keys_accepted(build):
    build("LinkExtractor", extract_file_paths=True, validate_urls=True, categorize_domains=True)
