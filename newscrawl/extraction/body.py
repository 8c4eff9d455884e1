"""The article body: find the content container, then read it in order.

Two passes. ``find_content`` scores containers the way Readability does (paragraph text and commas
credited to ancestors, class hints, link density) and returns the best container plus the siblings
that belong with it. ``_Walker`` then reads those elements in document order into a flat list of
blocks (headings, paragraphs, lists, tables, related-link blocks), and ``_assemble`` turns the blocks
into sections, related links, key points and tables. Nothing here knows about Scrapy or storage.

The tree is modified (scripts and excluded containers are removed): call this after the metadata
and comment extractors have read the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newscrawl.extraction.patterns import (
    BOILERPLATE_TOKEN,
    COMMENT_TOKEN,
    DATE_ONLY_LINE,
    EMBED_CREDIT_LINE,
    JUNK_HEADING,
    JUNK_LINE,
    KEY_POINT_CLASS,
    KEY_POINT_LABEL,
    LEAD_CLASS,
    MAYBE_HINT,
    MEDIA_TOKEN,
    NEGATIVE_HINT,
    OVERLAY_HINT,
    POSITIVE_HINT,
    RELATED_LABEL,
    SOCIAL_EMBED_TOKEN,
    UNLIKELY_HINT,
)
from newscrawl.extraction.tables import is_data_table, own_rows, parse_table
from newscrawl.extraction.text import classes_and_id, normalize_space, prepare_tree, raw_text
from newscrawl.extraction.text import fast_text as text_of
from newscrawl.items import RelatedLink, Section, Table

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
INLINE_TAGS = frozenset(
    """a abbr acronym b bdi bdo big cite code data del dfn em font i ins kbd label mark nobr q rp rt ruby s
    samp small span strike strong sub sup time tt u var wbr img""".split()
)
# Never article prose, wherever they appear.
DROP_TAGS = frozenset(
    """script style noscript template svg math button select input textarea option iframe object embed
    video audio canvas map picture img figcaption nav head link meta title dialog""".split()
)
# Whole subtrees the scorer ignores when looking for the article container.
NOT_CONTENT_TAGS = DROP_TAGS | {"aside", "footer", "header", "form", "figure"}
BLOCKISH = frozenset(
    """p div table ul ol dl blockquote pre h1 h2 h3 h4 h5 h6 section article main figure form header footer
    aside nav address details center hr fieldset""".split()
)
PARAGRAPH_TAGS = frozenset({"p", "pre", "td"})
_NON_ARTICLE_PATH = re.compile(
    r"^/(?:$|tag|tags|category|categorie|rubrique|theme|author|auteur|search|recherche|page|feed|wp-admin|"
    r"wp-content|login|account|abonnement|subscribe|newsletter|contact)(?:/|$)",
    re.I,
)
_FILE_EXT = re.compile(r"\.(?:pdf|jpe?g|png|gif|webp|svg|zip|mp3|mp4|docx?|xlsx?)$", re.I)
_COMMAS = re.compile("[,，、،]")
_SENTENCE_END = frozenset(".!?…»”\"')。！？")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f\u1000-\u109f]")


def _is_cjk_text(text: str) -> bool:
    """Scripts written without spaces between words (CJK, Thai, Burmese): word counts mean nothing."""
    return len(text) >= 8 and bool(_CJK.search(text))


_READ_ALSO_CLASS = re.compile(
    r"read-?also|lire-?aussi|a-?lire|related-inline|inline-related|also-read|see-also|voir-aussi|"
    r"related-article|article-related|lesen-sie-auch|leggi-anche|related-link"
)


@dataclass(slots=True)
class Body:
    sections: list[Section] = field(default_factory=list)
    related_links: list[RelatedLink] = field(default_factory=list)
    key_points: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    lead: str | None = None
    """A standfirst found in the DOM near the content (class chapo/lead/standfirst ...)."""

    def text_size(self) -> int:
        return sum(len(p) for s in self.sections for p in s.paragraphs)


def extract_body(
    root,
    *,
    url: str,
    title: str | None = None,
    exclude=(),
    content_selector: str | None = None,
    prepared: bool = False,
    thread: bool = False,
    scoring: Scoring | None = None,
) -> Body:
    """Read the article body of a parsed page (lxml root of the whole document).

    ``exclude``: elements never read (the comment area). When a strict reading finds almost no
    text, a relaxed one (no class-name vetoes, as Readability retries) is tried and the longer wins.
    ``prepared``: the caller already ran ``text.prepare_tree`` on this document.
    ``thread``: the page is a discussion; read its posts (relaxed reading only).
    ``scoring``: share container scores with other readings of the same document.
    """
    if not prepared:
        prepare_tree(root)
    body_el = root.find("body")
    if body_el is None:
        body_el = root
    skip = frozenset(exclude)

    if scoring is None:
        scoring = Scoring()
    forced = root.cssselect(content_selector)[:1] if content_selector else _main_question(root)
    if thread and not forced:
        return _read(find_content(body_el, skip, True, scoring), url, title, skip, relaxed=True)
    body = _read(forced or find_content(body_el, skip, False, scoring), url, title, skip, relaxed=False)
    if body.text_size() < MIN_ARTICLE_CHARS and not forced:
        relaxed = _read(find_content(body_el, skip, True, scoring), url, title, skip, relaxed=True)
        if relaxed.text_size() > body.text_size():
            body = relaxed
    return body


MIN_ARTICLE_CHARS = 500

_QA_PAGE = etree.XPath('//*[@itemscope and contains(@itemtype, "schema.org/QAPage")]')
_MAIN_QUESTION = etree.XPath(
    './/*[contains(concat(" ", normalize-space(@itemprop), " "), " mainEntity ")'
    ' and contains(@itemtype, "schema.org/Question")]'
)


def _main_question(root) -> list:
    """The question of a page that declares itself a Q&A page in schema.org microdata (``QAPage``,
    its ``mainEntity`` a ``Question``): that element holds the question and its answers, while the
    densest block is the answers alone, which loses the question. An FAQ inside an article is no
    ``QAPage`` and is not concerned."""
    for page in _QA_PAGE(root):
        return _MAIN_QUESTION(page)[:1]
    return []


def body_paragraphs(body: Body) -> list[str]:
    return [p for s in body.sections for p in s.paragraphs]


def content_inside(root, areas, relaxed: bool = False, scoring: Scoring | None = None) -> bool:
    """True when the page's best content block lies inside one of ``areas`` (e.g. the comment area):
    the page is a discussion (forum thread, Q&A) rather than an article with comments.
    ``relaxed`` scores without class-name vetoes, which hide posts marked up as comments."""
    if not areas:
        return False
    body_el = root.find("body")
    content = find_content(body_el if body_el is not None else root, relaxed=relaxed, scoring=scoring)
    total = inside = nested = 0
    for block in content:
        length = _text_length(block)
        total += length
        if block in areas or any(a in areas for a in block.iterancestors()):
            inside += length
            continue
        for area in areas:  # areas nested in the block: posts of a thread, a comment list
            if any(a is block for a in area.iterancestors()):
                nested += _text_length(area)
    outside = total - inside - nested
    if relaxed:
        return total > 0 and inside + nested > total / 2
    # The strict scorer never read comment markup, so a block wrapping comments was chosen for its other
    # text: a discussion only if that other text is short and the comments dwarf it.
    return total > 0 and (inside > total / 2 or (nested > 2 * (outside + inside) and outside < 5000))


def _read(content: list, url: str, title: str | None, skip: frozenset, relaxed: bool) -> Body:
    walker = _Walker(url, skip, relaxed)
    for element in content:
        walker.container(element, top=True)
    body = _assemble(walker.blocks, title)
    if content:
        body.lead = _find_lead(content[0], title, url)
    if body.lead and not any(body.lead[:60] in p for p in body_paragraphs(body)):
        # a standfirst set apart from the text block is still the article's opening paragraph
        if not body.sections or body.sections[0].heading is not None:
            body.sections.insert(0, Section(heading=None, level=None, paragraphs=[]))
            for link in body.related_links:
                if link.section_index is not None:
                    link.section_index += 1
        body.sections[0].paragraphs.insert(0, body.lead)
    return body


# ---------------------------------------------------------------- content container


# A page builder's marking of every block as a "widget" (Elementor: "elementor-widget
# elementor-widget-theme-post-content", "elementor-widget-container") names the builder, not a sidebar
# widget: the block's type after the prefix is its hint.
_BUILDER_WIDGET = re.compile(r"\belementor-widget(?:-container|-wrap)?(?=\s|$)|\belementor-widget-(?=\S)")


def _class_hint(value: str) -> str:
    """Lower-cased class or id text for the hint patterns, without page-builder widget prefixes."""
    value = value.lower()
    if "elementor-widget" in value:
        value = _BUILDER_WIDGET.sub("", value)
    return value


def _builder_content_widget(el, tokens: list[str]) -> bool:
    """An Elementor widget that holds the post itself: its content or excerpt, or a text block of
    sentences (the builder's text widget also carries labels such as 'Last updated:', 'Shares')."""
    if "elementor-widget-theme-post-content" in tokens or "elementor-widget-theme-post-excerpt" in tokens:
        return True
    if "elementor-widget-text-editor" not in tokens:
        return False
    length = _text_length(el)
    if length < 80 or _link_density(el, length) >= 0.25:
        return False
    return any(len(text) >= 80 and text[-1] in _SENTENCE_END for text in (text_of(p) for p in el.iter("p")))


def _class_weight(element, relaxed: bool) -> int:
    if relaxed:
        return 0
    weight = 0
    for value in (element.get("class"), element.get("id")):
        if value:
            value = _class_hint(value)
            if NEGATIVE_HINT.search(value):
                weight -= 25
            if POSITIVE_HINT.search(value):
                weight += 25
    return weight


_TAG_BASE = {"div": 5, "article": 8, "main": 5, "section": 3, "pre": 3, "td": 3, "blockquote": 3}
_TAG_PENALTY = frozenset({"address", "ol", "ul", "dl", "dd", "dt", "li", "form", "th"})


def _unlikely(element, relaxed: bool = False) -> bool:
    """Class/id says navigation, ads, overlays ... (relaxed: only overlays, consent banners, menus)."""
    hint = classes_and_id(element)
    if len(hint) < 2 or element.tag in ("body", "article", "main"):
        return False
    if relaxed:
        return bool(OVERLAY_HINT.search(hint))
    return bool(UNLIKELY_HINT.search(hint)) and not MAYBE_HINT.search(hint)


def _has_block_child(element) -> bool:
    return any(isinstance(c.tag, str) and c.tag in BLOCKISH for c in element)


def _is_hidden(element) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = element.get("style")
    if style:
        style = style.replace(" ", "").lower()
        return "display:none" in style or "visibility:hidden" in style
    return False


class Scoring:
    """Container scores and link densities of one document, shared by the readings of one extraction.

    A page is read up to four ways (with or without the comment area, strict or relaxed); one walk
    scores a document both with and without the skipped areas, so those readings cost one walk.
    """

    def __init__(self) -> None:
        self._walks: dict[bool, tuple[frozenset, dict, dict]] = {}
        self._densities: dict = {}

    def scores(self, body_el, skip: frozenset, relaxed: bool) -> dict:
        walk = self._walks.get(relaxed)
        if walk is not None:
            walked_skip, every, kept = walk
            if skip == walked_skip:
                return kept
            if not skip:
                return every
        every, kept = _score(body_el, skip, relaxed, self)
        self._walks[relaxed] = (skip, every, kept)
        return kept

    def link_density(self, element) -> float:
        density = self._densities.get(element)
        if density is None:
            density = self._densities[element] = _link_density(element)
        return density


def _score(body_el, skip: frozenset, relaxed: bool, scoring: Scoring) -> tuple[dict, dict]:
    """Readability-style scores of candidate containers: (all paragraphs, paragraphs outside ``skip``)."""
    every: dict = {}
    kept: dict = {}

    def credit(node, text: str, paragraph, outside_skip: bool) -> None:
        """Credit a paragraph's score to ``node`` (its container) and four more ancestors."""
        score = 1 + len(_COMMAS.findall(text)) + min(len(text) // 100, 3)
        if paragraph is not None:  # a list of links separated by commas is not prose
            score *= 1 - _link_density(paragraph, len(text))
        level = 0
        while node is not None and level < 5:
            share = score / (1 if level == 0 else 2 if level == 1 else level * 3)
            targets = (every, kept) if outside_skip else (every,)
            for scores in targets:
                if node not in scores:
                    scores[node] = _TAG_BASE.get(
                        node.tag, -3 if node.tag in _TAG_PENALTY else 0
                    ) + _class_weight(node, relaxed)
                scores[node] += share
            if node is body_el:
                break
            node = node.getparent()
            level += 1

    def visit(element, outside_skip: bool) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or (tag in NOT_CONTENT_TAGS and not _wraps_article(child)):
                continue
            if _is_hidden(child) or _unlikely(child, relaxed):
                continue
            child_outside = outside_skip and child not in skip
            if tag in PARAGRAPH_TAGS or (
                tag not in INLINE_TAGS and not _has_block_child(child) and tag != "li"
            ):
                text = text_of(child)
                if len(text) >= 25:
                    credit(child.getparent(), text, child, child_outside)
                continue
            loose = normalize_space((child.text or "") + " ".join(c.tail or "" for c in child))
            if len(loose) >= 25:  # text directly in a block container is a paragraph of that container
                credit(child, loose, None, child_outside)
            visit(child, child_outside)

    visit(body_el, True)
    return every, kept


def find_content(
    body_el, skip: frozenset = frozenset(), relaxed: bool = False, scoring: Scoring | None = None
) -> list:
    """The article's container(s): the best-scoring element and the siblings that belong with it."""
    if scoring is None:
        scoring = Scoring()
    scores = scoring.scores(body_el, skip, relaxed)
    if not scores:
        return [body_el]

    # Link density is costly: apply it to the strongest raw candidates only.
    def final_score(el) -> float:
        return scores[el] * (1 - scoring.link_density(el))

    ranked = sorted(scores, key=scores.get, reverse=True)[:12]
    final = {el: final_score(el) for el in ranked}
    top = max(final, key=final.get)
    top_score = final[top]

    shared = _shared_ancestor(top, top_score, final, body_el)
    if shared is None:
        shared = _thread_container(top, body_el)
    if shared is not None:
        top, top_score = shared, final_score(shared) if shared in scores else top_score
        return _with_siblings(top, top_score, scores, skip, relaxed)
    top = _climb(top, top_score, scores, final_score, body_el)
    return _with_siblings(top, final_score(top) if top in scores else top_score, scores, skip, relaxed)


def _has_heading(element) -> bool:
    return any(True for _ in element.iter("h1", "h2", "h3", "h4", "h5", "h6"))


# Measured inside libxml2: no Python strings for whole subtrees.
_TEXT_LENGTH = etree.XPath("string-length(normalize-space())")
_LINK_TEXTS = etree.XPath(".//a//text()", smart_strings=False)
_TEXT_START = etree.XPath("substring(normalize-space(), 1, 80)", smart_strings=False)


def _text_length(element) -> int:
    return int(_TEXT_LENGTH(element))


def _link_density(element, total: int | None = None) -> float:
    if next(element.iterdescendants("a"), None) is None:  # most paragraphs: no link, no query
        return 0.0
    if total is None:
        total = _text_length(element)
    if not total:
        return 0.0
    linked = sum(len(t.strip()) for t in _LINK_TEXTS(element))
    return min(linked / total, 1.0)


def _shared_ancestor(top, top_score: float, final: dict, body_el):
    """When three or more strong candidates sit under one ancestor (posts of a thread, an article split
    in blocks), that ancestor is the content (Readability's alternative-candidate rule)."""
    strong = [
        el for el, score in sorted(final.items(), key=lambda kv: -kv[1])[:5] if score >= 0.75 * top_score
    ]
    if len(strong) < 3:
        return None
    ancestor_sets = [set(el.iterancestors()) for el in strong]
    node = top.getparent()
    while node is not None and node is not body_el:
        if sum(node in ancestors for ancestors in ancestor_sets) >= 3:
            return node
        node = node.getparent()
    return None


def _thread_container(top, body_el):
    """The best block is one post of a thread (forum messages, Q&A answers): read the whole list.

    Looks a few levels up for an element repeated among its siblings (same tag, same leading class),
    at least two of them holding prose; their parent is the content.
    """
    node = top
    for _ in range(6):
        parent = node.getparent()
        if parent is None or parent is body_el or node.tag in ("body", "main"):
            return None
        key = _item_key(node)
        if key is not None:
            post_named = bool(_POST_NAME.search(key[1]))
            needed = 2 if post_named else 3
            posts = 0
            for sibling in parent:
                if isinstance(sibling.tag, str) and _item_key(sibling) == key:
                    length = _text_length(sibling)
                    if length > 80 and _link_density(sibling, length) < 0.5:
                        posts += 1
                        if posts >= needed:
                            return parent
        node = parent
    return None


_POST_NAME = re.compile(r"post|message|comment|answer|reply|entry|thread|topic|article")


def _item_key(element):
    shape = _class_shape(element)
    if not shape:
        return None
    return element.tag, min(shape)


def _class_shape(element) -> frozenset:
    """Class tokens without the per-item ones (js-post-31251336): siblings of a list share it."""
    return frozenset(t for t in (element.get("class") or "").split() if not any(ch.isdigit() for ch in t))


def _climb(top, top_score: float, scores: dict, final_score, body_el):
    """Prefer an ancestor when the article is split across several similar children (Readability)."""
    while True:
        parent = top.getparent()
        if parent is None or parent is body_el.getparent():
            return top
        siblings = [c for c in parent if isinstance(c.tag, str)]
        if len(siblings) == 1 and parent is not body_el:
            top = parent
            continue
        break
    node, last = top.getparent(), top_score
    while node is not None and node is not body_el:
        if node not in scores:
            node = node.getparent()
            continue
        score = final_score(node)
        if score < last / 3:
            break
        if score > last:
            return node
        last = score
        node = node.getparent()
    return top


def _with_siblings(top, top_score: float, scores: dict, skip: frozenset, relaxed: bool) -> list:
    parent = top.getparent()
    if parent is None:
        return [top]
    threshold = max(10.0, top_score * 0.2)
    top_shape = _class_shape(top)
    chosen = []
    for sibling in parent:
        if sibling is top:
            chosen.append(sibling)
            continue
        if not isinstance(sibling.tag, str) or sibling.tag in NOT_CONTENT_TAGS or sibling in skip:
            continue
        if _unlikely(sibling, relaxed):
            continue
        bonus = top_score * 0.2 if top_shape and _class_shape(sibling) == top_shape else 0
        if sibling in scores and scores[sibling] + bonus >= threshold:
            chosen.append(sibling)
        elif sibling.tag in ("p", "div", "blockquote") and not _has_heading(sibling):
            # short prose blocks next to the article (a lead paragraph in its own wrapper)
            length = _text_length(sibling)
            if length > 1500 or length == 0:
                continue
            density = _link_density(sibling, length)
            if length > 80 and density < 0.25:
                chosen.append(sibling)
                continue
            text = text_of(sibling)
            if sibling.tag == "p" and 0 < len(text) <= 80 and density == 0 and re.search(r"\.( |$)", text):
                chosen.append(sibling)
    return chosen


# ---------------------------------------------------------------- reading the container


@dataclass(slots=True)
class _Block:
    kind: str  # "p", "h", "list", "table", "related"
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)
    table: Table | None = None
    links: list[RelatedLink] = field(default_factory=list)
    link_dense: bool = False
    key_points: bool = False
    element: object = None


def _nested_in_table_below(table, top) -> bool:
    """Whether ``table`` sits inside another table that is itself inside ``top``."""
    for ancestor in table.iterancestors():
        if ancestor is top:
            return False
        if ancestor.tag == "table":
            return True
    return False


class _Walker:
    def __init__(self, url: str, skip: frozenset = frozenset(), relaxed: bool = False) -> None:
        self.url = url
        self.host = _registered_host(url)
        self.skip = skip
        # relaxed: the page's main text sits in comment-like markup (forum threads, Q&A pages)
        self.relaxed = relaxed
        self.blocks: list[_Block] = []

    # -- dispatch

    def element(self, el) -> None:
        tag = el.tag
        if not isinstance(tag, str) or tag in DROP_TAGS or el in self.skip or _is_hidden(el):
            return
        related = self._related_block(el)
        if related:
            self.blocks.append(_Block("related", links=related, element=el))
            return
        if (tag in ("aside", "footer", "header") and not _wraps_article(el)) or self._boilerplate(el):
            return
        if tag in ("div", "section") and _is_headline_header(el):
            return
        if tag == "article" and _is_teaser(el, self.url, self.host):
            return
        if tag in HEADINGS:
            text = text_of(el)
            if text:
                self.blocks.append(_Block("h", text=text, level=HEADINGS[tag], element=el))
            return
        if tag == "table":
            self._table(el)
        elif tag in ("ul", "ol"):
            self._list(el)
        elif tag == "dl":
            for item in el:
                if isinstance(item.tag, str) and item.tag in ("dt", "dd"):
                    self.container(item)
        elif tag == "p":
            self._paragraph(el)
        elif tag == "pre":
            self._emit_text(text_of(el), el)
        elif tag == "figure":
            for table in el.iter("table"):
                if _nested_in_table_below(table, el):
                    continue  # read with the table that holds it
                caption = el.find("figcaption")
                self._table(table, caption=text_of(caption) if caption is not None else None)
        elif (tag == "form" and not _wraps_article(el)) or tag == "hr":
            return
        elif tag == "blockquote" and _has_class_token(el, SOCIAL_EMBED_TOKEN):
            self._social_embed(el)
        else:
            self.container(el)

    def container(self, el, top: bool = False) -> None:
        """Read an element whose children mix inline runs and blocks."""
        if not top and el.tag in PARAGRAPH_TAGS - {"td"} and not _has_block_child(el):
            self._paragraph(el)
            return
        run: list[str] = []
        linked = [0, 0]  # characters of the run inside links, and how many links
        if el.text:
            run.append(el.text)
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                pass
            elif tag == "br":
                self._flush(run, el, linked)
            elif tag in INLINE_TAGS and not _has_block_descendant(child):
                if tag not in DROP_TAGS and not _is_hidden(child):
                    text = raw_text(child)
                    run.append(text)
                    if tag == "a":
                        linked[0] += len(text.strip())
                        linked[1] += 1
                    else:
                        anchors = sum(1 for _ in child.iterdescendants("a"))
                        if anchors:
                            linked[0] += sum(len(t.strip()) for t in _LINK_TEXTS(child))
                            linked[1] += anchors
            else:
                self._flush(run, el, linked)
                self.element(child)
            if child.tail:
                run.append(child.tail)
        self._flush(run, el, linked)

    # -- emitters

    def _flush(self, run: list[str], el, linked: list[int]) -> None:
        if run:
            text = normalize_space("".join(run))
            run.clear()
            linked_chars, links = linked
            linked[:] = [0, 0]
            # Loose text between blocks: keep sentences, drop widget labels ("Mute", "18", "Valorar:")
            # and short runs of several links (navigation bars, "user on date | parent | next" headers);
            # a sentence around one link ("Here's our Year in Review!") stays.
            if links >= 3 and len(text) < 200 and linked_chars > 0.7 * len(text):
                return
            if len(text.split()) >= 4 or (len(text) > 1 and text[-1] in _SENTENCE_END) or _is_cjk_text(text):
                self._emit_text(text, el)

    def _emit_text(self, text: str, el) -> None:
        if text and any(ch.isalnum() for ch in text):
            self.blocks.append(_Block("p", text=text, element=el))

    def _paragraph(self, el) -> None:
        if self._boilerplate(el):
            return
        if _has_block_child(el):  # invalid nesting the parser kept, e.g. <p><div>…</div></p>
            self.container(el, top=True)
            return
        link = self._standalone_link(el)
        if link is not None:
            self.blocks.append(_Block("related", links=[link], element=el))
            return
        text = text_of(el)
        if text and len(text) < 120 and el.find(".//img") is not None:
            return  # an image with its caption or credit
        if text:
            block = _Block("p", text=text, element=el)
            block.link_dense = _is_link_dense(el, text)
            self.blocks.append(block)

    def _social_embed(self, el) -> None:
        """An embedded post (a tweet, an Instagram or TikTok post): its words are quoted in the article,
        its credit line ("— Name (@handle) March 3, 2024"), handle and "View on Instagram" are not."""
        start = len(self.blocks)
        self.container(el)
        # the embed codes put the post's text in <p>; loose text beside them is the embed's chrome
        in_paragraphs = el.find(".//p") is not None
        kept = []
        for block in self.blocks[start:]:
            if block.kind == "p":
                if (in_paragraphs and block.element.tag != "p") or EMBED_CREDIT_LINE.match(block.text):
                    continue
                block.link_dense = False  # the post's words, however the embed code links them to it
            kept.append(block)
        self.blocks[start:] = kept

    def _list(self, el) -> None:
        items: list[str] = []
        complex_items = []
        for li in el:
            if not isinstance(li.tag, str) or li.tag != "li":
                continue
            if _has_block_child(li):
                complex_items.append(li)
                continue
            text = text_of(li)
            if text:
                items.append(text)
        if complex_items and not items:
            for li in complex_items:
                self.container(li)
            return
        if complex_items:  # mixed: keep order by reading every item as a container
            for li in el:
                if isinstance(li.tag, str) and li.tag == "li":
                    self.container(li)
            return
        if items:
            text = " ".join(items)
            block = _Block("list", items=items, element=el)
            block.link_dense = len(items) >= 2 and _is_link_dense(el, text)
            block.key_points = bool(KEY_POINT_CLASS.search(classes_and_id(el)))
            self.blocks.append(block)

    def _table(self, el, caption: str | None = None) -> None:
        if is_data_table(el):
            table = parse_table(el, caption=caption)
            if table.rows or table.header:
                self.blocks.append(_Block("table", table=table, element=el))
            return
        # layout table: its cells are ordinary containers. Only its own rows: a nested table is read
        # when its cell is (iterating every descendant row would read nested cells twice).
        for row in own_rows(el):
            for cell in row:
                if isinstance(cell.tag, str) and cell.tag in ("td", "th"):
                    self.container(cell, top=True)

    # -- recognizers

    def _boilerplate(self, el) -> bool:
        value = el.get("class")
        ident = el.get("id")
        if not value and not ident:
            return False
        # BEM modifiers ("section--ads") describe a variant of a block, not what the block is.
        tokens = [t for t in f"{value or ''} {ident or ''}".lower().split() if "--" not in t]
        if "elementor-widget" in tokens and _builder_content_widget(el, tokens):
            tokens.remove("elementor-widget")
        if any(MEDIA_TOKEN.match(t) for t in tokens):
            return True
        matched = [t for t in tokens if BOILERPLATE_TOKEN.match(t)]
        if not matched:
            return False
        comment_like = [t for t in matched if COMMENT_TOKEN.match(t)]
        if self.relaxed:
            if len(comment_like) == len(matched):
                return False
        elif comment_like:
            return True
        # A class veto on a block of real prose is a false positive (BEM "section--ads", "has-share").
        return not _is_prose(el)

    def _related_block(self, el) -> list[RelatedLink] | None:
        tag = el.tag
        if tag not in (
            "div",
            "p",
            "aside",
            "section",
            "ul",
            "blockquote",
            "span",
            "strong",
            "b",
            "h3",
            "h4",
            "li",
        ):
            return None
        start = _TEXT_START(el)
        match = RELATED_LABEL.match(start)
        by_class = bool(_READ_ALSO_CLASS.search(classes_and_id(el)))
        if not match and not by_class:
            return None
        text = text_of(el)
        if len(text) > 600:
            return None
        label = None
        rest = text
        if match:
            full = RELATED_LABEL.match(text)
            if full:
                label = normalize_space(full.group("label"))
                rest = text[full.end() :]
        links = self._links(el)
        if not links or len(links) > 10:
            return None
        linked = sum(len(link.title) for link in links)
        if linked < 0.6 * len(rest.strip()):
            return None
        for link in links:
            link.label = label
        return links

    def _links(self, el) -> list[RelatedLink]:
        links = []
        seen = set()
        for a in el.iter("a"):
            href = (a.get("href") or "").strip()
            title = text_of(a)
            if not href or not title or href.startswith(("#", "javascript:", "mailto:")):
                continue
            absolute = urljoin(self.url, href)
            if absolute in seen:
                continue
            seen.add(absolute)
            links.append(RelatedLink(title=title, url=absolute))
        return links

    def _standalone_link(self, el) -> RelatedLink | None:
        anchors = list(el.iter("a"))
        if len(anchors) != 1:
            return None
        a = anchors[0]
        title = text_of(a)
        if not title or title != text_of(el) or len(title.split()) < 4 or len(title) > 250:
            return None
        if title.endswith(":") or re.search(
            r"\b(?:cliquez|click|here|ici|pdf|download|télécharger)\b", title, re.I
        ):
            return None
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return None
        absolute = urljoin(self.url, href)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or _registered_host(absolute) != self.host:
            return None
        if _NON_ARTICLE_PATH.match(parts.path or "/") or _FILE_EXT.search(parts.path):
            return None
        if absolute.split("#")[0].rstrip("/") == self.url.split("#")[0].rstrip("/"):
            return None
        return RelatedLink(title=title, url=absolute)


_PROFILE_PATH = re.compile(r"/(?:members?|users?|profiles?|u|people|authors?|auteurs?|membres?)/", re.I)
"""A person's page (a forum post's heading names its author with a link there)."""
TEASER_MAX_CHARS = 800
"""Longer than a card's title and excerpt: a nested article of its own (a live blog's post)."""


def _has_class_token(el, pattern: re.Pattern[str]) -> bool:
    """One of the element's class tokens (lower-cased) matches ``pattern``."""
    value = el.get("class")
    return bool(value) and any(pattern.search(token) for token in value.lower().split())


def _is_teaser(el, url: str, host: str) -> bool:
    """An ``<article>`` that presents another article of the site: a short block headed by a link to
    that article (the "more posts" cards after a blog post, a sidebar's post cards)."""
    heading = next(el.iter("h1", "h2", "h3", "h4", "h5", "h6"), None)
    if heading is None or _text_length(el) > TEASER_MAX_CHARS:
        return False
    anchors = list(heading.iter("a"))
    title = text_of(heading)
    # an article's title, not a name (a forum post's heading links to its author's page)
    if len(anchors) != 1 or text_of(anchors[0]) != title or len(title.split()) < 3:
        return False
    href = (anchors[0].get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return False
    target = urljoin(url, href)
    path = urlsplit(target).path or "/"
    return (
        _registered_host(target) == host
        and _same_page(target) != _same_page(url)
        and not _NON_ARTICLE_PATH.match(path)
        and not _PROFILE_PATH.search(path)
    )


def _same_page(url: str) -> str:
    return url.split("#")[0].rstrip("/")


_HEADER_TOKEN = re.compile(r"(?:^|[-_])header(?:$|[-_])")


def _is_headline_header(el) -> bool:
    """A block named a header ('entry-header', 'td-post-header', 'single-header') that holds the
    headline: the article's header as a <div>, with its kicker, byline, date and counters, none of
    it body text (the standfirst in it is read as the lead)."""
    if not _has_class_token(el, _HEADER_TOKEN):
        return False
    return next(el.iter("h1"), None) is not None and not _holds_paragraphs(el)


def _wraps_article(el) -> bool:
    """A header/footer/aside/form that holds the article itself: an unclosed tag swallowed the page,
    or a framework wraps it in a form (ASP.NET pages, forum moderation forms)."""
    if el.tag not in ("header", "footer", "aside", "form"):
        return False
    if el.tag == "form" and el.find(".//input[@name='__VIEWSTATE']") is not None:
        return True  # ASP.NET WebForms: the whole page is one form
    return _holds_paragraphs(el)


def _holds_paragraphs(el) -> bool:
    """Three long paragraphs or more, as <p> or as text between line breaks (old CMSs write
    "text<br><br>text")."""
    long_runs = sum(1 for p in el.iter("p") if _text_length(p) > 100)
    long_runs += sum(1 for br in el.iter("br") if len((br.tail or "").strip()) > 100)
    return long_runs >= 3


def _is_prose(el, min_chars: int = 600) -> bool:
    """Enough low-link text to be article prose (paragraphs, or <br>-separated text in divs)."""
    length = _text_length(el)
    if length <= min_chars or _link_density(el, length) >= 0.25:
        return False
    return length > 1500 or sum(1 for p in el.iter("p") if _text_length(p) > 150) >= 2


def _registered_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    parts = host.split(".")
    # good enough for same-site tests: example.co.uk -> co.uk is avoided by keeping 3 labels there
    if len(parts) > 2 and len(parts[-1]) == 2 and parts[-2] in ("co", "com", "org", "net", "gov", "ac"):
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def _has_block_descendant(el) -> bool:
    for node in el.iterdescendants():
        tag = node.tag
        if isinstance(tag, str) and tag in BLOCKISH:
            return True
    return False


def _is_link_dense(el, text: str) -> bool:
    if not text:
        return False
    return _link_density(el, len(text)) > 0.7


# ---------------------------------------------------------------- assembling the record parts


def _assemble(blocks: list[_Block], title: str | None) -> Body:
    body = Body()
    title_key = normalize_space(title).casefold() if title else None
    sections: list[Section] = []
    owners: dict[int, int] = {}  # id(section) -> pieces of content other than paragraphs
    related_owner: list[tuple[RelatedLink, Section | None]] = []
    current: Section | None = None
    skip_level: int | None = None
    consumed: set[int] = set()

    def ensure_section() -> Section:
        nonlocal current
        if current is None:
            current = Section(heading=None, level=None, paragraphs=[])
            sections.append(current)
        return current

    def next_list(index: int) -> int | None:
        # the list a label introduces, allowing a related block or two in between
        for j in range(index + 1, min(index + 4, len(blocks))):
            kind = blocks[j].kind
            if kind == "list":
                return j
            if kind != "related":
                return None
        return None

    for index, block in enumerate(blocks):
        if index in consumed:
            continue
        kind = block.kind
        if kind == "h":
            if title_key and block.text.casefold() == title_key:
                continue
            if JUNK_HEADING.match(block.text):
                skip_level = block.level
                continue
            if len(block.text.split()) <= 8 and KEY_POINT_LABEL.search(block.text):
                target = next_list(index)
                if target is not None:
                    blocks[target].key_points = True
                    continue
            label = RELATED_LABEL.match(block.text)
            if label and len(block.text) - label.end() < 3:
                skip_level = None
                _related_after_heading(blocks, index, normalize_space(label.group("label")), consumed)
                continue
            if skip_level is not None and block.level > skip_level:
                continue
            skip_level = None
            current = Section(heading=block.text, level=block.level, paragraphs=[])
            sections.append(current)
            continue
        if skip_level is not None:
            continue
        if kind == "related":
            for link in block.links:
                related_owner.append((link, current))
            if current is not None:
                owners[id(current)] = owners.get(id(current), 0) + 1
        elif kind == "table":
            body.tables.append(block.table)
            section = ensure_section()
            owners[id(section)] = owners.get(id(section), 0) + 1
        elif kind == "list":
            if block.key_points:
                body.key_points.extend(block.items)
                if current is not None:
                    owners[id(current)] = owners.get(id(current), 0) + 1
            elif block.link_dense:
                continue
            else:
                ensure_section().paragraphs.extend(block.items)
        else:  # paragraph
            text = block.text
            if len(text.split()) <= 12 and KEY_POINT_LABEL.search(text):
                target = next_list(index)
                if target is not None and (text.rstrip().endswith(":") or len(text.split()) <= 4):
                    blocks[target].key_points = True
                    continue
            if len(text) < 80 and (JUNK_LINE.match(text) or DATE_ONLY_LINE.match(text)):
                continue
            if block.link_dense and len(text) < 200:
                continue
            ensure_section().paragraphs.append(text)

    kept = _prune_sections(sections, owners)
    positions = {id(s): i for i, s in enumerate(kept)}
    for link, section in related_owner:
        link.section_index = positions.get(id(section)) if section is not None else None
        body.related_links.append(link)
    body.sections = kept
    return body


def _related_after_heading(blocks: list[_Block], index: int, label: str, consumed: set[int]) -> None:
    """'Sur le même sujet' as a heading: the link lists and link paragraphs right after it are its links."""
    for j in range(index + 1, len(blocks)):
        block = blocks[j]
        if (block.kind == "list" and block.link_dense) or (block.kind == "p" and block.link_dense):
            links = _links_of(block)
        elif block.kind == "related":
            links = block.links
        else:
            return
        for link in links:
            link.label = link.label or label
        block.kind = "related"
        block.links = links
        if not links:
            consumed.add(j)


def _links_of(block: _Block) -> list[RelatedLink]:
    walker = _Walker("")
    return walker._links(block.element) if block.element is not None else []


def _prune_sections(sections: list[Section], owners: dict[int, int]) -> list[Section]:
    """Drop headings that own nothing, unless a deeper heading follows (a parent of sub-sections)."""
    kept: list[Section] = []
    for i, section in enumerate(sections):
        if section.paragraphs or owners.get(id(section)):
            kept.append(section)
            continue
        following = sections[i + 1] if i + 1 < len(sections) else None
        if (
            section.heading
            and following is not None
            and following.level is not None
            and section.level is not None
            and following.level > section.level
        ):
            kept.append(section)
    while kept and not kept[-1].paragraphs and not owners.get(id(kept[-1])):
        kept.pop()
    return kept


def _find_lead(content, title: str | None, url: str = "") -> str | None:
    """A standfirst (class chapo / lead / standfirst / intro ...) right after the headline, or at the
    very start of the content block when the page has no headline element."""
    root = content.getroottree().getroot()
    title_key = normalize_space(title).casefold() if title else None
    headline = None
    for h1 in root.iter("h1"):
        if _out_of_sight(h1):  # a modal's or a hidden template's heading
            continue
        if headline is None or (title_key and text_of(h1).casefold() == title_key):
            headline = h1
            if title_key is None or text_of(h1).casefold() == title_key:
                break
    if headline is not None:
        # page builders wrap each block twice or more (Elementor's widget and its container): the
        # standfirst is a sibling of the outermost wrapper holding the headline alone
        wrapper = headline
        for _ in range(3):
            parent = wrapper.getparent()
            if (
                parent is None
                or parent.tag in ("body", "html", "header", "article", "main")
                or sum(1 for child in parent if isinstance(child.tag, str)) != 1
            ):
                break
            wrapper = parent
        places = list(wrapper.itersiblings())[:6]
        parent = headline.getparent()
        if wrapper is headline and parent is not None and parent.tag not in ("body", "html"):
            places += list(parent.itersiblings())[:4]
    else:
        places = [child for child in content if isinstance(child.tag, str)][:3]
    for place in places:
        if not isinstance(place.tag, str) or place.tag in ("figure", "aside", "nav", "footer"):
            continue
        for el in place.iter("p", "div", "h2", "span", "section"):
            hint = el.get("class")
            if not hint or not LEAD_CLASS.search(hint) or BOILERPLATE_TOKEN.match(hint.lower()):
                continue
            text = text_of(el)
            if (
                30 <= len(text) <= 1200
                and not _has_many_links(el)
                and el.find(".//img") is None
                and not _out_of_sight(el)
                and not _in_card(el, place, url)
            ):
                return text
    return None


def _in_card(el, place, url: str) -> bool:
    """Inside an ``<article>`` card presenting another article of the site (its excerpt is no lead)."""
    if not url:
        return False
    host = _registered_host(url)
    for node in (el, *el.iterancestors()):
        if node.tag == "article" and _is_teaser(node, url, host):
            return True
        if node is place:
            return False
    return False


def _out_of_sight(el) -> bool:
    """Inside something a reader does not see on the page: hidden, or a dialog (closed until asked for)."""
    while el is not None:
        if _is_hidden(el) or el.tag == "dialog" or el.get("role") in ("dialog", "alertdialog"):
            return True
        el = el.getparent()
    return False


def _has_many_links(el) -> bool:
    return sum(1 for _ in el.iter("a")) > 2
