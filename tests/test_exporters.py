"""Exports of the annual report and the partner network, each opened with its real reader.

Every format is read back the way its users read it (the csv module,
openpyxl, an XML parser, an HTML parser) and must hold the figures
``annual_report`` counts on the demo store. ``--pseudonymise`` is checked by
scanning every format's decoded text for every contact person of the demo.
"""

from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import orjson
import pytest

import patti.plugins.exporters as exporters_plugin
from patti.core import hookimpl
from patti.core.demo import ASSOCIATIONS, build_demo
from patti.core.errors import ReadOnlyError
from patti.core.exporters import (
    ExportContext,
    Exporter,
    ExportError,
    export,
    export_context,
    exporters_for,
    pseudonymised_store,
)
from patti.core.model import Membership, Pact, PactStatus, Partner, PartnerKind
from patti.core.network import build_network, network_figures
from patti.core.plugins import PluginConflictError, PluginError, PluginHost
from patti.core.reports import AnnualReport, annual_report
from patti.core.store import Store
from patti.plugins.exporters.charts import Series, axis_step, bar_chart
from patti.plugins.exporters.workbook import sheet_title

MADE = date(2022, 1, 10)
REPORT_FORMATS = ("md", "html", "csv", "xlsx", "json")
NETWORK_FORMATS = ("graphml", "json")
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


# -- fixtures and helpers ----------------------------------------------------------------


def exporters_host() -> PluginHost:
    """patti's built-ins with the exporters (registered here until they are a default)."""
    host = PluginHost(entry_point_group=None)
    host.load()
    if not host.pm.has_plugin("exporters"):
        host.register(exporters_plugin, "exporters")
    return host


@pytest.fixture
def host() -> PluginHost:
    return exporters_host()


@pytest.fixture
def demo(store: Store) -> Store:
    build_demo(store)
    return store


def render(
    store: Store,
    host: PluginHost,
    name: str,
    *,
    subject: str = "report",
    year: int | None = 2021,
    language: str = "en",
    pseudonymise: bool = False,
) -> bytes:
    exporter = exporters_for(host, "report" if subject == "report" else "network")[name]
    context = export_context(
        store, year, language=language, pseudonymise=pseudonymise, plugins=host, created=MADE
    )
    return export(exporter, context)


def number(text: str, *, decimal: str = ".") -> float:
    """A figure as a file writes it (``1,259`` or ``213,3``) back to a number."""
    thousands = "," if decimal == "." else "."
    return float(text.replace(thousands, "").replace(decimal, "."))


def expected_figures(report: AnnualReport) -> dict[str, float]:
    p, a = report.partners, report.activities
    assert p.growth_percent is not None
    return {
        "Pacts activated": report.pacts.activated.count,
        "Pacts active": report.pacts.active.count,
        "Pacts concluded": report.pacts.concluded.count,
        "Partners involved": p.involved,
        f"Partners involved in {p.previous_year}": p.previous_involved,
        "Growth of partners involved (%)": p.growth_percent,
        "New partners": p.new,
        "Returning partners": p.returning,
        "Partners that did not continue": p.lost,
        "Activities done": a.done,
        "Presences at activities done": a.attendance,
        "People reached (estimate)": a.people_reached,
    }


def assert_demo_figures(found: dict[str, float], report: AnnualReport) -> None:
    """The figures a file shows are the report's: 7 pacts activated, partners grown."""
    for label, value in expected_figures(report).items():
        assert found[label] == pytest.approx(value), label
    assert found["Pacts activated"] == 7
    assert found["Partners involved"] > found["Partners involved in 2020"] > 0


# Markdown


def md_table(text: str, heading: str) -> list[list[str]]:
    """The rows (header first) of the pipe table under ``heading``, unescaped."""
    lines = text.splitlines()
    start = lines.index(heading)
    while not lines[start].startswith("|"):
        start += 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\) \| ", line[2:-2])
        rows.append([re.sub(r"\\(.)", r"\1", c) for c in cells])
    return [rows[0], *rows[2:]]  # without the alignment row


