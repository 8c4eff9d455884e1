"""Small news sites laid out otherwise than the mirror and the generated WordPress site, written as static
files for :class:`~newscrawl.testing.server.SiteServer`, each with what a crawl should archive of it.

* :func:`write_pager_blog`: a hand-made French CMS with no sitemap and no feed; the home page is paged
  by ``?page=N`` and "Suivant ›", the sections by ``?p=N``; older articles are only in a section's
  later pages; comments in plain ``<div>`` blocks, paged by ``?cpage=N``; no og:type, JSON-LD or body class.
* :func:`write_sitemap_only_site`: a Spanish WordPress site whose home page is an empty shell (its
  listings are built by a script): only robots.txt's gzipped sitemap index and a Google News sitemap
  lead to the articles; comments on ``comment-page-N/``.
* :func:`write_atom_drupal_site`: a French Drupal site found through its Atom feed, with relative links
  under a ``<base href>``, www and bare host mixed, links with and without their trailing slash and
  with ``?utm_`` tags; Drupal's threaded comments paged by ``?page=N`` (from 0).
* :func:`xml_base_feed_site_pages`: a site found only through its Atom and RSS feeds, whose links are
  relative to the feeds' ``xml:base`` (nested ones too), not to the feeds' own URLs.
"""

from __future__ import annotations

import gzip
import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class SiteArticle:
    url: str
    title: str
    author: str
    published: str
    """ISO 8601, as the archive should read it."""
    comments: list[tuple[str, str | None, str, str]] = field(default_factory=list)
    """(id, parent id, published, author) of every comment, in page order."""


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _paragraphs(topic: str) -> str:
    """Five paragraphs of a car article about ``topic`` (enough text to read as an article), a link to the
    maker's site (off-site) after them."""
    return (
        "".join(
            f"<p>{topic} : {sentence}</p>"
            for sentence in (
                "la présentation officielle a eu lieu cette semaine devant la presse spécialisée, avec des "
                "chiffres de consommation et d'autonomie très attendus par les acheteurs.",
                "sur la route, le confort de suspension et l'insonorisation progressent nettement par rapport à "
                "la génération précédente, même sur les revêtements dégradés des départementales.",
                "côté recharge, la puissance maximale annoncée permet de passer de 10 à 80 % en une trentaine de "
                "minutes sur une borne rapide, ce qui reste dans la moyenne de la catégorie.",
                "les tarifs débutent sous la barre symbolique des quarante mille euros avant bonus écologique, "
                "un positionnement agressif face aux concurrents allemands et coréens.",
                "les premières livraisons sont prévues avant l'été dans le réseau, et les carnets de commandes "
                "sont déjà ouverts depuis plusieurs semaines chez les concessionnaires.",
            )
        )
        + '<p>Plus d\'informations sur <a href="https://www.constructeur.test/presse/">le site du constructeur</a>.</p>'
    )


def _comment_ids(first: int, count: int) -> list[int]:
    return list(range(first, first + count))


# ---------------------------------------------------------------------------------- the pager blog

PAGER_SITE = "Le Blog Auto du Dimanche"
PAGER_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


def _pager_head(title: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)} - '
        f'{PAGER_SITE}</title><link rel="stylesheet" href="/style.css"></head>'
    )


def _pager_header() -> str:
    return (
        f'<div id="entete"><a href="/" class="logo">{PAGER_SITE}</a><ul id="menu">'
        '<li><a href="/rubrique/essais/">Essais</a></li><li><a href="/rubrique/actualite/">Actualité</a></li>'
        '<li><a href="/a-propos.html">À propos</a></li></ul></div>'
    )


def _pager_footer() -> str:
    return '<div id="pied">© 2024 · <a href="/mentions-legales.html">Mentions légales</a> · <a href="/admin/">Admin</a></div>'


