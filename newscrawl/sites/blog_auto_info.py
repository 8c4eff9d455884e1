"""blog-auto-info.com: a French WordPress car blog (Yoast SEO, classic comments with pages)."""

from newscrawl.sites import SiteProfile

PROFILE = SiteProfile(
    name="blog-auto-info",
    domains=("blog-auto-info.com",),
    start_urls=("https://blog-auto-info.com/",),
    sitemaps=("https://blog-auto-info.com/sitemap_index.xml",),
    feeds=("https://blog-auto-info.com/feed/",),
    # posts live at the root: /<slug>/ (comment pages /<slug>/comment-page-N/ belong to them)
    article_url=r"^https?://(?:www\.)?blog-auto-info\.com/(?!category/|tag/|author/|page/|feed/|wp-)[a-z0-9-]+/$",
    ignore_url=r"/(?:wp-admin|wp-login|wp-json)|[?&](?:replytocom|s)=",
    language="fr",
    timezone="Europe/Paris",
    selectors={"body": "article .entry-content"},
)