# CSV


def csv_blocks(data: bytes) -> dict[str, list[list[str]]]:
    """Each table of the CSV by title: its header row, then its rows (title column dropped)."""
    assert data.startswith(b"\xef\xbb\xbf"), "Italian Excel needs the BOM"
    blocks: dict[str, list[list[str]]] = {}
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"):
        if row:
            blocks.setdefault(row[0], []).append(row[1:])
    return blocks


# Excel


def xlsx_sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


# HTML


class Page(HTMLParser):
    """What a browser would take from the page: tables under their headings, chart titles,
    every URL-bearing attribute, and whether every tag was closed in order."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input", "line", "rect"})
    URL_ATTRIBUTES = frozenset({"src", "href", "xlink:href", "action", "srcset"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.svg_titles: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.stack: list[str] = []
        self._heading = ""
        self._text: list[str] = []
        self._row: list[str] = []
        self._table: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_startendtag(tag, attrs)
        if tag in ("h2", "h3", "td", "th", "title"):
            self._text = []
        elif tag == "tr":
            self._row = []
        elif tag == "table":
            self._table = []
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in self.URL_ATTRIBUTES]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()
        text = "".join(self._text).strip()
        if tag in ("h2", "h3"):
            self._heading = text
        elif tag in ("td", "th"):
            self._row.append(text)
        elif tag == "tr":
            self._table.append(self._row)
        elif tag == "table":
            self.tables.setdefault(self._heading, self._table)
        elif tag == "title" and "svg" in self.stack:
            self.svg_titles.append(text)

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def parse_page(data: bytes) -> Page:
    page = Page()
    page.feed(data.decode("utf-8"))
    page.close()
    assert page.stack == [], f"unclosed tags: {page.stack}"
    return page


def readable(data: bytes, name: str) -> str:
    """Every text a reader of the file could see, whatever the encoding: entities
    unescaped, JSON escapes decoded, an xlsx's zipped XML and cell values."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [archive.read(n).decode("utf-8") for n in archive.namelist()]
        cells = [str(v) for rows in xlsx_sheets(data).values() for row in rows for v in row]
        return html.unescape("\n".join(parts)) + "\n".join(cells)
    text = data.decode("utf-8-sig")
    if name == "json":
        text += str(orjson.loads(data))
    return text + html.unescape(text)


# -- the registry -------------------------------------------------------------------------


def test_the_built_in_formats_are_registered_for_reports_and_networks(host: PluginHost) -> None:
    assert list(exporters_for(host, "report")) == list(REPORT_FORMATS)
    assert list(exporters_for(host, "network")) == list(NETWORK_FORMATS)
    keys = set(host.exporters())
    assert {"md", "html", "csv", "xlsx", "json", "network-graphml", "network-json"} <= keys
    adds = {i.name: i.adds for i in host.plugins()}["exporters"]
    assert adds["exporters"] == [e.key for e in exporters_plugin.EXPORTERS]


def test_only_the_xlsx_report_is_binary(host: PluginHost) -> None:
    binary = [e.key for e in host.exporters().values() if isinstance(e, Exporter) and e.binary]
    assert binary == ["xlsx"]


def test_values_registered_before_the_contract_are_left_out(host: PluginHost) -> None:
    class Codes:
        @hookimpl
        def register_exporters(self, register: Callable[[str, Any], None]) -> None:
            register("codes", lambda registry: "")

    host.register(Codes(), "codes")
    assert "codes" in host.exporters()
    assert "codes" not in exporters_for(host, "report")


def test_two_exporters_of_one_subject_with_one_name_conflict(host: PluginHost) -> None:
    clash = Exporter("md", "Altro", "Other", "md", False, lambda context: b"")

    class Other:
        @hookimpl
        def register_exporters(self, register: Callable[[str, Any], None]) -> None:
            register("other-md", clash)

    host.register(Other(), "other")
    with pytest.raises(PluginConflictError, match=r"'md' is registered as both other-md and md"):
        exporters_for(host, "report")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Mark Down"}, "exporter name"),
        ({"extension": ".md"}, "without the dot"),
        ({"subject": "registry"}, "subject"),
        ({"render": "not a function"}, "not callable"),
    ],
)
def test_an_exporter_is_checked_when_it_is_made(changes: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "name": "md",
        "label_it": "Testo",
        "label_en": "Text",
        "extension": "md",
        "binary": False,
        "render": lambda context: b"",
    }
    with pytest.raises(ValueError, match=message):
        Exporter(**{**fields, **changes})