def _pager_comment(number: int, parent: int | None, day: int, replies: str = "") -> str:
    return (
        f'<div class="commentaire" id="c{number}"><p class="qui"><strong>Lecteur{number}</strong> '
        f"le {day} mars 2024 à {_pager_comment_time(number)}</p>"
        f'<div class="message"><p>Commentaire {number} : '
        + ("je ne suis pas d'accord avec vous" if parent else "bel essai, merci pour ces mesures précises")
        + f", surtout pour la consommation sur autoroute ({number} km de test).</p></div>"
        f'<a class="repondre" href="?reponse={number}#formulaire">Répondre</a>{replies}</div>'
    )


def _pager_comment_time(number: int) -> str:
    return f"{number % 24}h{number % 60:02d}"


def _pager_comment_facts(number: int, parent: int | None, day: int) -> tuple:
    published = f"2024-03-{day:02d}T{number % 24:02d}:{number % 60:02d}:00+01:00"
    return (str(number), str(parent) if parent else None, published, f"Lecteur{number}")


def _pager_comment_page(
    first: int, count: int, page: int, pages: int, path: str, day: int
) -> tuple[str, list]:
    """Comments ``first`` to ``first + count - 1``, every third one with a reply (the next number)."""
    blocks, expected = [], []
    number = first
    while number < first + count:
        if (number - first) % 3 == 0 and number + 1 < first + count:
            reply = _pager_comment(number + 1, number, day + 1)
            blocks.append(_pager_comment(number, None, day + 1, f'<div class="reponses">{reply}</div>'))
            expected += [
                _pager_comment_facts(number, None, day + 1),
                _pager_comment_facts(number + 1, number, day + 1),
            ]
            number += 2
        else:
            blocks.append(_pager_comment(number, None, day + 1))
            expected.append(_pager_comment_facts(number, None, day + 1))
            number += 1
    pager = []
    if page > 1:
        previous = path if page == 2 else f"{path}?cpage={page - 1}"
        pager.append(f'<a href="{previous}#commentaires">‹ Commentaires précédents</a>')
    if page < pages:
        pager.append(f'<a href="{path}?cpage={page + 1}#commentaires">Commentaires suivants ›</a>')
    area = "".join(blocks) + (f'<p class="pages-com">{" | ".join(pager)}</p>' if pager else "")
    return area, expected


PAGER_ARTICLES = (
    # (path, title, author, day of March 2024, hour, section, comment pages of 5 comments)
    ("/article/131-renault-5-e-tech-premier-essai.html", "Renault 5 E-Tech : premier essai", "Jean Dupont", 28, 9, "essais", 3),
    ("/article/129-prix-carburants-nouvelle-hausse.html", "Prix des carburants : nouvelle hausse à la pompe", "Claire Martin", 25, 17, "actualite", 1),
    ("/article/127-peugeot-e-3008-notre-essai.html", "Peugeot e-3008 : notre essai sur 1 000 km", "Jean Dupont", 21, 10, "essais", 2),
    ("/article/124-salon-de-geneve-annule.html", "Le salon de Genève n'aura pas lieu en 2025", "Claire Martin", 18, 14, "actualite", 0),
    ("/article/120-dacia-spring-essai-longue-duree.html", "Dacia Spring : essai longue durée", "Paul Girard", 11, 8, "essais", 1),
    ("/article/117-bornes-de-recharge-autoroute.html", "Bornes de recharge : les autoroutes bien équipées", "Paul Girard", 6, 16, "actualite", 0),
)  # fmt: skip


