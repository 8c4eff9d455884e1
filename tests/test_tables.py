"""Tables: data vs layout, headers, colspan/rowspan expansion."""

from __future__ import annotations

from lxml import html

from newscrawl.extraction.tables import is_data_table, parse_table


def table(markup: str):
    return html.fragment_fromstring(markup)


def test_thead_gives_the_header():
    t = parse_table(
        table(
            "<table><thead><tr><th>Aspect</th><th>Détails</th></tr></thead>"
            "<tbody><tr><td>Prix</td><td>Bas</td></tr></tbody></table>"
        )
    )
    assert (t.header, t.rows) == (["Aspect", "Détails"], [["Prix", "Bas"]])


def test_leading_row_of_th_is_the_header_without_thead():
    t = parse_table(table("<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"))
    assert (t.header, t.rows) == (["A", "B"], [["1", "2"]])


def test_no_header_row_gives_empty_header():
    t = parse_table(table("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"))
    assert (t.header, t.rows) == ([], [["a", "b"], ["c", "d"]])


def test_colspan_is_expanded():
    t = parse_table(
        table(
            "<table><tr><th>M</th><th>X</th><th>Y</th></tr><tr><td>a</td><td colspan=2>both</td></tr></table>"
        )
    )
    assert t.rows == [["a", "both", "both"]]


def test_rowspan_is_expanded_into_following_rows():
    t = parse_table(
        table(
            "<table><tr><th>M</th><th>V</th></tr><tr><td rowspan=2>Zoe</td><td>R110</td></tr>"
            "<tr><td>R135</td></tr></table>"
        )
    )
    assert t.rows == [["Zoe", "R110"], ["Zoe", "R135"]]


def test_rowspan_in_last_column_pads_the_row():
    t = parse_table(
        table(
            "<table><tr><th>A</th><th>B</th><th>C</th></tr><tr><td>1</td><td>2</td><td rowspan=2>x</td></tr>"
            "<tr><td>3</td></tr></table>"
        )
    )
    assert t.rows == [["1", "2", "x"], ["3", "", "x"]]


def test_two_header_rows_merge_per_column():
    t = parse_table(
        table(
            "<table><thead><tr><th rowspan=2>Modèle</th><th colspan=2>Prix</th></tr>"
            "<tr><th>Ancien</th><th>Nouveau</th></tr></thead><tbody><tr><td>3</td><td>42</td><td>39</td></tr></tbody></table>"
        )
    )
    assert t.header == ["Modèle", "Prix Ancien", "Prix Nouveau"]


def test_short_rows_are_padded_to_the_width():
    t = parse_table(table("<table><tr><th>A</th><th>B</th><th>C</th></tr><tr><td>1</td></tr></table>"))
    assert t.rows == [["1", "", ""]]


def test_caption_is_read():
    t = parse_table(
        table(
            "<table><caption> Tarifs 2024 </caption><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"
        )
    )
    assert t.caption == "Tarifs 2024"


def test_absurd_colspan_is_bounded():
    t = parse_table(table("<table><tr><th>A</th></tr><tr><td colspan=100000>x</td></tr></table>"))
    assert len(t.rows[0]) == 50


def test_nested_tables_are_layout():
    assert not is_data_table(
        table("<table><tr><td><table><tr><td>a</td><td>b</td></tr></table></td><td>c</td></tr></table>")
    )


def test_presentation_role_is_layout():
    assert not is_data_table(
        table("<table role='presentation'><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>")
    )


def test_single_column_is_layout():
    assert not is_data_table(table("<table><tr><td>a</td></tr><tr><td>b</td></tr></table>"))


def test_one_filled_cell_per_row_beside_spacers_is_layout():
    spacer = "<td class='ind'><img src='s.gif' width='40'></td><td class='votelinks'><a href='vote'></a></td>"
    assert not is_data_table(
        table(
            f"<table><tr>{spacer}<td>Ask: what will 2024 bring?</td></tr>"
            f"<tr>{spacer}<td>89 points by koconder</td></tr></table>"
        )
    )
    assert is_data_table(
        table("<table><tr><td>Autonomie</td><td></td></tr><tr><td>Prix</td><td>25 000 €</td></tr></table>")
    )


def test_cells_holding_article_paragraphs_are_layout():
    prose = "<p>" + "Une longue phrase d'article qui remplit la cellule. " * 10 + "</p>"
    assert not is_data_table(
        table(f"<table><tr><td>{prose}</td><td>menu</td></tr><tr><td>x</td><td>y</td></tr></table>")
    )


def test_small_grid_of_facts_is_data():
    assert is_data_table(
        table(
            "<table><tr><td>Puissance</td><td>136 ch</td></tr><tr><td>Batterie</td><td>52 kWh</td></tr></table>"
        )
    )
