"""Word lists and class-name patterns the body extractor recognizes, in the languages we read.

Kept apart from the algorithm so a new language is a data change.
"""

from __future__ import annotations

import re

# Labels of inline related-article blocks, as they start the block's text.
_RELATED_LABELS = [
    # fr
    r"[àa] lire (?:aussi|également|egalement|en complément|ensuite)",
    r"[àa] lire",
    r"lire (?:aussi|également|egalement|la suite aussi)",
    r"lisez (?:aussi|également)",
    r"sur le m[êe]me (?:sujet|th[èe]me)",
    r"dans la m[êe]me rubrique",
    r"(?:[àa] )?voir aussi",
    r"[àa] voir (?:aussi|également)",
    r"[àa] d[ée]couvrir(?: aussi| également)?",
    r"d[ée]couvrez (?:aussi|également)",
    r"pour aller plus loin",
    r"article li[ée]",
    r"articles li[ée]s",
    r"en relation",
    # en
    r"read more",
    r"read also",
    r"also read",
    r"read next",
    r"related(?: articles?| stories| story| posts?| content| reading| coverage)?",
    r"see also",
    r"more on this(?: story| topic)?",
    r"you (?:may|might) also like",
    r"recommended(?: reading| for you)?",
    # de
    r"lesen sie (?:auch|mehr)",
    r"lies auch",
    r"auch interessant",
    r"das k[öo]nnte sie (?:auch )?interessieren",
    r"mehr zum thema",
    r"siehe auch",
    r"weitere artikel",
    # es / it / pt / nl
    r"lee (?:también|tambien)",
    r"lea (?:también|tambien)",
    r"te puede interesar",
    r"ver (?:también|tambien)",
    r"leggi anche",
    r"potrebbe interessarti",
    r"leia (?:também|tambem|mais)",
    r"veja (?:também|tambem)",
    r"lees ook",
]
RELATED_LABEL = re.compile(
    r"^\s*[«»>›▶►→\-–—•|]*\s*(?P<label>(?:"
    + "|".join(_RELATED_LABELS)
    + r"))\b\s*(?:[:：»›>\-–—|]+|\.{3}|…)?\s*",
    re.IGNORECASE,
)

# Labels introducing a summary list.
_KEY_POINT_LABELS = [
    r"points?[ -]cl[ée]s?",
    r"[àa] retenir",
    r"ce qu.il faut (?:retenir|savoir)",
    r"l.essentiel",
    r"en bref",
    r"en r[ée]sum[ée]",
    r"les faits",
    r"key (?:takeaways?|points|facts|findings)",
    r"takeaways?",
    r"in brief",
    r"at a glance",
    r"tl;? ?dr",
    r"highlights",
    r"das wichtigste",
    r"auf einen blick",
    r"in k[üu]rze",
    r"kurz (?:und bündig|zusammengefasst)",
    r"puntos? clave",
    r"en resumen",
    r"lo m[áa]s importante",
    r"punti chiave",
    r"in breve",
    r"pontos?[ -]chave",
]
KEY_POINT_LABEL = re.compile(r"\b(?:" + "|".join(_KEY_POINT_LABELS) + r")\b", re.IGNORECASE)
KEY_POINT_CLASS = re.compile(
    r"key-?points?|takeaways?|keypoints|tl-?dr|article-summary|summary-list|essentiel|highlights", re.I
)

# Headings that open boilerplate rather than a part of the article.
JUNK_HEADING = re.compile(
    r"^(?:partage[rz]?(?: cet article| l.article)?|share(?: this(?: article| story| post)?)?|teilen|compartir|condividi|"
    r"commentaires?|comments?|kommentare?|comentarios|commenti|laisser un commentaire|leave a (?:reply|comment)|"
    r"r[ée]agir|réactions?|"
    r"newsletter|abonnez-vous.*|subscribe.*|sign up.*|inscrivez-vous.*|"
    r"(?:les )?plus lus|most (?:read|popular|viewed)|meistgelesen|popular|trending|"
    r"(?:vous )?aimerez aussi|vous pourriez aussi aimer|you (?:may|might) also like|"
    r"tags?|mots[- ]cl[ée]s|[ée]tiquettes|schlagw[öo]rter|"
    r"publicit[ée]|advertisement|anzeige|"
    r"about the author|[àa] propos de l.auteur|l.auteur|the author|über den autor|"
    r"like this|j.aime ceci|similaire|similar|related posts?|more about|en savoir plus sur|mehr zu|"
    r"navigation(?: des articles| de l.article)?|post navigation|"
    r"sources?|credits?|crédits?)\s*:?$",
    re.IGNORECASE,
)