def write_pager_blog(root: Path) -> list[SiteArticle]:
    root = Path(root)
    _write(root, "robots.txt", "User-agent: *\nDisallow: /admin/\n")
    expected: list[SiteArticle] = []
    comment_number = 100
    for path, title, author, day, hour, section, comment_pages in PAGER_ARTICLES:
        article = SiteArticle(path, title, author, f"2024-03-{day:02d}T{hour:02d}:30:00+01:00")
        expected.append(article)
        for page in range(1, max(comment_pages, 1) + 1):
            area = ""
            if comment_pages:
                comments, ids = _pager_comment_page(comment_number, 5, page, comment_pages, path, day)
                comment_number += 5
                article.comments += ids
                heading = (
                    f"<h2>{5 * comment_pages} commentaires</h2>" if page == 1 else "<h2>Commentaires</h2>"
                )
                area = f'<div id="commentaires">{heading}{comments}</div>'
            form = (
                '<form id="formulaire" method="post" action="/commenter.php"><textarea name="message"></textarea>'
                "<button>Envoyer</button></form>"
            )
            page_html = (
                _pager_head(title)
                + '<body class="fiche">'
                + _pager_header()
                + '<div id="contenu"><p class="ariane"><a href="/">Accueil</a> › '
                f'<a href="/rubrique/{section}/">{section.capitalize()}</a></p>'
                f"<h1>{html.escape(title)}</h1>"
                f'<p class="infos">Publié le {day} mars 2024 à {hour}h30 par '
                f'<a href="/auteur/{author.split()[1].lower()}.html" class="auteur">{author}</a></p>'
                f'<div class="texte">{_paragraphs(title)}</div>{area}{form}</div>'
                + _pager_footer()
                + "</body></html>"
            )
            file = path.lstrip("/") + ("" if page == 1 else f".cpage={page}.html")
            _write(root, file, page_html)
    _pager_listing(root, "", "À la une", expected, per_page=2, pages=2, query="page")
    for section in ("essais", "actualite"):
        articles = [a for a, row in zip(expected, PAGER_ARTICLES, strict=True) if row[5] == section]
        _pager_listing(
            root, f"rubrique/{section}/", section.capitalize(), articles, per_page=1, pages=3, query="p"
        )
    for name, title in (("a-propos.html", "À propos"), ("mentions-legales.html", "Mentions légales")):
        _write(
            root,
            name,
            _pager_head(title)
            + "<body>"
            + _pager_header()
            + f'<div id="contenu"><h1>{title}</h1><p>Ce blog est tenu par trois passionnés.</p></div>'
            + _pager_footer()
            + "</body></html>",
        )
    return expected


def _pager_listing(
    root: Path, folder: str, title: str, articles: list[SiteArticle], *, per_page: int, pages: int, query: str
) -> None:
    """A listing of ``articles`` over at most ``pages`` pages (older articles are not listed there)."""
    for page in range(1, pages + 1):
        teasers = "".join(
            f'<div class="billet"><h2><a href="{a.url}">{html.escape(a.title)}</a></h2>'
            f"<p>Par {a.author}</p></div>"
            for a in articles[(page - 1) * per_page : page * per_page]
        )
        if not teasers:
            break
        links = []
        if page > 1:
            links.append(f'<a href="/{folder}{"" if page == 2 else f"?{query}={page - 1}"}">‹ Précédent</a>')
        if page < pages and len(articles) > page * per_page:
            links.append(f'<a href="/{folder}?{query}={page + 1}">Suivant ›</a>')
        body = (
            _pager_head(title)
            + "<body>"
            + _pager_header()
            + f'<div id="contenu"><h1>{title}</h1>{teasers}<p>{" ".join(links)}</p></div>'
            + _pager_footer()
            + "</body></html>"
        )
        _write(root, folder + ("index.html" if page == 1 else f"index.{query}={page}.html"), body)


# ----------------------------------------------------------------------------- the sitemap-only site

