"""Generate a WordPress-like news site as static files (tests of profile-less crawling, the bench).

The markup is a different theme from blog-auto-info.com's on purpose, and the site has no profile:
posts under ``/YYYY/MM/DD/slug/``, categories under ``/rubrique/NAME/`` paginated with ``?page=N``,
the home page paginated with ``/page/N/``, threaded comments split over ``?cpage=N`` pages, a sitemap
index with lastmod, an RSS feed, robots.txt. Files follow the static server's rules
(``?k=v`` → ``index.k=v.html``). Everything is deterministic for a given seed.

``python -m newscrawl.testing.sitegen DIR --articles 5000`` writes one.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
HOST = "www.moteur-hebdo.test"
SITE_NAME = "Moteur Hebdo"
CATEGORIES = ("essais", "actualites", "electrique", "occasion")
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
BRANDS = "Renault Peugeot Citroën Dacia Tesla Toyota Volkswagen BMW Kia Hyundai Skoda Fiat Alpine DS".split()
MODELS = "Clio Mégane 208 3008 C4 Duster Spring Model-Y Yaris Golf iX EV6 Ioniq Octavia 500e A290".split()
WORDS = (
    "autonomie batterie recharge borne moteur hybride électrique consommation prix gamme version finition "
    "habitacle coffre tenue route confort silence accélération freinage freinage régénératif autoroute ville "
    "bonus écologique malus leasing concession garantie entretien pneus suspension plateforme usine marché "
    "ventes immatriculations concurrent tarif équipement sécurité aide conduite écran logiciel mise à jour"
).split()
AUTHORS = ("Camille Laurent", "Hugo Bernard", "Léa Moreau", "Nicolas Petit", "Sarah Lefèvre")
COMMENTERS = ("Alain", "Bea76", "Chris_R", "Dédé", "Elodie", "Fanfan", "Guy M.", "Hélène", "Ivan", "Jojo")


@dataclass(slots=True)
class GeneratedArticle:
    url: str
    path: str
    title: str
    published: datetime
    category: str
    comment_ids: list[str] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)
    """comment id → parent id"""
    comment_pages: int = 1
    related: list[str] = field(default_factory=list)


@dataclass(slots=True)
class GeneratedSite:
    root: Path
    host: str
    articles: list[GeneratedArticle]
    pages: int
    """Files written (every page the site can answer)."""

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(9, 18)) for _ in range(rng.randint(3, 5)))


def _french_date(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def _comment_date(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{_french_date(local)} à {local.hour} h {local.minute:02d} min"


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _head(title: str, canonical: str, extra: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="fr-FR"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} – {SITE_NAME}</title>"
        f'<link rel="canonical" href="{canonical}">'
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} » Flux" href="/feed/">'
        f"{extra}</head>"
    )


def _site_header() -> str:
    links = "".join(f'<li><a href="/rubrique/{c}/">{c.capitalize()}</a></li>' for c in CATEGORIES)
    return (
        f'<header class="site-header"><p class="site-title"><a href="/" rel="home">{SITE_NAME}</a></p>'
        f'<nav class="main-navigation"><ul class="menu">{links}</ul></nav></header>'
    )


def _footer() -> str:
    return '<footer class="site-footer"><a href="/contact/">Contact</a> · <a href="/wp-login.php">Connexion</a></footer>'


def _comment_html(comment: dict, children: list[dict], by_parent: dict[str, list[dict]]) -> str:
    nested = ""
    if children:
        nested = (
            '<ol class="children">'
            + "".join(_comment_html(child, by_parent.get(child["id"], []), by_parent) for child in children)
            + "</ol>"
        )
    return (
        f'<li id="comment-{comment["id"]}" class="comment">'
        f'<article id="div-comment-{comment["id"]}" class="comment-body">'
        f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">{html.escape(comment["author"])}</b>'
        f' <span class="says">dit :</span></div><div class="comment-metadata"><a href="#comment-{comment["id"]}">'
        f'<time datetime="{comment["at"].isoformat()}">{_comment_date(comment["at"])}</time></a></div></footer>'
        f'<div class="comment-content"><p>{html.escape(comment["text"])}</p></div>'
        f'<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#comment-{comment["id"]}">Répondre</a></div>'
        f"</article>{nested}</li>"
    )


def article_page(
    article: GeneratedArticle,
    body: list[tuple[str | None, list[str]]],
    threads: list[list[dict]],
    page: int,
    total_comments: int,
    related_titles: dict[str, str],
    style: int,
) -> str:
    """One page of an article: page 1 is the article page, later pages repeat it with other comments."""
    url = article.url
    author = AUTHORS[zlib.crc32(article.path.encode()) % len(AUTHORS)]
    jsonld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle" if style != 1 else "BlogPosting",
        "headline": article.title,
        "datePublished": article.published.isoformat(),
        "author": {"@type": "Person", "name": author},
        "commentCount": total_comments,
        "mainEntityOfPage": url,
    }
    extra = '<meta property="og:type" content="article">' if style != 2 else ""
    extra += f'<script type="application/ld+json">{json.dumps(jsonld, ensure_ascii=False)}</script>'
    parts = [_head(article.title, url, extra), '<body class="post-template-default single single-post">']
    parts.append('<div id="page">' + _site_header() + '<main id="main"><article class="post type-post">')
    parts.append(
        f'<span class="cat-links"><a href="/rubrique/{article.category}/" rel="category">{article.category.capitalize()}</a></span>'
    )
    parts.append(f'<h1 class="entry-title">{html.escape(article.title)}</h1>')
    parts.append(
        f'<div class="entry-meta">Par <span class="author vcard"><a class="url fn n" href="/auteur/{author.split()[0].lower()}/">'
        f'{author}</a></span> le <time class="entry-date published" datetime="{article.published.isoformat()}">'
        f"{_french_date(article.published)}</time></div>"
    )
    parts.append('<div class="entry-content">')
    for index, (heading, paragraphs) in enumerate(body):
        if heading:
            parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        if index == 1 and article.related:
            target = article.related[0]
            parts.append(f'<p>Lire aussi : <a href="{target}">{html.escape(related_titles[target])}</a></p>')
    parts.append("</div></article>")
    if total_comments:
        parts.append('<div id="comments" class="comments-area">')
        parts.append(
            f'<h2 class="comments-title">{total_comments} commentaires sur « {html.escape(article.title)} »</h2>'
        )
        by_parent: dict[str, list[dict]] = {}
        for thread in threads:
            for comment in thread[1:]:
                by_parent.setdefault(comment["parent"], []).append(comment)
        parts.append('<ol class="comment-list">')
        parts.extend(
            _comment_html(thread[0], by_parent.get(thread[0]["id"], []), by_parent) for thread in threads
        )
        parts.append("</ol>")
        if article.comment_pages > 1:
            links = []
            if page > 1:
                previous = url if page == 2 else f"{url}?cpage={page - 1}"
                links.append(
                    f'<div class="nav-previous"><a href="{previous}#comments">Commentaires précédents</a></div>'
                )
            if page < article.comment_pages:
                links.append(
                    f'<div class="nav-next"><a href="{url}?cpage={page + 1}#comments">Commentaires suivants</a></div>'
                )
            parts.append(
                '<nav class="navigation comment-navigation" aria-label="Navigation des commentaires">'
                f'<div class="nav-links">{"".join(links)}</div></nav>'
            )
        parts.append(
            '<div id="respond" class="comment-respond"><h3 class="comment-reply-title">Laisser un commentaire</h3>'
            '<form action="/wp-comments-post.php" method="post" class="comment-form"><textarea name="comment"></textarea>'
            "</form></div></div>"
        )
    parts.append("</main>" + _footer() + "</div></body></html>")
    return "".join(parts)


def listing_page(
    title: str,
    canonical: str,
    teasers: list[GeneratedArticle],
    next_url: str | None,
    previous_url: str | None,
    body_class: str,
) -> str:
    parts = [
        _head(title, canonical),
        f'<body class="{body_class}"><div id="page">',
        _site_header(),
        '<main id="main">',
    ]
    parts.append(f'<header class="page-header"><h1 class="page-title">{html.escape(title)}</h1></header>')
    for article in teasers:
        parts.append(
            f'<article class="post"><h2 class="entry-title"><a href="{article.url}" rel="bookmark">'
            f'{html.escape(article.title)}</a></h2><div class="entry-meta"><time datetime="{article.published.isoformat()}">'
            f"{_french_date(article.published)}</time></div></article>"
        )
    links = []
    if previous_url:
        links.append(f'<a class="prev page-numbers" href="{previous_url}">« Précédent</a>')
    if next_url:
        links.append(f'<a class="next page-numbers" href="{next_url}">Suivant »</a>')
    if links:
        parts.append(
            f'<nav class="navigation pagination"><div class="nav-links">{"".join(links)}</div></nav>'
        )
    parts.append("</main>" + _footer() + "</div></body></html>")
    return "".join(parts)


def generate_site(
    root: Path | str,
    *,
    articles: int = 30,
    seed: int = 7,
    now: datetime | None = None,
    host: str = HOST,
    comments_per_page: int = 8,
    max_comments: int = 20,
    per_listing_page: int = 10,
    sitemap: bool = True,
    days: int = 365,
) -> GeneratedSite:
    """Write the site under ``root``; returns what it holds (for assertions)."""
    root = Path(root)
    rng = random.Random(seed)
    now = (now or datetime(2024, 5, 1, 12, 0, tzinfo=UTC)).astimezone(UTC)
    base = f"https://{host}"
    generated: list[GeneratedArticle] = []
    span = max(1, days * 24 * 60 // max(articles, 1))
    for index in range(articles):
        published = (now - timedelta(minutes=span * index + rng.randint(0, max(1, span // 2)))).replace(
            second=0, microsecond=0
        )
        local = published.astimezone(PARIS)
        brand, model = rng.choice(BRANDS), rng.choice(MODELS)
        title = f"{brand} {model} : {rng.choice(WORDS)} et {rng.choice(WORDS)} à l'essai n°{index + 1}"
        slug = (
            f"{brand}-{model}-essai-{index + 1}".lower().replace("ë", "e").replace("é", "e").replace(".", "")
        )
        path = f"/{local:%Y/%m/%d}/{slug}/"
        generated.append(
            GeneratedArticle(
                url=base + path, path=path, title=title, published=published, category=rng.choice(CATEGORIES)
            )
        )
    titles = {a.url: a.title for a in generated}
    files = 0
    comment_id = 1000
    for index, article in enumerate(generated):
        if len(generated) > 1 and rng.random() < 0.7:
            article.related = [generated[(index + rng.randint(1, len(generated) - 1)) % len(generated)].url]
        body = [(None, [_paragraph(rng)])] + [
            (_sentence(rng, 5)[:-1], [_paragraph(rng) for _ in range(2)]) for _ in range(3)
        ]
        count = rng.choice([0, 0, 1, 3]) if rng.random() < 0.4 else rng.randint(2, max_comments)
        threads: list[list[dict]] = []
        made = 0
        while made < count:
            comment_id += 1
            at = article.published + timedelta(minutes=30 * (made + 1))
            thread = [
                {
                    "id": str(comment_id),
                    "parent": None,
                    "author": rng.choice(COMMENTERS),
                    "at": at,
                    "text": _sentence(rng, rng.randint(6, 20)),
                }
            ]
            made += 1
            article.comment_ids.append(str(comment_id))
            while made < count and rng.random() < 0.3:
                comment_id += 1
                parent = thread[-1]["id"] if rng.random() < 0.5 else thread[0]["id"]
                thread.append(
                    {
                        "id": str(comment_id),
                        "parent": parent,
                        "author": rng.choice(COMMENTERS),
                        "at": at + timedelta(minutes=5 * len(thread)),
                        "text": _sentence(rng, rng.randint(6, 20)),
                    }
                )
                article.comment_ids.append(str(comment_id))
                article.replies[str(comment_id)] = parent
                made += 1
            threads.append(thread)
        # WordPress pages top-level threads; replies stay with their thread.
        pages: list[list[list[dict]]] = [[]]
        for thread in threads:
            if sum(len(t) for t in pages[-1]) >= comments_per_page:
                pages.append([])
            pages[-1].append(thread)
        article.comment_pages = len(pages)
        style = index % 3
        for number, page_threads in enumerate(pages, 1):
            name = "index.html" if number == 1 else f"index.cpage={number}.html"
            _write(
                root,
                article.path.lstrip("/") + name,
                article_page(article, body, page_threads, number, count, titles, style),
            )
            files += 1
    # listings: home (/page/N/), categories (?page=N)
    chunks = [generated[i : i + per_listing_page] for i in range(0, len(generated), per_listing_page)] or [[]]
    for number, chunk in enumerate(chunks, 1):
        path = "index.html" if number == 1 else f"page/{number}/index.html"
        next_url = f"{base}/page/{number + 1}/" if number < len(chunks) else None
        previous = (f"{base}/" if number == 2 else f"{base}/page/{number - 1}/") if number > 1 else None
        canonical = f"{base}/" if number == 1 else f"{base}/page/{number}/"
        _write(root, path, listing_page(SITE_NAME, canonical, chunk, next_url, previous, "home blog"))
        files += 1
    for category in CATEGORIES:
        members = [a for a in generated if a.category == category]
        parts = [members[i : i + per_listing_page] for i in range(0, len(members), per_listing_page)] or [[]]
        for number, chunk in enumerate(parts, 1):
            name = "index.html" if number == 1 else f"index.page={number}.html"
            url = f"{base}/rubrique/{category}/"
            next_url = f"{url}?page={number + 1}" if number < len(parts) else None
            previous = (url if number == 2 else f"{url}?page={number - 1}") if number > 1 else None
            _write(
                root,
                f"rubrique/{category}/{name}",
                listing_page(
                    category.capitalize(),
                    url if number == 1 else f"{url}?page={number}",
                    chunk,
                    next_url,
                    previous,
                    "archive category",
                ),
            )
            files += 1
    _write(
        root,
        "contact/index.html",
        _head("Contact", f"{base}/contact/")
        + '<body class="page"><main><h1>Contact</h1><p>Écrivez-nous.</p></main></body></html>',
    )
    files += 1
    robots = "User-agent: *\nDisallow: /wp-admin/\n"
    if sitemap:
        robots += f"\nSitemap: {base}/sitemap.xml\n"
        chunk_size = 1000
        names = []
        for number, start in enumerate(range(0, len(generated), chunk_size), 1):
            entries = "".join(
                f"<url><loc>{a.url}</loc><lastmod>{a.published.isoformat()}</lastmod></url>"
                for a in generated[start : start + chunk_size]
            )
            names.append(f"post-sitemap{number}.xml")
            _write(
                root,
                names[-1],
                f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>',
            )
            files += 1
        index = "".join(f"<sitemap><loc>{base}/{name}</loc></sitemap>" for name in names)
        _write(
            root,
            "sitemap.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>',
        )
        files += 1
    _write(root, "robots.txt", robots)
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{a.url}</link>"
        f"<pubDate>{a.published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for a in generated[:20]
    )
    _write(
        root,
        "feed/index.xml",
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{SITE_NAME}</title>'
        f"<link>{base}/</link>{items}</channel></rss>",
    )
    files += 3
    return GeneratedSite(root=root, host=host, articles=generated, pages=files)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a generated WordPress-like news site.")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    site = generate_site(args.dir, articles=args.articles, seed=args.seed)
    print(f"{len(site.articles)} articles, {site.pages} files in {site.root} (https://{site.host}/)")


if __name__ == "__main__":
    main()
