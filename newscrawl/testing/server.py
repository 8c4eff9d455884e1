"""A small static web server for site mirrors, plus scripted routes for fault tests.

Files are answered the way the mirror's web server would (the rules of the shared
``serve_site.py``):

* a path ending in ``/`` is answered from its ``index.html``, or from ``index.xml`` as
  ``application/rss+xml`` (WordPress feeds live at ``/feed/``);
* a query string ``?k=v`` is answered from ``index.k=v.html`` (on a folder) or ``FILE.k=v.html``
  (on a file) when that file exists, else the query is ignored;
* a folder without its trailing slash is redirected (301) to it; folders are never listed.

On top of that every answer carries ``Last-Modified`` and an ``ETag`` and conditional requests get
``304 Not Modified``, like nginx or Apache. ``pages`` serves in-memory pages (the bench's generated
site) and ``routes`` maps a path to a function that answers by hand (500s, resets, truncated bodies,
slow answers ...). Every request is logged in ``hits``, every status sent in ``answers``.

Run standalone like ``serve_site.py``: ``python -m newscrawl.testing.server DIR [--port N]``.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import mimetypes
import posixpath
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["Page", "RequestContext", "SiteServer", "serve_directory", "static_pages", "static_paths"]


@dataclass(slots=True)
class Page:
    """An in-memory answer."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    mtime: float | None = None