SITEMAP_HOST = "www.motor-al-dia.test"
SITEMAP_BASE = f"https://{SITEMAP_HOST}"
SITEMAP_ARTICLES = (
    # (path, title, author, published, comment pages of 4 comments)
    ("/2024/04/09/seat-ibiza-2024-prueba/", "Prueba del Seat Ibiza 2024: el urbano se hace mayor", "Lucía Fernández", "2024-04-09T08:15:00+02:00", 2),
    ("/2024/04/05/precio-gasolina-semana-santa/", "El precio de la gasolina sube en Semana Santa", "Javier Romero", "2024-04-05T19:40:00+02:00", 1),
    ("/2024/03/30/cupra-tavascan-autonomia/", "Cupra Tavascan: autonomía real en autopista", "Lucía Fernández", "2024-03-30T11:00:00+01:00", 0),
)  # fmt: skip
SITEMAP_PAGES = ("/contacto/", "/aviso-legal/")
"""The site's other pages, which its page sitemap lists too."""


def _sitemap_jsonld(title: str, author: str, published: str, url: str) -> str:
    return (
        '<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"NewsArticle",'
        f'"headline":"{title}","datePublished":"{published}","author":{{"@type":"Person","name":"{author}"}},'
        f'"mainEntityOfPage":"{url}"}}]}}</script>'
    )


def _sitemap_comments(first: int, count: int, page: int, pages: int, url: str) -> tuple[str, list]:
    """WordPress comments in Spanish, the second one of a page a reply to the first."""
    items, expected = [], []
    for number in range(first, first + count):
        parent = first if number == first + 1 else None
        published = f"2024-04-10T{number % 24:02d}:05:00+02:00"
        expected.append((str(number), str(parent) if parent else None, published, f"Usuario {number}"))
        item = (
            f'<li id="comment-{number}" class="comment {"depth-2" if parent else "depth-1"}">'
            f'<article id="div-comment-{number}" class="comment-body"><footer class="comment-meta">'
            f'<div class="comment-author vcard"><b class="fn">Usuario {number}</b> <span class="says">dice:</span></div>'
            f'<div class="comment-metadata"><a href="{url}#comment-{number}"><time datetime="{published}">'
            f"10 de abril de 2024 a las {number % 24}:05</time></a></div></footer>"
            f'<div class="comment-content"><p>Comentario {number}: muy buena prueba, el consumo parece realista.</p></div>'
            "</article>"
        )
        items.append(item + ("</li>" if not parent else "</li></ol></li>"))
        if number == first and count > 1:
            items[-1] = items[-1].removesuffix("</li>") + '<ol class="children">'
    nav = []
    if page > 1:
        previous = url if page == 2 else f"{url}comment-page-{page - 1}/"
        nav.append(
            f'<div class="nav-previous"><a href="{previous}#comments">Comentarios anteriores</a></div>'
        )
    if page < pages:
        nav.append(
            f'<div class="nav-next"><a href="{url}comment-page-{page + 1}/#comments">Comentarios siguientes</a></div>'
        )
    navigation = (
        f'<nav class="navigation comment-navigation"><div class="nav-links">{"".join(nav)}</div></nav>'
        if nav
        else ""
    )
    return f'<ol class="comment-list">{"".join(items)}</ol>{navigation}', expected


def _sitemap_page(title: str, body_class: str, head: str, main: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="es-ES"><head><meta charset="UTF-8"><title>{html.escape(title)} - Motor al Día</title>'
        f'{head}</head><body class="{body_class}"><header class="site-header"><a href="{SITEMAP_BASE}/" rel="home">Motor al Día</a>'
        f'<nav><a href="{SITEMAP_BASE}/category/pruebas/">Pruebas</a> <a href="{SITEMAP_BASE}/contacto/">Contacto</a></nav></header>'
        f'<main id="main">{main}</main><footer><a href="{SITEMAP_BASE}/aviso-legal/">Aviso legal</a></footer></body></html>'
    )