def test_a_network_exporter_registers_under_its_subject() -> None:
    exporter = Exporter("dot", "Dot", "Dot", "gv", False, lambda c: b"", subject="network")
    assert exporter.key == "network-dot"
    assert exporter.filename(2021) == "patti-network-2021.gv"
    assert exporter.filename(None) == "patti-network-all.gv"


# -- the context ---------------------------------------------------------------------------


def test_the_context_computes_each_part_once_and_only_when_asked(
    demo: Store, host: PluginHost
) -> None:
    context = export_context(demo, 2021, plugins=host, created=MADE)
    assert "network" not in vars(context)
    assert context.report is context.report
    assert context.report.pacts.activated.count == 7
    assert context.series.years == (2020, 2021, 2022)
    assert context.network_figures.nodes == context.report.partners.involved
    assert "network" in vars(context)


def test_a_report_context_needs_a_year(demo: Store) -> None:
    with pytest.raises(ExportError, match="needs a year"):
        ExportContext(demo, None, "en").report  # noqa: B018


def test_the_pseudonymised_store_lives_in_memory_and_refuses_writes(demo: Store) -> None:
    before = demo.path.read_bytes()
    copy = pseudonymised_store(demo)
    names = sorted(c.name for p in copy.partners.all() for c in p.contacts)
    assert names == [f"Person {n}" for n in range(1, 8)]
    partner = copy.partners.all()[0]
    with pytest.raises(ReadOnlyError):
        copy.update(partner.model_copy(update={"name": "Changed"}))
    assert demo.path.read_bytes() == before
    assert demo.partners.get(partner.id or 0).name == partner.name


# -- each format holds the report's figures ------------------------------------------------


def test_markdown_tells_the_year_then_shows_its_figures_and_sections(
    demo: Store, host: PluginHost
) -> None:
    report = annual_report(demo, 2021, plugins=host)
    text = render(demo, host, "md").decode("utf-8")
    assert text.startswith("# Annual report 2021: community pacts\n")
    assert "In 2021, 7 community pacts were activated" in text
    figures = md_table(text, "## Figures of 2021")
    assert figures[0] == ["Figure", "Value"]
    assert_demo_figures({label: number(value) for label, value in figures[1:] if value}, report)
    testimonies = next(s for s in report.sections if s.pact_type == "school_testimonies")
    heading = f"### {testimonies.pact_code}: {testimonies.title}"
    assert heading in text
    assert ["associations_involved", "19"] in md_table(text, heading)[1:]
    years = {row[0]: row for row in md_table(text, "## Year by year")[1:]}
    assert years["2020"][3] == "15" and years["2021"][3] == "47"


def test_html_is_one_page_with_the_figures_charts_and_nothing_from_outside(
    demo: Store, host: PluginHost
) -> None:
    report = annual_report(demo, 2021, plugins=host)
    data = render(demo, host, "html")
    page = parse_page(data)
    figures = page.tables["Figures of 2021"]
    assert figures[0] == ["Figure", "Value"]
    assert_demo_figures({label: number(value) for label, value in figures[1:] if value}, report)
    testimonies = next(s for s in report.sections if s.pact_type == "school_testimonies")
    section = page.tables[f"{testimonies.pact_code}: {testimonies.title}"]
    assert ["associations_involved", "19"] in section
    assert page.svg_titles[:1] == ["Pacts per year"]
    assert "Partners involved per year" in page.svg_titles
    assert "New and returning partners per year" in page.svg_titles
    assert "Pacts activated, 2021: 7" in page.svg_titles
    assert "Partners involved, 2020: 15" in page.svg_titles
    assert page.tags.count("svg") == 3
    assert page.urls == [] and "script" not in page.tags
    assert not re.search(rb"""(src|href)\s*=\s*["']?\s*(https?:)?//""", data, re.IGNORECASE)
    assert b"@import" not in data and b"url(" not in data
    assert b"Content-Security-Policy" in data


