"""Site profiles: one small module per site, each defining ``PROFILE = SiteProfile(...)``.

A profile names the site, says where crawling starts and which URLs are articles, and overrides
only what the generic extractor gets wrong on that site (CSS selectors per field). Modules in this
package are discovered automatically, like fundus' publisher specs; adding a site is one file plus
one saved page under ``tests/fixtures/sites/<name>/``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

SELECTOR_FIELDS = ("body", "title", "lead", "authors", "published", "modified", "category", "tags")


class UnknownSiteError(LookupError):
    """No profile has that name."""


@dataclass(frozen=True, slots=True)
class SiteProfile:
    name: str
    """Profile key used on the command line (``newscrawl crawl blog-auto-info``)."""

    domains: tuple[str, ...]
    """Registered domains of the site; the first is the record's ``site``. Subdomains match too."""

    start_urls: tuple[str, ...] = ()
    """Where discovery starts (home page, section pages); robots.txt sitemaps are always read too."""

    sitemaps: tuple[str, ...] = ()
    """Sitemaps or sitemap indexes beyond those robots.txt lists."""

    feeds: tuple[str, ...] = ()
    """RSS/Atom feeds beyond those the pages link with rel=alternate."""

    article_url: str | None = None
    """Regex (searched in the URL) that article pages match; None lets the crawler judge by the page."""

    ignore_url: str | None = None
    """Regex of URLs never to follow (search, login, print versions ...)."""

    language: str | None = None
    """Language of the site when pages do not declare it."""

    timezone: str | None = None
    """Zone for dates without offset (e.g. Europe/Paris)."""

    selectors: dict[str, str] = field(default_factory=dict)
    """CSS selectors overriding the generic extractor, keyed by field: see SELECTOR_FIELDS."""

    crawl_settings: dict[str, Any] = field(default_factory=dict)
    """Scrapy settings for this site (DOWNLOAD_DELAY, CONCURRENT_REQUESTS_PER_DOMAIN ...)."""

    def __post_init__(self) -> None:
        unknown = set(self.selectors) - set(SELECTOR_FIELDS)
        if unknown:
            raise ValueError(f"profile {self.name}: unknown selector fields {sorted(unknown)}")

    @property
    def site(self) -> str:
        return self.domains[0]

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def is_article_url(self, url: str) -> bool | None:
        """True/False when the profile can tell from the URL, None when it cannot."""
        if self.ignore_url and re.search(self.ignore_url, url):
            return False
        if self.article_url:
            return bool(re.search(self.article_url, url))
        return None


@cache
def all_profiles() -> dict[str, SiteProfile]:
    profiles: dict[str, SiteProfile] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        profile = getattr(module, "PROFILE", None)
        if isinstance(profile, SiteProfile):
            profiles[profile.name] = profile
    return dict(sorted(profiles.items()))


def get_profile(name: str) -> SiteProfile:
    try:
        return all_profiles()[name]
    except KeyError:
        known = ", ".join(all_profiles()) or "none"
        raise UnknownSiteError(f"no site profile named {name!r} (known: {known})") from None


def profile_for_url(url: str) -> SiteProfile | None:
    for profile in all_profiles().values():
        if profile.owns(url):
            return profile
    return None


def site_key(url: str) -> str | None:
    """The record's ``site``: the profile's domain, else the host without ``www.``."""
    profile = profile_for_url(url)
    if profile is not None:
        return profile.site
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None