def write_sitemap_only_site(root: Path) -> list[SiteArticle]:
    root = Path(root)
    _write(
        root,
        "robots.txt",
        f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {SITEMAP_BASE}/sitemap_index.xml.gz\n"
        f"Sitemap: {SITEMAP_BASE}/news-sitemap.xml\n",
    )
    # the home page and the category are empty shells: a script fills them in the browser
    shell = '<div id="app" data-endpoint="/wp-json/wp/v2/posts"></div><script src="/app.js"></script>'
    _write(root, "index.html", _sitemap_page("Inicio", "home blog", "", shell))
    _write(root, "category/pruebas/index.html", _sitemap_page("Pruebas", "archive category", "", shell))
    expected: list[SiteArticle] = []
    number = 300
    for path, title, author, published, comment_pages in SITEMAP_ARTICLES:
        url = SITEMAP_BASE + path
        article = SiteArticle(url, title, author, published)
        expected.append(article)
        head = (
            f'<link rel="canonical" href="{url}"><meta property="og:type" content="article">'
            + _sitemap_jsonld(title, author, published, url)
        )
        for page in range(1, max(comment_pages, 1) + 1):
            comments = ""
            if comment_pages:
                comments, ids = _sitemap_comments(number, 4, page, comment_pages, url)
                number += 4
                article.comments += ids
                comments = f'<div id="comments" class="comments-area"><h2 class="comments-title">Comentarios</h2>{comments}</div>'
            main = (
                f'<article class="post type-post"><h1 class="entry-title">{html.escape(title)}</h1>'
                f'<div class="entry-meta">Por <span class="author vcard"><a class="url fn n" href="{SITEMAP_BASE}/author/x/">{author}</a></span>'
                f' <time class="entry-date published" datetime="{published}">{published[:10]}</time></div>'
                f'<div class="entry-content">{_paragraphs(title)}</div></article>{comments}'
            )
            folder = path.lstrip("/") + ("" if page == 1 else f"comment-page-{page}/")
            _write(
                root,
                folder + "index.html",
                _sitemap_page(title, "wp-singular post-template-default single single-post", head, main),
            )
    for path in SITEMAP_PAGES:
        title = path.strip("/").replace("-", " ").capitalize()
        text = "".join(
            f"<p>{title}: información legal del sitio, párrafo {i}. " + "Texto legal. " * 30 + "</p>"
            for i in range(3)
        )
        _write(
            root,
            path.lstrip("/") + "index.html",
            _sitemap_page(
                title,
                "wp-singular page-template-default page page-id-12",
                '<meta property="og:type" content="website">',
                f'<article class="page"><h1>{title}</h1>{text}</article>',
            ),
        )
    _sitemap_files(root, expected)
    return expected


def _urlset(entries: str, news: bool = False) -> str:
    namespaces = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{namespaces}>{entries}</urlset>'


def _sitemap_files(root: Path, articles: list[SiteArticle]) -> None:
    """A gzipped Yoast-like sitemap index (posts, pages, categories), and a news sitemap of the newest posts."""
    posts = "".join(f"<url><loc>{a.url}</loc><lastmod>{a.published}</lastmod></url>" for a in articles)
    pages = "".join(f"<url><loc>{SITEMAP_BASE}{path}</loc></url>" for path in SITEMAP_PAGES)
    categories = f"<url><loc>{SITEMAP_BASE}/category/pruebas/</loc></url>"
    index = "".join(
        f"<sitemap><loc>{SITEMAP_BASE}/{name}.xml.gz</loc></sitemap>"
        for name in ("post-sitemap", "page-sitemap", "category-sitemap")
    )
    files = {
        "sitemap_index.xml.gz": '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>',
        "post-sitemap.xml.gz": _urlset(posts),
        "page-sitemap.xml.gz": _urlset(pages),
        "category-sitemap.xml.gz": _urlset(categories),
    }
    for name, text in files.items():
        (root / name).write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    news = "".join(
        f"<url><loc>{a.url}</loc><news:news><news:publication><news:name>Motor al Día</news:name>"
        f"<news:language>es</news:language></news:publication><news:publication_date>{a.published}"
        f"</news:publication_date><news:title>{html.escape(a.title)}</news:title></news:news></url>"
        for a in articles[:2]
    )
    _write(root, "news-sitemap.xml", _urlset(news, news=True))