def test_csv_is_for_italian_excel_and_holds_the_figures(demo: Store, host: PluginHost) -> None:
    report = annual_report(demo, 2021, plugins=host)
    data = render(demo, host, "csv")
    assert b"\r\n" in data and b";" in data.splitlines()[1]
    blocks = csv_blocks(data)
    figures = blocks["Figures of 2021"]
    assert figures[0] == ["Figure", "Value"]
    found = {label: number(value, decimal=",") for label, value in figures[1:] if value}
    assert_demo_figures(found, report)
    assert [r[2:] for r in blocks["Pact type figures"] if r[2] == "associations_involved"] == [
        ["associations_involved", "19"]
    ]
    assert blocks["The year in brief"][1][0].startswith("In 2021, 7 community pacts")
    years = {row[0]: row for row in blocks["Year by year"][1:]}
    assert years["2020"][3] == "15" and years["2021"][3] == "47"


def test_csv_writes_dates_day_first_and_decimals_with_a_comma(
    demo: Store, host: PluginHost
) -> None:
    blocks = csv_blocks(render(demo, host, "csv"))
    header, *rows = blocks["Pacts"]
    pact = demo.pacts.get(4)
    row = next(r for r in rows if r[0] == pact.code)
    assert pact.start is not None and pact.end is not None
    assert row[header.index("Start")] == pact.start.strftime("%d/%m/%Y")
    assert row[header.index("End")] == pact.end.strftime("%d/%m/%Y")
    assert row[header.index("Activated in")] == "2021"
    figures = dict(r for r in blocks["Figures of 2021"][1:] if len(r) == 2)
    assert re.fullmatch(r"\d+,\d", figures["Growth of partners involved (%)"])


def test_xlsx_has_a_sheet_per_table_with_real_numbers_and_dates(
    demo: Store, host: PluginHost
) -> None:
    report = annual_report(demo, 2021, plugins=host)
    data = render(demo, host, "xlsx")
    sheets = xlsx_sheets(data)
    assert list(sheets)[:3] == ["The year in brief", "Figures of 2021", "Partner network"]
    assert "Pact type figures" in sheets
    header, *rows = sheets["Figures of 2021"]
    assert header == ("Figure", "Value")
    assert_demo_figures({r[0]: r[1] for r in rows if r[1] is not None}, report)
    assert all(isinstance(r[1], int | float) for r in rows if r[1] is not None)
    assert ("PdC-2021-01", "associations_involved", 19) in {
        (r[0], r[2], r[3]) for r in sheets["Pact type figures"][1:]
    }
    book = openpyxl.load_workbook(io.BytesIO(data))
    pacts = book["Pacts"]
    header = [c.value for c in pacts[1]]
    row = next(r for r in pacts.iter_rows(min_row=2) if r[0].value == "PdC-2021-01")
    begun = demo.pacts.get(4).start
    assert begun is not None
    assert row[header.index("Start")].value == datetime(begun.year, begun.month, begun.day)
    assert row[header.index("Start")].number_format == "DD/MM/YYYY"
    assert pacts.freeze_panes == "A2"


def test_json_is_the_report_with_the_series_and_the_network(demo: Store, host: PluginHost) -> None:
    data = orjson.loads(render(demo, host, "json"))
    report = annual_report(demo, 2021, plugins=host)
    assert data["format"] == "patti-report" and data["year"] == 2021
    assert data["report"] == orjson.loads(orjson.dumps(report.as_json()))
    assert [r["year"] for r in data["series"]] == [2020, 2021, 2022]
    assert data["network"]["nodes"] == report.partners.involved
    assert data["narrative"][0].startswith("In 2021, 7 community pacts were activated")
    section = next(s for s in data["report"]["sections"] if s["pact_type"] == "school_testimonies")
    assert section["figures"]["associations_involved"] == 19
    assert data["created"] == "2022-01-10" and data["pseudonymised"] is False


