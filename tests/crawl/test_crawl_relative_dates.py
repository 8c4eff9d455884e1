"""A page that dates its article and comments by their age ("Publié il y a 3 heures"): each visit
resolves the ages against its own fetch time; the archive must not take that for a change (no new
version, no edited comment) when the ages still say the same instants."""

from __future__ import annotations

from newscrawl.testing.server import Page, SiteServer
from tests.crawl.helpers import FAST, newscrawl, sql

HOST = "autos.example.fr"
URL = f"https://{HOST}/essais/citadine-electrique/"
PROSE = (
    "La citadine électrique a parcouru trois cents kilomètres sur notre boucle mixte, avec une "
    "consommation moyenne de quinze kilowattheures, ce qui la place parmi les plus sobres."
)


def page(article_age: str, comment_age: str, title: str = "Essai de la citadine électrique") -> Page:
    html = f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title} - Autos</title>
    </head><body class="single single-post"><main><article><h1>{title}</h1>
    <div class="entry-meta"><span class="byline">Par <a rel="author" href="/auteur/julie/">Julie Martin</a>
    </span> <span class="posted-on">Publié {article_age}</span></div>
    <div class="entry-content"><p>{PROSE} Un.</p><p>{PROSE} Deux.</p><p>{PROSE} Trois.</p></div></article>
    <div id="comments" class="comments-area"><h2 class="comments-title">1 commentaire</h2>
    <ol class="comment-list"><li id="comment-11" class="comment"><article id="div-comment-11"
    class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Paul</b>
    </div><div class="comment-metadata"><span>{comment_age}</span></div></footer><div class="comment-content">
    <p>Essai très complet, merci pour les chiffres de recharge.</p></div></article></li></ol></div>
    </main></body></html>"""
    return Page(html.encode())


def scrape_save(server: SiteServer, db: str) -> str:
    run = newscrawl("scrape", URL, "--save", "--db", db, *FAST, "--resolve", f"{HOST}={server.base_url}")
    assert run.returncode == 0, run.output[-3000:]
    return run.stderr


def test_ages_read_again_an_hour_later_change_nothing(tmp_path):
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    path = "/essais/citadine-electrique/"
    with SiteServer(pages={path: page("il y a 3 heures", "il y a 2 jours")}) as server:
        assert "saved: new" in scrape_save(server, db)
        (first,) = sql(db, "SELECT published_at, published_raw FROM article_versions")
        # The next visit, as an hour later: both ages moved on.
        server.pages[path] = page("il y a 4 heures", "il y a 3 jours")
        assert "saved: unchanged" in scrape_save(server, db)
        assert sql(db, "SELECT published_at, published_raw FROM article_versions") == [first]
        assert first[1] == "Publié il y a 3 heures"
        assert sql(db, "SELECT published_raw, updated_at FROM comments") == [("il y a 2 jours", None)]
        # A real change is still a version, and it keeps the archived date.
        server.pages[path] = page(
            "il y a 4 heures", "il y a 3 jours", title="Essai de la citadine, mis à jour"
        )
        assert "saved: updated" in scrape_save(server, db)
        versions = sql(db, "SELECT published_raw, changed_fields FROM article_versions ORDER BY id")
    assert [raw for raw, _ in versions] == ["Publié il y a 3 heures", "Publié il y a 3 heures"]
    assert "published_at" not in versions[1][1] and "title" in versions[1][1]
    # Re-extracting the captures (each resolved against its own fetch time) makes no version either.
    run = newscrawl("reextract", "--db", db)
    assert run.returncode == 0, run.output[-3000:]
    assert sql(db, "SELECT count(*) FROM article_versions") == [(2,)]