# ------------------------------------------------------------------------------ the Atom Drupal site

DRUPAL_HOST = "www.auto-passion.test"
DRUPAL_BARE_HOST = "auto-passion.test"
DRUPAL_BASE = f"https://{DRUPAL_HOST}"
DRUPAL_ARTICLES = (
    # (path, title, author, published (UTC), comment pages of 3 comments)
    ("actualites/renault-scenic-e-tech-voiture-de-lannee", "Le Renault Scénic E-Tech élu voiture de l'année", "Marc Leroy", "2024-04-12T07:45:00+00:00", 3),
    ("essais/citroen-e-c3-essai", "Essai de la Citroën ë-C3 : l'électrique à 23 000 euros", "Sophie Bernard", "2024-04-08T13:20:00+00:00", 1),
    ("actualites/zfe-lyon-calendrier", "ZFE de Lyon : le nouveau calendrier des restrictions", "Marc Leroy", "2024-04-02T16:00:00+00:00", 2),
)  # fmt: skip


def _drupal_time(iso: str, *, element: bool = True) -> str:
    """Drupal's medium date, '09/04/2024 - 10:15' (its site time zone is UTC here)."""
    text = f"{iso[8:10]}/{iso[5:7]}/{iso[:4]} - {iso[11:16]}"
    return f'<time datetime="{iso.replace("+00:00", "Z")}">{text}</time>' if element else text


def _drupal_comment(number: int, node: int, when: str, replies: str = "") -> str:
    return (
        f'<article data-comment-user-id="0" id="comment-{number}" class="comment js-comment by-anonymous">'
        f'<span class="hidden" data-comment-timestamp="{int(datetime.fromisoformat(when).timestamp())}"></span>'
        '<div class="comment__text-wrapper">'
        f'<footer class="comment__meta"><p class="comment__author"><span>Passionné{number} (non vérifié)</span></p>'
        f'<p class="comment__time">{_drupal_time(when, element=False)}</p></footer>'
        f'<div class="comment__content"><h3><a href="comment/{number}#comment-{number}" class="permalink" rel="bookmark">'
        f'Avis n°{number}</a></h3><div class="text-content"><p>Avis de lecteur numéro {number} : '
        "le prix reste élevé mais l'autonomie annoncée est enfin crédible pour partir en vacances.</p></div></div>"
        f'<ul class="links inline comment__links"><li class="comment-reply"><a href="comment/reply/node/{node}/comment/{number}">'
        "Répondre</a></li></ul></div></article>"
        + (f'<div class="comments__item-indent indented">{replies}</div>' if replies else "")
    )


def _drupal_comments(first: int, page: int, pages: int, node: int, path: str, day: str) -> tuple[str, list]:
    """Three comments, the third a reply to the second; Drupal's pager (?page=N, from 0) after them."""
    when = [f"{day}T{9 + k:02d}:0{k}:00+00:00" for k in range(3)]
    reply = _drupal_comment(first + 2, node, when[2])
    area = _drupal_comment(first, node, when[0]) + _drupal_comment(first + 1, node, when[1], reply)
    parents = (None, None, str(first + 1))
    expected = [(str(first + k), parents[k], when[k], f"Passionné{first + k}") for k in range(3)]
    items = []
    for index in range(pages):
        if index == page - 1:
            items.append(f'<li class="pager__item is-active"><span>{index + 1}</span></li>')
        else:
            href = path if index == 0 else f"{path}?page={index}"
            items.append(
                f'<li class="pager__item"><a href="{href}" title="Aller à la page {index + 1}">{index + 1}</a></li>'
            )
    if page < pages:
        items.append(
            f'<li class="pager__item pager__item--next"><a href="{path}?page={page}" title="Aller à la page suivante" rel="next">'
            '<span class="visually-hidden">Page suivante</span><span aria-hidden="true">Suivant ›</span></a></li>'
        )
    pager = (
        '<nav class="pager" role="navigation" aria-labelledby="pagination-heading"><h4 id="pagination-heading" '
        f'class="visually-hidden">Pagination</h4><ul class="pager__items js-pager__items">{"".join(items)}</ul></nav>'
        if pages > 1
        else ""
    )
    return (
        '<section data-drupal-selector="comments" class="comments"><h2 class="comments__title">Commentaires</h2>'
        f"{area}{pager}</section>",
        expected,
    )