def test_graphml_opens_as_xml_with_the_partners_and_weighted_ties(
    demo: Store, host: PluginHost
) -> None:
    root = ET.fromstring(render(demo, host, "graphml", subject="network"))
    network = build_network(demo, 2021)
    keys = {k.get("attr.name"): k.get("id") for k in root.iter(f"{GRAPHML}key")}
    assert {"name", "kind", "zones", "weight"} <= set(keys)
    graph = root.find(f"{GRAPHML}graph")
    assert graph is not None and graph.get("edgedefault") == "undirected"

    def data(element: ET.Element) -> dict[str, str]:
        return {d.get("key") or "": d.text or "" for d in element.findall(f"{GRAPHML}data")}

    nodes = {n.get("id"): data(n) for n in graph.iter(f"{GRAPHML}node")}
    assert {n["name"] for n in nodes.values()} == {r.name for r in network.partners.values()}
    assert {a.name for a in ASSOCIATIONS} <= {n["name"] for n in nodes.values()}
    edges = [(e.get("source"), e.get("target"), data(e)) for e in graph.iter(f"{GRAPHML}edge")]
    assert len(edges) == len(network.pairs) == network_figures(demo, 2021).ties
    strongest = network.ties()[0]
    source, target, attrs = edges[0]
    assert (source, target) == (f"p{strongest.a.id}", f"p{strongest.b.id}")
    assert int(attrs["weight"]) == strongest.weight
    school = next(n for n in nodes.values() if n["kind"] == PartnerKind.SCHOOL.value)
    assert school["kind_label"] == "School" and school["zones"]


def test_network_json_has_nodes_links_and_figures(demo: Store, host: PluginHost) -> None:
    data = orjson.loads(render(demo, host, "json", subject="network", year=None))
    network = build_network(demo)
    assert data["format"] == "patti-network" and data["year"] is None
    assert {n["id"] for n in data["nodes"]} == set(network.partners)
    assert {(link["source"], link["target"]) for link in data["links"]} == network.pairs
    assert data["figures"] == orjson.loads(orjson.dumps(network_figures(demo).as_json()))


# -- pseudonymised, and safe to open ----------------------------------------------------------


def mention_people(store: Store) -> list[tuple[str, str, str]]:
    """Put the demo's contact persons where a report shows text: a 2021 pact's title and
    objectives, a partner's name. Returns every (name, e-mail, phone)."""
    people = [(c.name, str(c.email), c.phone) for p in store.partners.all() for c in p.contacts]
    (name, _mail, _phone), (_n2, mail, _p2), (_n3, _m3, phone) = people[:3]
    pact = store.pacts.get(4)
    store.update(
        pact.model_copy(
            update={
                "title": f"Testimonianze con {name}",
                "objectives": [*pact.objectives, f"Scrivere a {mail}"],
                "notes": f"Telefonare al {phone}",
            }
        )
    )
    partner = next(p for p in store.partners.all() if p.name == ASSOCIATIONS[0].name)
    store.update(partner.model_copy(update={"name": f"{partner.name} ({mail}, {phone})"}))
    return people


@pytest.mark.parametrize(
    ("subject", "name"),
    [("report", n) for n in REPORT_FORMATS] + [("network", n) for n in NETWORK_FORMATS],
)
def test_a_pseudonymised_export_names_no_person(
    demo: Store, host: PluginHost, subject: str, name: str
) -> None:
    people = mention_people(demo)
    text = readable(render(demo, host, name, subject=subject, pseudonymise=True), name).casefold()
    for person in people:
        for value in person:
            assert value.casefold() not in text, (value, name)
    assert re.search(r"person \d", text), "the mentions became pseudonyms"


