"""Local HTTP servers for the demo, the tests and the bench (127.0.0.1 only, no internet needed)."""

from newscrawl.testing.server import Page, SiteServer, serve_directory

__all__ = ["Page", "SiteServer", "serve_directory"]