def _drupal_page(title: str, body_class: str, head: str, main: str, host: str = DRUPAL_HOST) -> bytes:
    """A page with relative links under ``<base href>`` (the site's root)."""
    return (
        f'<!DOCTYPE html>\n<html lang="fr" dir="ltr"><head><meta charset="utf-8"><base href="https://{host}/">'
        f"<title>{html.escape(title)} | Auto Passion</title>"
        '<link rel="alternate" type="application/atom+xml" title="Auto Passion" href="feed.atom">'
        f'{head}</head><body class="{body_class}"><header role="banner"><a href="./" rel="home">Auto Passion</a>'
        '<nav><ul class="menu"><li><a href="actualites">Actualités</a></li><li><a href="essais">Essais</a></li>'
        '<li><a href="user/login">Se connecter</a></li></ul></nav></header>'
        f'<main role="main">{main}</main><footer><a href="contact">Contact</a></footer></body></html>'
    ).encode()


def drupal_site_pages(*, canonical: bool = True) -> tuple[dict, list[SiteArticle]]:
    """The pages of the Drupal site by path (for ``SiteServer(pages=...)``; both hosts answer them all),
    and its articles; ``canonical=False``: the articles' pages declare no canonical URL."""
    from newscrawl.testing.server import Page

    pages: dict[str, Page] = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /user/\nDisallow: /comment/reply/\n", "text/plain")
    }
    expected: list[SiteArticle] = []
    number = 40
    for node, (path, title, author, published, comment_pages) in enumerate(DRUPAL_ARTICLES, start=5):
        url = f"{DRUPAL_BASE}/{path}"
        article = SiteArticle(url, title, author, published)
        expected.append(article)
        for page in range(1, comment_pages + 1):
            comments, ids = _drupal_comments(number, page, comment_pages, node, path, published[:10])
            number += 3
            article.comments += ids
            main = (
                f'<article data-history-node-id="{node}" class="node node--type-article node--view-mode-full">'
                f'<header><h1 class="title page-title"><span class="field field--name-title">{html.escape(title)}</span></h1>'
                f'<div class="node__meta"><span>Par <span class="field field--name-uid"><a href="user/{node}" class="username">'
                f'{author}</a></span></span> <span class="field field--name-created">{_drupal_time(published)}</span></div></header>'
                f'<div class="node__content"><div class="text-content field field--name-body">{_paragraphs(title)}</div>'
                f"{comments}</div></article>"
            )
            body = _drupal_page(
                title,
                "path-node page-node-type-article",
                f'<link rel="canonical" href="{url}">' if canonical else "",
                main,
            )
            suffix = "" if page == 1 else f"?page={page - 1}"
            pages[f"/{path}{suffix}"] = pages[f"/{path}/{suffix}"] = Page(body)
    # the home page: the newest article, linked with campaign tags and a trailing slash
    newest = DRUPAL_ARTICLES[0]
    teaser = (
        f'<article class="node node--view-mode-teaser"><h2><a href="{newest[0]}/?utm_source=accueil&amp;utm_medium=une">'
        f"{html.escape(newest[1])}</a></h2></article>"
    )
    pages["/"] = Page(_drupal_page("Accueil", "path-frontpage", "", teaser))
    for section in ("actualites", "essais"):
        pages[f"/{section}"] = Page(
            _drupal_page(section.capitalize(), "path-taxonomy", "", "<p>Aucun contenu.</p>")
        )
    pages["/contact"] = Page(_drupal_page("Contact", "path-contact", "", "<form><input name='mail'></form>"))
    entries = "".join(
        f'<entry><title>{html.escape(title)}</title><link href="{path}?utm_source=atom" rel="alternate"/>'
        f"<id>tag:{DRUPAL_HOST},2024:{node}</id><published>{published}</published><updated>{published}</updated>"
        f"<author><name>{author}</name></author></entry>"
        for node, (path, title, author, published, _) in enumerate(DRUPAL_ARTICLES, start=5)
    )
    feed = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://{DRUPAL_BARE_HOST}/">'
        f'<title>Auto Passion</title><link href="./" rel="alternate"/><updated>2024-04-12T08:00:00Z</updated>{entries}</feed>'
    )
    pages["/feed.atom"] = Page(feed.encode("utf-8"), "application/atom+xml; charset=utf-8")
    return pages, expected