# Short lines that are widget chrome, not prose.
JUNK_LINE = re.compile(
    r"^(?:publicit[ée]|advertisement|anzeige|werbung|sponsored|annonce|"
    r"partager|partagez|share|share this|teilen|tweet|imprimer|print|e-?mail|"
    r"lire la suite|read more|continue reading|weiterlesen|"
    r"j.aime(?: chargement)?|like this|like loading|"
    r"(?:click|cliquez) (?:here|ici).*|"
    r"photo\s*:.*|cr[ée]dit photo.*|©.*|"
    r"abonnez-vous.*|subscribe.*|sign up.*|"
    r"suivez-nous.*|follow us.*|beitragsbild|image d.illustration|image illustrative|illustration|"
    r"more about|reuse content|related topics?|sujets? associ[ée]s?|mots[- ]cl[ée]s|tags?|"
    # forum and Q&A chrome
    r"click to (?:expand|shrink)|reply with quote|quote|upvote(?: post)?|downvote|log in(?: to reply)?|"
    r"go to topic listing|comments|related|start asking to get answers|explore related questions|"
    r"kommentare geschlossen|comments? (?:are )?closed|commentaires? fermés|\d[\d,.]* (?:posts?|messages?|beiträge)|"
    r".*\d+ (?:gold|silver|bronze) badges?.*|join to see .*|add a comment|sorted by:.*|register|menu|"
    r"you must log in.*|originally posted by .*|latest: .*|(?:\[ ?\d+ ?\] )?thanks|"
    # post metadata lines: "answered Feb 4, 2014 at 13:27", "Last edited: Jul 13, 2024", "poke Over a year ago"
    r"(?:asked|answered|edited|commented|posted|modified|last edited:?|updated:?) .*\d.*|"
    r".{0,40} over an? (?:year|month|week|day) ago|\d+ (?:seconds?|minutes?|hours?|days?) ago|"
    r"(?:today|yesterday) at .*)\W*$",
    re.IGNORECASE,
)

# A line that is only a date and/or time ("23.10.2018", "19:49", "5 mai 2024 à 10h00").
DATE_ONLY_LINE = re.compile(
    r"^(?:(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\.? \w{3,10}\.? \d{4})"
    r"(?:,? (?:à |um |at )?\d{1,2}[:h]\d{2}(?: ?uhr| ?[ap]m)?)?|\d{1,2}[:h]\d{2}(?: ?uhr| ?[ap]m)?)$",
    re.IGNORECASE,
)

# Class/id tokens of boilerplate inside an article container (tested against each token).
BOILERPLATE_TOKEN = re.compile(
    r"""^(?:
      .*share.*|.*sharing.*|social|social-.*|.*-social|.*-social-.*|sociable|addtoany.*|a2a.*|
      .*newsletter.*|subscribe.*|.*-subscribe|.*subscription.*|
      ads?|ad-.*|.*-ads?|.*-ad-.*|adsbygoogle|advert.*|.*-advert.*|.*advertisement.*|.*adsense.*|dfp-.*|
      .*sponsor.*|promo|promo-.*|.*-promo|outbrain.*|taboola.*|ob-.*|
      related|related[-_].*|relatedposts|.*[-_]related[-_]posts?|yarpp.*|jp-relatedposts.*|crp_related.*|
      (?:.*[-_])?author(?:[-_].*)?|about-?(?:the-)?author.*|authorbox|
      teaser|teaser[-_].*|.*[-_]teaser(?:[-_].*)?|.*post-card.*|savoir[-_]plus.*|
      .*tags?-links|tagcloud|post-tags|entry-tags|article-tags|tags|tag-list|
      breadcrumbs?|.*-breadcrumbs?|
      comments?|comment-.*|comments-.*|commentlist|respond|disqus.*|
      print|toolbar|wp-block-buttons|.*-rating|rating|.*star-rating.*|
      pagination|pager|.*-pagination|nav-links|post-navigation|
      widget|widgets|widget-.*|.*-widget|sidebar.*|
      popup.*|modal|modal-.*|cookie.*|.*-cookie.*|gdpr.*|paywall-(?:prompt|banner|message|cta|overlay|offer).*|
      wp-caption.*|caption|.*-caption|image-credit|.*-credit|credits?|(?:.*[-_])?l[ée]gende(?:[-_].*)?|
      byline.*|.*-byline|dateline|entry-meta|post-meta|article-meta|.*-meta|meta|posted-on|post-date|
      .*__meta|.*__meta-.*|.*-meta-(?:single|info|data|wrap|wrapper|container|inner|top|bottom|line)|
      screen-reader-text|visually-hidden|sr-only|skip-link|d-none|
      signature|wpcnt|jp-post-flair|sd-.*|sharedaddy|
      toc|ez-toc.*|table-of-contents|lwptoc.*|
      video-?js|vjs-.*|jw-.*|jwplayer.*|.*video-?player.*|.*media-?player.*|player-?controls?
    )$""",
    re.VERBOSE,
)