def test_without_pseudonymise_the_people_mentioned_are_exported(
    demo: Store, host: PluginHost
) -> None:
    people = mention_people(demo)
    text = render(demo, host, "md").decode("utf-8")
    assert f"Testimonianze con {people[0][0]}" in text
    assert f"({people[1][1]}, {people[2][2]})" in text  # e-mail and phone in a partner's name


def test_a_pseudonymised_report_says_so(demo: Store, host: PluginHost) -> None:
    text = render(demo, host, "md", pseudonymise=True).decode("utf-8")
    assert "> Pseudonymised: contact persons appear as “Person N”" in text
    assert orjson.loads(render(demo, host, "json", pseudonymise=True))["pseudonymised"] is True


@pytest.fixture
def tricky(store: Store) -> Store:
    """A 2021 pact whose partners are named by a formula, a phone number and markup."""
    build_demo(store)
    names = ['=HYPERLINK("x")', "+39 0373 1234", "<script>alert(1)</script> & [x](http://e.vil)"]
    ids = [store.add(Partner(name=n, kind=PartnerKind.INFORMAL_GROUP)).id or 0 for n in names]
    store.add(
        Pact(
            code="PdC-2021-90",
            title="Prova",
            type="community_ties",
            status=PactStatus.ACTIVE,
            year=2021,
            start=date(2021, 3, 1),
            end=date(2021, 10, 31),
            members=[Membership(partner_id=i) for i in ids],
        )
    )
    return store


def test_csv_neutralises_a_formula_and_keeps_a_phone_number_readable(
    tricky: Store, host: PluginHost
) -> None:
    blocks = csv_blocks(render(tricky, host, "csv"))
    names = {row[0] for row in blocks["Partners"][1:]}
    assert '\'=HYPERLINK("x")' in names
    assert " +39 0373 1234" in names
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names)