# ------------------------------------------------------------------------ the xml:base feed site

FEED_HOST = "www.flux-relatifs.test"
FEED_BASE = f"https://{FEED_HOST}"


def xml_base_feed_site_pages() -> tuple[dict, list[SiteArticle]]:
    """The pages of a site whose home page is an empty shell announcing an Atom and an RSS feed, kept
    under /syndication/, its articles under /blog/2024/: the feeds' links are relative to an ``xml:base``
    (on the root element, and nested ones relative to it on an entry or a link), never to the feed's URL."""
    from newscrawl.testing.server import Page

    titles = {
        "essai-a": "Essai de la Renault 4 électrique",
        "essai-b": "Essai du Kia EV3 sur autoroute",
        "essai-c": "Essai de la Fiat Grande Panda",
        "essai-d": "Essai du Volvo EX30 en hiver",
    }
    published = "2024-04-29T10:00:00+02:00"
    pages = {"/robots.txt": Page(b"User-agent: *\n", "text/plain")}
    expected = []
    for slug, title in titles.items():
        url = f"{FEED_BASE}/blog/2024/{slug}/"
        expected.append(SiteArticle(url, title, "Anne Roux", published))
        pages[f"/blog/2024/{slug}/"] = Page(
            (
                f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
                + _sitemap_jsonld(title, "Anne Roux", published, url)
                + f"</head><body><article><h1>{html.escape(title)}</h1>{_paragraphs(title)}</article></body></html>"
            ).encode()
        )
    pages["/"] = Page(
        b'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Flux relatifs</title>'
        b'<link rel="alternate" type="application/atom+xml" href="/syndication/atom.xml">'
        b'<link rel="alternate" type="application/rss+xml" href="/syndication/rss.xml"></head>'
        b'<body><div id="app"></div><script src="/app.js"></script></body></html>'
    )
    updated = "<updated>2024-04-29T08:00:00Z</updated>"
    atom = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">'
        f"<title>Flux relatifs</title>{updated}"
        f'<entry><title>A</title><link href="2024/essai-a/"/><id>a</id>{updated}</entry>'
        f'<entry xml:base="2024/"><title>B</title><link href="essai-b/"/><id>b</id>{updated}</entry>'
        f'<entry><title>C</title><link xml:base="2024/" href="essai-c/"/><id>c</id>{updated}</entry>'
        "</feed>"
    )
    rss = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel xml:base="{FEED_BASE}/blog/">'
        "<title>Flux relatifs</title><link>./</link><item><title>D</title><link>2024/essai-d/</link></item>"
        "</channel></rss>"
    )
    pages["/syndication/atom.xml"] = Page(atom.encode(), "application/atom+xml; charset=utf-8")
    pages["/syndication/rss.xml"] = Page(rss.encode(), "application/rss+xml; charset=utf-8")
    return pages, expected