# Vetoes that hold even over long text: slideshows carry prose-like captions.
MEDIA_TOKEN = re.compile(
    r"^(?:gallery|.*-gallery|gallery-.*|slideshow.*|.*-slideshow|carousel.*|.*-carousel|swiper.*|"
    r"video-?js|vjs-.*|jwplayer.*|.*video-?player.*)$"
)

# Class tokens of a social network's post embedded in an article (the <blockquote> its embed code
# writes before the script replaces it): X/Twitter, Instagram, TikTok, Bluesky, Threads, Mastodon, Facebook.
SOCIAL_EMBED_TOKEN = re.compile(
    r"^(?:twitter-tweet|twitter-video|instagram-media|tiktok-embed|bluesky-embed|text-post-media|"
    r"mastodon-embed|fb-xfbml-parse-ignore)$"
)
# The line that credits an embedded post: "— Name (@handle) March 3, 2024", "A post shared by Name
# (@handle)": a short line ending with the account's handle and at most its date.
EMBED_CREDIT_LINE = re.compile(r"^.{0,100}\(@[\w.-]{1,60}\)[^()]{0,40}$")

COMMENT_TOKEN = re.compile(
    r"^(?:comments?|comment-.*|comments-.*|commentlist|respond|.*-meta|meta|byline.*)$"
)

# Readability-style hints to score candidate containers (class/id text, lower-cased).
POSITIVE_HINT = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|chapo|corps"
)
NEGATIVE_HINT = re.compile(
    r"-ad-|hidden|^hid$|banner|combx|comment|com-|contact|foot|footnote|gdpr|masthead|media|meta|outbrain|promo|"
    r"related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget|teaser|recirc|newsletter"
)
UNLIKELY_HINT = re.compile(
    r"-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|"
    r"menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|"
    r"pagination|pager|popup|yom-remote|newsletter|teaser|recirc|most-read|cookie|consent|onetrust|didomi|cmp-|modal"
)
# Never content, even when relaxed reading lifts the other vetoes.
# (Not "modal": some sites render the article itself in a modal viewer.)
OVERLAY_HINT = re.compile(r"cookie|consent|onetrust|didomi|gdpr|cmp-|newsletter|paywall-prompt|ot-pc|ot-sdk")
MAYBE_HINT = re.compile(r"and|article|body|column|content|main|shadow|entry|story|post-text|chapo")

# Known article-body containers (CMS conventions), most specific first.
CONTENT_SELECTORS = (
    "[itemprop='articleBody']",
    ".entry-content",
    ".post-content",
    ".article-content",
    ".article-body",
    ".article__body",
    ".article__content",
    ".articleBody",
    ".story-body",
    ".post-body",
    ".td-post-content",
    ".field--name-body",
    ".content-article",
    ".article-text",
    ".texte-article",
    ".article-texte",
    ".single-content",
    ".post-entry",
)

# Standfirst / chapo containers.
LEAD_CLASS = re.compile(
    r"(?:^|[\s_-])(?:chap[oô]|chapeau|standfirst|lead|lede|intro|introduction|teaser-text|article-summary|"
    r"summary|excerpt|sous-titre|sub-?title|subheadline|sub-headline|deck|description|kicker-text|abstract)(?:$|[\s_-])",
    re.I,
)
