"""HTML tables: tell data tables from layout tables, and read data tables as header + rows.

colspan/rowspan are expanded so every row has the same width; cells are whitespace-normalized text.
"""

from __future__ import annotations

from newscrawl.extraction.text import local_tag, normalize_space, text_of
from newscrawl.items import Table

MAX_SPAN = 50  # guards against colspan="1000" junk blowing up the grid
_BLOCK_IN_CELL = ("p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "blockquote", "article", "section")


def own_rows(table) -> list:
    """The table's own <tr> elements in order (thead, tbody, tfoot or direct), never a nested table's."""
    rows = []
    for child in table:
        tag = local_tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if local_tag(r) == "tr")
    return rows


def _cells(row) -> list:
    return [c for c in row if local_tag(c) in ("td", "th")]


def _span(cell, name: str) -> int:
    try:
        value = int((cell.get(name) or "1").strip().split()[0])
    except (ValueError, IndexError):
        return 1
    return min(max(value, 1), MAX_SPAN)


def is_data_table(table) -> bool:
    """True for a table of data (rows x columns of short facts), False for page layout."""
    role = (table.get("role") or "").lower()
    if role in ("presentation", "none"):
        return False
    if any(True for _ in table.iterdescendants("table")):
        return False
    rows = own_rows(table)
    if not rows:
        return False
    widths = [sum(_span(c, "colspan") for c in _cells(r)) for r in rows]
    if max(widths, default=0) < 2:
        return False
    has_header = table.find("thead") is not None or any(local_tag(c) == "th" for r in rows[:2] for c in r)
    if len(rows) < 2 and not has_header:
        return False
    lengths = []
    one_filled_cell_per_row = True
    for row in rows:
        filled = 0
        for cell in _cells(row):
            length = len(text_of(cell))
            # paragraphs inside cells: a layout grid holding an article
            if length > 300 and any(local_tag(d) in _BLOCK_IN_CELL for d in cell.iterdescendants()):
                return False
            lengths.append(length)
            filled += length > 0
        one_filled_cell_per_row = one_filled_cell_per_row and filled <= 1
    if not lengths:
        return False
    if max(lengths) > 1500:
        return False
    if has_header or table.find("caption") is not None:
        return True
    # Text in one cell per row, the others empty (spacers, vote arrows, indents): a layout column.
    if one_filled_cell_per_row:
        return False
    return sum(lengths) / len(lengths) < 120


def _take_pending(out: list[str], col: int, pending: dict[int, tuple[int, str]]) -> int:
    """Copy cells that rowspans from earlier rows carry into this row, from ``col`` on."""
    while col in pending:
        left, text = pending[col]
        out.append(text)
        if left <= 1:
            del pending[col]
        else:
            pending[col] = (left - 1, text)
        col += 1
    return col


def _grid(rows) -> list[tuple[list[str], bool]]:
    """Expand spans: returns (cells, all_header) per row, every row padded to the grid width."""
    grid: list[list[str]] = []
    header_flags: list[bool] = []
    pending: dict[int, tuple[int, str]] = {}  # column -> (rows still covered, text)
    for row in rows:
        out: list[str] = []
        col = 0
        cells = _cells(row)
        for cell in cells:
            col = _take_pending(out, col, pending)
            text = text_of(cell)
            colspan, rowspan = _span(cell, "colspan"), _span(cell, "rowspan")
            for _ in range(colspan):
                out.append(text)
                if rowspan > 1:
                    pending[col] = (rowspan - 1, text)
                col += 1
        col = _take_pending(out, col, pending)
        # rowspans reaching past this row's own cells
        for extra in sorted(c for c in pending if c >= col):
            out.extend([""] * (extra - col))
            col = _take_pending(out, extra, pending)
        grid.append(out)
        header_flags.append(bool(cells) and all(local_tag(c) == "th" for c in cells))
    width = max((len(r) for r in grid), default=0)
    return [(r + [""] * (width - len(r)), flag) for r, flag in zip(grid, header_flags, strict=True)]


def parse_table(table, caption: str | None = None) -> Table:
    """Read a data table. Header: the <thead> rows, else leading rows made only of <th> cells."""
    rows = own_rows(table)
    thead_rows = {id(r) for t in table if local_tag(t) == "thead" for r in t if local_tag(r) == "tr"}
    expanded = _grid(rows)
    header_rows: list[list[str]] = []
    body: list[list[str]] = []
    for row, (cells, all_th) in zip(rows, expanded, strict=True):
        if not body and (id(row) in thead_rows or all_th):
            header_rows.append(cells)
        else:
            body.append(cells)
    header = _merge_header_rows(header_rows)
    body = [r for r in body if any(r)]
    if caption is None:
        cap = table.find("caption")
        caption = text_of(cap) if cap is not None else None
    return Table(header=header, rows=body, caption=normalize_space(caption) or None)


def _merge_header_rows(header_rows: list[list[str]]) -> list[str]:
    # Two-level headers ("Prix" over "Ancien" / "Nouveau") become "Prix Ancien", "Prix Nouveau".
    if not header_rows:
        return []
    merged = []
    for column in zip(*header_rows, strict=True):
        parts: list[str] = []
        for part in column:
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        merged.append(" ".join(parts))
    return merged