class RequestContext:
    """What a scripted route gets: the request, and ways to answer it (well or badly)."""

    def __init__(self, handler: _Handler, count: int) -> None:
        self.handler = handler
        self.count = count
        """How many times this route has been requested, this request included."""
        self.path = handler.path
        self.headers = handler.headers

    def send(
        self,
        status: int = 200,
        body: bytes | str = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.handler.send_response(status)
        if content_type:
            self.handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.handler.send_header(name, value)
        self.handler.send_header("Content-Length", str(len(data)))
        self.handler.end_headers()
        if self.handler.command != "HEAD":
            self.handler.wfile.write(data)

    def serve_file(self) -> None:
        """Answer as the static site would."""
        self.handler.serve_static()

    def reset(self) -> None:
        """Drop the connection with a TCP RST, before any answer."""
        sock = self.handler.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.handler.close_connection = True
        sock.close()

    def truncate(self, body: bytes, declared_length: int | None = None) -> None:
        """Promise ``declared_length`` bytes, send ``body`` and hang up."""
        self.handler.send_response(200)
        self.handler.send_header("Content-Type", "text/html; charset=utf-8")
        self.handler.send_header("Content-Length", str(declared_length or len(body) * 2 + 100))
        self.handler.end_headers()
        self.handler.wfile.write(body)
        self.handler.wfile.flush()
        self.handler.close_connection = True
        self.handler.connection.shutdown(socket.SHUT_RDWR)

    def stall(self, seconds: float) -> None:
        """Say nothing for a while (a client timeout fires first), then close."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.handler.server.stopping:
            time.sleep(0.05)
        self.handler.close_connection = True


Route = Callable[[RequestContext], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    stopping = False
    site: SiteServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: without it, 40 ms per answer
    server: _Server
    server_version = "newscrawl-testserver/1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        self.server.site.answers.append((self.path, code))
        super().send_response(code, message)

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def _answer(self) -> None:
        site = self.server.site
        site.hits.append(self.path)
        path_only = self.path.split("?", 1)[0]
        route = site.routes.get(self.path) or site.routes.get(path_only)
        if route is not None:
            with site.lock:
                site.route_counts[self.path] = count = site.route_counts.get(self.path, 0) + 1
            route(RequestContext(self, count))
            return
        self.serve_static()

    # ------------------------------------------------------------------ static answers

    def serve_static(self) -> None:
        site = self.server.site
        page = site.pages.get(self.path) or site.pages.get(self.path.split("?", 1)[0])
        if page is not None:
            self._send_body(
                page.status, page.body, page.content_type, page.mtime or site.started, page.headers
            )
            return
        if site.root is None:
            self._not_found()
            return
        target = self._resolve(site.root)
        if target is None:
            self._not_found()
            return
        if isinstance(target, str):  # a redirect
            self.send_response(301)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        file, content_type = target
        try:
            body = file.read_bytes()
            mtime = file.stat().st_mtime
        except OSError:
            self._not_found()
            return
        self._send_body(200, body, content_type, mtime, {})

    def _resolve(self, root: Path) -> tuple[Path, str] | str | None:
        parts = urlsplit(self.path)
        relative = posixpath.normpath(unquote(parts.path)).lstrip("/")
        if relative.startswith("..") or "/../" in f"/{relative}/":
            return None
        location = root / relative if relative not in ("", ".") else root
        query = parts.query
        if query and location.is_dir() and (location / f"index.{query}.html").is_file():
            return location / f"index.{query}.html", "text/html"
        if query and location.is_file() and Path(f"{location}.{query}.html").is_file():
            return Path(f"{location}.{query}.html"), "text/html"
        if location.is_dir():
            if not parts.path.endswith("/"):
                return parts.path + "/" + (f"?{query}" if query else "")
            if (location / "index.html").is_file():
                return location / "index.html", "text/html"
            if (location / "index.xml").is_file():
                return location / "index.xml", "application/rss+xml"
            return None
        if location.is_file():
            return location, _content_type_of(location.name)
        return None

    def _send_body(
        self, status: int, body: bytes, content_type: str, mtime: float, headers: Mapping[str, str]
    ) -> None:
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        last_modified = email.utils.formatdate(int(mtime), usegmt=True)
        if status == 200 and self._not_modified(etag, int(mtime)):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 200:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            return mtime <= since
        return False

    def _not_found(self) -> None:
        body = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
        self._send_body(404, body, "text/html; charset=utf-8", time.time(), {})


class SiteServer:
    """A threaded server on 127.0.0.1: ``with SiteServer(root=...) as server: server.url("/")``."""

    def __init__(
        self,
        root: Path | str | None = None,
        *,
        pages: Mapping[str, Page] | None = None,
        routes: Mapping[str, Route] | None = None,
        port: int = 0,
    ) -> None:
        self.root = Path(root) if root is not None else None
        self.pages: dict[str, Page] = dict(pages or {})
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: list[str] = []
        self.answers: list[tuple[str, int]] = []
        """(path, status) of every answer (a reset or a stall gives none)."""
        self.route_counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.started = time.time()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.site = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def hit_count(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit == path)

    def start(self) -> SiteServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="site-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping = True
        if self._thread is not None:  # shutdown() waits for a serve_forever() that must be running
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _content_type_of(name: str) -> str:
    """A file's content type by its name, as the server answers it at its own path."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def static_paths(root: Path | str) -> Iterator[tuple[str, Path, str]]:
    """The static rules inverted: ``(path, file, content type)`` for each path a mirror's file is
    answered at instead of its own (``/dir/`` for its ``index.html``, or its ``index.xml`` when there
    is no ``index.html``; ``/dir/?k=v`` for ``index.k=v.html``; ``/file?k=v`` for ``file.k=v.html``),
    and every other file at its own path, in file order: each page of the site once."""
    root = Path(root)
    for file in sorted(root.rglob("*")):
        if not file.is_file():
            continue
        relative = "/" + file.relative_to(root).as_posix()
        directory, name = relative.rsplit("/", 1)
        if name == "index.html":
            yield directory + "/", file, "text/html"
        elif name == "index.xml" and not (file.parent / "index.html").is_file():
            yield directory + "/", file, "application/rss+xml"
        elif name.startswith("index.") and name.endswith(".html"):
            yield f"{directory}/?{name[len('index.') : -len('.html')]}", file, "text/html"
        else:
            queried = False
            if name.endswith(".html"):
                for dot in (i for i, c in enumerate(name) if c == "."):
                    base, query = name[:dot], name[dot + 1 : -len(".html")]
                    if query and (file.parent / base).is_file():
                        queried = True
                        yield f"{directory}/{base}?{query}", file, "text/html"
            if not queried:
                yield relative, file, _content_type_of(name)


def static_pages(root: Path | str) -> dict[str, Page]:
    """Every file of a mirror as an in-memory page, at each path :func:`static_paths` gives it and at
    its own, for a server that should not touch the disk on each request (a bench: the crawl it
    measures needs the CPUs)."""
    root = Path(root)
    pages: dict[str, Page] = {}
    for path, file, content_type in static_paths(root):
        page = Page(file.read_bytes(), content_type, mtime=file.stat().st_mtime)
        pages[path] = page
        own = "/" + file.relative_to(root).as_posix()
        if own != path:
            pages.setdefault(own, Page(page.body, _content_type_of(file.name), mtime=page.mtime))
    return pages


@contextmanager
def serve_directory(root: Path | str) -> Iterator[SiteServer]:
    """Serve a mirror directory in a background thread for the duration of the block."""
    with SiteServer(root) as server:
        yield server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a static site mirror on 127.0.0.1.")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed first)")
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="read every file once at start and answer from memory (later changes on disk are not seen)",
    )
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        parser.error(f"not a directory: {args.dir}")
    pages = static_pages(args.dir) if args.in_memory else None
    server = SiteServer(args.dir, pages=pages, port=args.port)
    print(server.port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
