"""URLs, email addresses and their domains; optionally phone numbers, @mentions and #hashtags."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from llamafarm_core.plugin_api import PluginConfig

from ._base import ChunkwiseExtractor, unique
from ._regexes import HASHTAG_RE, MENTION_RE, find_emails, find_phones, find_urls


class LinkConfig(PluginConfig):
    extract_urls: bool = True
    extract_emails: bool = True
    extract_domains: bool = Field(default=True, description="Add the unique domains of the URLs and emails.")
    extract_phone_numbers: bool = True
    extract_mentions: bool = True
    extract_hashtags: bool = True


def url_domain(url: str) -> str:
    """Lower-case host without ``www.`` or port; '' when the URL has none."""
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


class LinkExtractor(ChunkwiseExtractor[LinkConfig]):
    """Adds ``urls`` (unique, trailing punctuation removed; markdown ``[text](url)`` links
    included), ``emails`` (unique, lower-cased), ``domains`` (unique hosts of both, without
    ``www.``) and ``link_count`` (URLs + emails). With the matching options on (all are by
    default): ``phone_numbers``, ``mentions`` (@name) and ``hashtags`` (#tag).
    """

    name = "links"
    aliases = ("LinkExtractor", "link_extractor")
    description = "URLs, emails and domains (plus phones, mentions, hashtags)."
    ignored_keys = frozenset({"extract_file_paths", "validate_urls", "categorize_domains"})

    def extract_text(self, text: str) -> dict[str, Any]:
        cfg = self.config
        urls = unique(find_urls(text)) if cfg.extract_urls else []
        emails = unique([e.lower() for e in find_emails(text)]) if cfg.extract_emails else []
        out: dict[str, Any] = {"link_count": len(urls) + len(emails)}
        if cfg.extract_urls:
            out["urls"] = urls
        if cfg.extract_emails:
            out["emails"] = emails
        if cfg.extract_domains:
            hosts = [url_domain(u) for u in urls] + [e.rsplit("@", 1)[1] for e in emails]
            out["domains"] = unique([h for h in hosts if h])
        if cfg.extract_phone_numbers:
            out["phone_numbers"] = unique(find_phones(text))
        if cfg.extract_mentions:
            out["mentions"] = unique([m.group(0) for m in MENTION_RE.finditer(text)])
        if cfg.extract_hashtags:
            out["hashtags"] = unique([m.group(0) for m in HASHTAG_RE.finditer(text)])
        return out