def test_xlsx_keeps_a_formula_as_text(tricky: Store, host: PluginHost) -> None:
    data = render(tricky, host, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = {c.value: c for row in book["Partners"].iter_rows() for c in row}
    formula = cells['=HYPERLINK("x")']
    assert formula.data_type == "s" and formula.quotePrefix
    assert cells["+39 0373 1234"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(n) for n in sheets)


def test_markup_in_stored_text_stays_text_in_html_and_markdown(
    tricky: Store, host: PluginHost
) -> None:
    page = render(tricky, host, "html")
    parsed = parse_page(page)
    assert b"<script" not in page and "script" not in parsed.tags
    assert ["<script>alert(1)</script> & [x](http://e.vil)", "Informal group", "yes", "new"] in (
        parsed.tables["Partners"]
    )
    text = render(tricky, host, "md").decode("utf-8")
    assert "\\<script\\>alert(1)\\</script\\> \\& \\[x\\](http://e.vil)" in text
    assert "<script>" not in text


def test_control_characters_in_a_stored_name_reach_no_file(
    store: Store, host: PluginHost, store_path: Path
) -> None:
    build_demo(store)
    store.close()
    raw = orjson.loads(store_path.read_bytes())
    key = next(k for k, p in raw["partners"].items() if p["name"] == ASSOCIATIONS[0].name)
    raw["partners"][key]["name"] = "Bad\x1b]0;owned\x07 \u202eName\x85"
    store_path.write_bytes(orjson.dumps(raw))
    with Store.open(store_path, readonly=True) as reopened:
        outputs = {name: render(reopened, host, name) for name in ("md", "html", "csv", "json")}
        outputs["graphml"] = render(reopened, host, "graphml", subject="network")
        xlsx = render(reopened, host, "xlsx")
    for name, data in outputs.items():
        for bad in ("\x1b", "\x07", "\u202e", "\x85"):
            assert bad.encode() not in data, (name, bad)
    partners = {row[0] for row in csv_blocks(outputs["csv"])["Partners"][1:]}
    assert "Bad]0;owned Name" in partners
    assert "Bad]0;owned Name" in {r[0] for r in xlsx_sheets(xlsx)["Partners"]}
    ET.fromstring(outputs["graphml"])


# -- an empty year, another language, a broken plugin ----------------------------------------


def test_a_year_with_no_data_is_reported_as_such(demo: Store, host: PluginHost) -> None:
    text = render(demo, host, "md", year=2035).decode("utf-8")
    assert "> This store holds nothing for 2035: every figure is zero." in text
    assert "In 2035, no new community pact was activated." in text
    blocks = csv_blocks(render(demo, host, "csv", year=2035))
    assert dict(r for r in blocks["Figures of 2035"][1:] if len(r) == 2)["Pacts activated"] == "0"


def test_an_empty_store_still_exports_every_format(store: Store, host: PluginHost) -> None:
    for name in REPORT_FORMATS:
        assert render(store, host, name, year=2021)
    parse_page(render(store, host, "html", year=2021))
    ET.fromstring(render(store, host, "graphml", subject="network"))


def test_an_italian_report_writes_numbers_and_dates_the_italian_way(
    demo: Store, host: PluginHost
) -> None:
    text = render(demo, host, "md", language="it").decode("utf-8")
    assert "Nel 2021 sono stati attivati 7 Patti di Comunità" in text
    assert "1.259" in text and "10/01/2022" in text
    assert "| 213,3 |" in text


def failing(context: ExportContext) -> bytes:
    raise RuntimeError("boom")


def test_a_failing_exporter_disables_its_plugin_and_says_so_in_one_error(
    demo: Store, host: PluginHost
) -> None:
    broken = Exporter("boom", "Rotto", "Broken", "txt", False, failing)

    class Broken:
        @hookimpl
        def register_exporters(self, register: Callable[[str, Any], None]) -> None:
            register(broken.key, broken)

    host.register(Broken(), "broken")
    with pytest.raises(PluginError, match=r"broken failed \(export boom\).*boom"):
        export(broken, export_context(demo, 2021, plugins=host))
    assert [f.name for f in host.failures] == ["broken"]
    assert "boom" not in exporters_for(host, "report")
    assert render(demo, host, "md")


def test_an_exporter_must_return_bytes(demo: Store, host: PluginHost) -> None:
    def text_not_bytes(context: ExportContext) -> Any:
        return "text"

    texty = Exporter("texty", "Testo", "Text", "txt", False, text_not_bytes)

    class Texty:
        @hookimpl
        def register_exporters(self, register: Callable[[str, Any], None]) -> None:
            register(texty.key, texty)

    host.register(Texty(), "texty")
    with pytest.raises(PluginError, match="not bytes"):
        export(texty, export_context(demo, 2021, plugins=host))


# -- the charts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tallest", "top"), [(0, 4), (3, 4), (8, 8), (10, 12), (47, 60), (100, 100), (1259, 1600)]
)
def test_the_value_axis_has_four_round_steps_above_the_tallest_bar(tallest: int, top: int) -> None:
    assert axis_step(tallest) * 4 == top


def test_a_chart_escapes_its_labels_and_parses_as_svg() -> None:
    svg = bar_chart(
        "A <b>&</b> chart",
        ["2020", "2021"],
        [Series("x</text><script>", (1, 2)), Series("y", (3, 4))],
        stacked=True,
        highlight="2021",
    )
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("aria-label") == "A <b>&</b> chart"
    bars = [t.text for rect in root.iter(f"{ns}rect") for t in rect.iter(f"{ns}title")]
    assert bars == [
        "x</text><script>, 2020: 1",
        "y, 2020: 3",
        "x</text><script>, 2021: 2",
        "y, 2021: 4",
    ]
    bold = [t.text for t in root.iter(f"{ns}text") if t.get("font-weight") == "bold"]
    assert bold == ["2021"]


def test_sheet_names_are_what_excel_accepts() -> None:
    taken: set[str] = set()
    assert sheet_title("Pacts: 2021/2022 [draft]?", taken) == "Pacts 2021 2022 draft"
    long = "Partners by kind and zone and theme, year by year"
    assert sheet_title(long, taken) == "Partners by kind and zone and…"
    assert len(sheet_title(long, taken)) <= 31
    assert sheet_title("pacts 2021 2022 DRAFT", taken) == "pacts 2021 2022 DRAFT (2)"
