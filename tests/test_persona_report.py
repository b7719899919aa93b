"""The persona report writers: HTML, Markdown, JSON and the one-page PDFs.

Built from hand-made persona documents (tests/persona_samples.py) and hand-made profile
sections, one with a real Altair chart rendered offline. The HTML is parsed with the
standard library parser into a small tree so the checks look at structure, not strings.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import python_avatars as pa
from pydantic import BaseModel

from personae.personas.schema import Claim, Evidence, Persona
from personae.reports.persona_report import ReportFiles, render_onepager, write_report
from tests.persona_samples import marco, priya, sample_personas, sample_sections, sarah

TITLE = "Greenleaf customer personas"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


# --------------------------------------------------------------------------- helpers


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def walk(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()

    def text(self) -> str:
        return " ".join(
            " ".join((c if isinstance(c, str) else c.text()).split()) for c in self.children
        ).strip()

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class TreeBuilder(HTMLParser):
    """html.parser into a tree; records every end tag that does not close the open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        if len(node.attrs) != len(attrs):
            self.errors.append(f"<{tag}> repeats an attribute at {self.getpos()}")
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))
        if len({k for k, _ in attrs}) != len(attrs):
            self.errors.append(f"<{tag}/> repeats an attribute at {self.getpos()}")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack[-1].tag != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}> at {self.getpos()}")
            return
        self.stack.pop()

    def handle_data(self, data):
        if self.stack[-1].tag not in ("style",):
            self.stack[-1].children.append(data)


def parse(html: str) -> tuple[Node, list[str]]:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    unclosed = [n.tag for n in builder.stack[1:]]
    return builder.root, builder.errors + [f"unclosed <{t}>" for t in unclosed]


def by_id(root: Node, id_: str) -> Node:
    found = [n for n in root.walk() if n.attrs.get("id") == id_]
    assert len(found) == 1, f"id {id_!r} found {len(found)} times"
    return found[0]


def norm(text: str) -> str:
    return " ".join(text.split())


def claims_in(obj) -> list[Claim]:
    """Every Claim in a document, found by walking the model (independent of the writer)."""
    out: list[Claim] = []
    if isinstance(obj, Claim):
        out.append(obj)
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            out += claims_in(getattr(obj, name))
    elif isinstance(obj, dict):
        for v in obj.values():
            out += claims_in(v)
    elif isinstance(obj, list):
        for v in obj:
            out += claims_in(v)
    return out


def evidence_tokens(ev: Evidence) -> list[str]:
    """What must be visible of an evidence: its table, attribute, n and record ids."""
    tokens = [ev.source]
    if ev.attribute:
        tokens.append(ev.attribute)
    if ev.level:
        tokens.append(ev.level)
    if ev.n is not None:
        tokens.append(f"{ev.n:,}")
    tokens += ev.record_ids[:12]
    return tokens


def pdf_page_count(data: bytes) -> int:
    """Count page objects, inflating compressed object streams (WeasyPrint uses them)."""
    chunks = [data]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        with contextlib.suppress(zlib.error):  # not every stream is deflated
            chunks.append(zlib.decompressobj().decompress(m.group(1)))
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", b"\n".join(chunks)))


@pytest.fixture(scope="module", autouse=True)
def _restore_xml_namespaces() -> Iterator[None]:
    """Importing WeasyPrint rebinds ElementTree's default namespace, after which
    python_avatars writes ``<ns0:svg>``; put the mapping back for the tests after these."""
    saved = dict(ET._namespace_map)
    yield
    ET._namespace_map.clear()
    ET._namespace_map.update(saved)


@dataclass
class Written:
    files: ReportFiles
    personas: list[Persona]
    html: str
    root: Node
    errors: list[str]
    markdown: str


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    personas = sample_personas()
    out = tmp_path_factory.mktemp("report") / "reports"
    files = write_report(
        personas,
        sample_sections(),
        out,
        title=TITLE,
        subtitle="Who buys from Greenleaf, and how to reach them",
        data_date="2026-10-31",
    )
    html = files.html.read_text(encoding="utf-8")
    root, errors = parse(html)
    return Written(files, personas, html, root, errors, files.markdown.read_text("utf-8"))


# --------------------------------------------------------------------------- files and HTML


def test_every_file_is_written(written: Written):
    f = written.files
    out = f.html.parent
    assert (f.html, f.markdown, f.json) == (
        out / "personas.html",
        out / "personas.md",
        out / "personas.json",
    )
    for p in written.personas:
        assert (out / "personas" / f"{p.id}.json").is_file()
        assert (out / "personas" / f"{p.id}.pdf") in f.pdfs
    assert f.warnings == []
    for key in ("age-bands", "new-customers"):
        chart = out / "charts" / f"{key}.svg"
        assert ET.parse(chart).getroot().tag == f"{{{SVG_NS}}}svg"


def test_html_parses_and_is_self_contained(written: Written):
    assert written.errors == []
    tags = {n.tag for n in written.root.walk()}
    assert not tags & {"link", "script", "img", "iframe", "object", "embed"}
    assert "@import" not in written.html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", written.html)
    # the only URLs are the SVG and XLink namespace names, and only in xmlns attributes
    assert set(re.findall(r"https?://[^\s\"'<>)]+", written.html)) <= {SVG_NS, XLINK_NS}
    for node in written.root.walk():
        for name, value in node.attrs.items():
            if "//" in value:
                assert name in ("xmlns", "xmlns:xlink") and value in (SVG_NS, XLINK_NS), name
    assert by_id(written.root, "top").tag == "body"
    head = next(n for n in written.root.walk() if n.tag == "head")
    assert [n.text() for n in head.walk() if n.tag == "title"] == [TITLE]
    assert "2026-10-31" in by_id(written.root, "top").text()


def test_ids_are_unique_and_every_reference_resolves(written: Written):
    """Several avatars and charts share one page: their internal ids must not collide."""
    ids = [n.attrs["id"] for n in written.root.walk() if "id" in n.attrs]
    assert len(ids) == len(set(ids))
    refs = re.findall(r"url\(\s*['\"]?#([^'\")]+)", written.html)
    for node in written.root.walk():
        for name in ("href", "xlink:href"):
            if node.attrs.get(name, "").startswith("#"):
                refs.append(node.attrs[name][1:])
        for name in ("aria-labelledby", "aria-describedby"):
            refs += node.attrs.get(name, "").split()
    assert refs
    assert set(refs) <= set(ids)


def test_every_persona_card_shows_every_claim_with_its_evidence(written: Written):
    for p in written.personas:
        card = by_id(written.root, f"persona-{p.id}")
        assert card.tag == "article"
        assert p.title.text in card.text()
        svgs = [n for n in card.walk() if n.tag == "svg"]
        assert svgs, "avatar missing"
        claims = claims_in(p)
        assert len(claims) > 10
        details = [n for n in card.walk() if n.tag == "details"]
        assert len(details) >= len(claims) * 0.5
        nodes = list(card.walk())
        texts = {id(n): n.text() for n in nodes}
        with_details = [n for n in nodes if any(d.tag == "details" for d in list(n.walk())[1:])]
        for c in claims:
            text = norm(c.text)
            holders = [n for n in with_details if text in texts[id(n)]]
            assert holders, f"{p.name}: claim not shown: {c.text!r}"
            # the innermost elements holding the claim: its evidence must be right there
            held = {id(h) for h in holders}
            inner = [h for h in holders if not any(id(o) in held for o in list(h.walk())[1:])]
            ok = False
            for h in inner:
                ev_text = " ".join(texts[id(d)] for d in h.walk() if d.tag == "details")
                if all(t in ev_text for ev in c.evidence for t in evidence_tokens(ev)):
                    ok = True
            assert ok, f"{p.name}: evidence of {c.text!r} not next to it"
        # figures that are not claims carry evidence too
        card_text = card.text()
        for ev in p.size.evidence + p.quality.evidence + p.naming.basis:
            for token in evidence_tokens(ev):
                assert token in card_text


def test_cards_show_size_journey_quotes_and_quality(written: Written):
    for p in written.personas:
        card = by_id(written.root, f"persona-{p.id}")
        text = card.text()
        assert f"{p.size.customers:,}" in text
        assert f"{p.size.share:.0%}" in text
        for q in p.quotes:
            figure = next(n for n in card.walk() if n.tag == "figure" and q.text in n.text())
            assert q.record_id in figure.text()
            assert q.source_kind in figure.attrs["class"]
        stages = [n for n in card.walk() if n.tag == "li" and "stage" in n.classes()]
        assert [s.text().split()[1].lower() for s in stages] == [j.stage for j in p.journey]
        for label in ("Coverage", "Distinctiveness", "Stability", "Prevalence"):
            assert label in text
        headings = [n.tag for n in card.walk() if re.fullmatch(r"h\d", n.tag)]
        assert headings[0] == "h3" and set(headings) <= {"h3", "h4", "h5"}
    sarah_card = by_id(written.root, f"persona-{written.personas[0].id}")
    quads = [n.text() for n in sarah_card.walk() if n.tag == "h5" and n.text() in
             ("Says", "Thinks", "Does", "Feels")]  # fmt: skip
    assert quads == ["Says", "Thinks", "Does", "Feels"]


def test_negative_persona_is_marked_and_has_deter_guidance(written: Written):
    negative = next(p for p in written.personas if p.role == "negative")
    primary = next(p for p in written.personas if p.role == "primary")
    neg_card = by_id(written.root, f"persona-{negative.id}")
    pri_card = by_id(written.root, f"persona-{primary.id}")
    assert "persona--negative" in neg_card.classes()
    assert "Negative persona" in neg_card.text()
    assert "Negative persona" not in pri_card.text()
    deter = [n for n in neg_card.walk() if n.tag == "h5" and n.text() == "Deter"]
    assert deter
    for c in negative.guidance.deter:
        assert c.text in neg_card.text()


def test_comparison_has_one_column_per_persona(written: Written):
    table = next(n for n in by_id(written.root, "comparison").walk() if n.tag == "table")
    head = next(n for n in table.walk() if n.tag == "thead")
    cols = [n for n in head.walk() if n.tag == "th"]
    assert [c.attrs.get("scope") for c in cols] == ["col"] * len(written.personas)
    assert all(p.title.text in c.text() for p, c in zip(written.personas, cols, strict=True))
    body_rows = [n for n in next(n for n in table.walk() if n.tag == "tbody").walk() if
                 n.tag == "tr"]  # fmt: skip
    rows = {}
    for r in body_rows:
        label = next(c for c in r.children if isinstance(c, Node) and c.tag == "th").text()
        rows[label] = [c.text() for c in r.children if isinstance(c, Node) and c.tag == "td"]
    assert all(len(cells) == len(written.personas) for cells in rows.values())
    expected = ["Customers", "Share of customers", "Share of revenue", "Age", "Gender",
                "Industry", "Company size", "Top goal", "Top pain point", "Main channel",
                "Device", "Purchase frequency", "Order value", "Stability",
                "Prevalence"]  # fmt: skip
    for label in expected:
        assert label in rows, label
    s, m, p = written.personas
    assert rows["Customers"] == [f"{x.size.customers:,}" for x in (s, m, p)]
    assert rows["Top goal"] == [x.goals[0].label for x in (s, m, p)]
    assert rows["Industry"] == ["–", "–", p.firmographics[0].value]
    assert rows["Stability"] == [f"{x.quality.stability:.2f}" for x in (s, m, p)]


def test_profile_sections_are_rendered_generically(written: Written):
    for section in sample_sections():
        node = by_id(written.root, f"section-{section.key}")
        assert section.title in node.text() and section.intro in node.text()
        for chart in section.charts:
            fig = by_id(written.root, f"chart-{chart.key}")
            assert fig.tag == "figure"
            img = next(n for n in fig.walk() if n.attrs.get("role") == "img")
            assert img.attrs["aria-label"] == chart.alt
            assert any(n.tag == "svg" for n in img.walk())
            caption = next(n for n in fig.walk() if n.tag == "figcaption").text()
            assert chart.title in caption and chart.caption in caption
        tables = [n for n in node.walk() if n.tag == "table"]
        assert len(tables) == len(section.tables)
        for table, spec in zip(tables, section.tables, strict=True):
            for row in (n for n in table.walk() if n.tag == "tr"):
                cells = [c for c in row.children if isinstance(c, Node)]
                aligned = ["num" in c.classes() for c in cells]
                assert aligned == list(spec.numeric)
        for note in section.notes:
            assert note in node.text()


def test_css_is_responsive_and_print_friendly(written: Written):
    style = next(n for n in written.root.walk() if n.tag == "style")
    assert style is not None
    assert "@media print" in written.html and "break-before: page" in written.html
    assert "@media (max-width" in written.html


# --------------------------------------------------------------------------- Markdown, JSON


def test_markdown_holds_every_claim_with_a_footnote_to_its_evidence(written: Written):
    md = written.markdown
    definitions = dict(re.findall(r"^\[\^([\w-]+)\]: (.*)$", md, re.M))
    references = set(re.findall(r"\[\^([\w-]+)\](?!:)", md))
    assert references == set(definitions)
    for p in written.personas:
        assert f'<a id="persona-{p.id}"></a>' in md
        for c in claims_in(p):
            spots = [m.end() for m in re.finditer(re.escape(c.text), md)]
            assert spots, f"claim missing from Markdown: {c.text!r}"
            ok = False
            for end in spots:
                ref = re.search(r"\[\^([\w-]+)\]", md[end : end + 400])
                if ref and all(
                    t in definitions[ref.group(1)] for ev in c.evidence for t in evidence_tokens(ev)
                ):
                    ok = True
            assert ok, f"no footnote with the evidence of {c.text!r}"
        for q in p.quotes:
            assert f"> “{q.text}”" in md
            assert f"`{q.record_id}`" in md
    # GitHub tables: comparison with one column per persona, profile tables right-aligned
    header = next(line for line in md.splitlines() if line.startswith("|  | "))
    assert header.count("|") == len(written.personas) + 2
    assert "|---|---:|---:|---:|" in md
    for key in ("age-bands", "new-customers"):
        assert f"](charts/{key}.svg)" in md


def test_json_round_trips(written: Written):
    docs = json.loads(written.files.json.read_text("utf-8"))
    assert [Persona.model_validate(d) for d in docs] == written.personas
    for p in written.personas:
        path = written.files.html.parent / "personas" / f"{p.id}.json"
        assert Persona.model_validate_json(path.read_text("utf-8")) == p


# --------------------------------------------------------------------------- PDF


def test_each_pdf_is_one_page(written: Written):
    assert len(written.files.pdfs) == len(written.personas)
    for path in written.files.pdfs:
        data = path.read_bytes()
        assert data.startswith(b"%PDF")
        assert pdf_page_count(data) == 1, path.name


def _long_persona(words: int) -> Persona:
    """Sarah with far more to say than fits one page at full size."""
    filler = " ".join(["Evenings are when the family's week gets planned and restocked."] * words)
    p = sarah()
    bio = [c.model_copy(update={"text": c.text + " " + filler}) for c in p.bio]
    quotes = [q.model_copy(update={"text": q.text + " " + filler}) for q in p.quotes]
    return p.model_copy(update={"bio": bio + bio, "quotes": quotes})


def test_a_long_persona_is_condensed_onto_one_page(tmp_path: Path):
    import weasyprint

    p = _long_persona(4)
    full = weasyprint.HTML(string=render_onepager(p, 0, "USD", "large")).render()
    assert pdf_page_count(full.write_pdf()) == len(full.pages) > 1  # the counter works too
    files = write_report([p], [], tmp_path, title=TITLE)
    assert files.warnings == []
    assert pdf_page_count(files.pdfs[0].read_bytes()) == 1


def test_a_persona_too_long_for_any_density_is_cut_with_a_warning(tmp_path: Path):
    files = write_report([_long_persona(60)], [], tmp_path, title=TITLE)
    assert pdf_page_count(files.pdfs[0].read_bytes()) == 1
    assert len(files.warnings) == 1 and files.pdfs[0].name in files.warnings[0]


def test_without_weasyprint_pdfs_are_skipped_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes `import weasyprint` fail
    files = write_report([sarah()], sample_sections(with_altair=False), tmp_path, title=TITLE)
    assert files.pdfs == [] and not list(tmp_path.rglob("*.pdf"))
    assert len(files.warnings) == 1 and "WeasyPrint" in files.warnings[0]
    assert files.html.is_file() and files.markdown.is_file() and files.json.is_file()


# --------------------------------------------------------------------------- safety and upkeep


def test_hostile_text_and_svg_are_made_inert(tmp_path: Path):
    p = sarah()
    goal = p.goals[0].model_copy(update={"text": 'Wants <script>alert("x")</script> & more'})
    quote = p.quotes[0].model_copy(update={"text": "<img src=x onerror=alert(1)> nice"})
    hostile_svg = (
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" xmlns:ev="http://evil.example/ns" '
        'onload="alert(1)" viewBox="0 0 10 10"><script>alert(2)</script>'
        '<image href="https://evil.example/x.png" width="10" height="10"/>'
        '<circle id="c" r="5" style="fill:url(https://evil.example/p)" ev:x="1"/>'
        '<use xlink:href="#c"/></svg>'
    )
    naming = p.naming.model_copy(update={"avatar_svg": hostile_svg})
    p = p.model_copy(
        update={"goals": [goal, *p.goals[1:]], "quotes": [quote, *p.quotes[1:]], "naming": naming}
    )
    files = write_report([p], [], tmp_path, title="<b>Report</b>", pdf=False)
    html = files.html.read_text("utf-8")
    root, errors = parse(html)
    assert errors == []
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert not {n.tag for n in root.walk()} & {"script", "img", "b"}
    for node in root.walk():
        for name in node.attrs:
            assert not name.startswith("on"), name
            assert ":" not in name or name in ("xmlns:xlink", "xlink:href"), name
            assert node.tag != "image" or "href" not in name
    assert "evil.example" not in html
    assert "&lt;script&gt;alert(" in html
    card = by_id(root, f"persona-{p.id}")
    assert 'Wants <script>alert("x")</script> & more' in card.text()
    md = files.markdown.read_text("utf-8")
    assert "<script" not in md and "<img" not in md and "&lt;script>" in md
    onepager = render_onepager(p, 0, "USD")
    assert "<script" not in onepager and "<img src=x" not in onepager
    assert "&lt;script&gt;" in onepager and "&lt;img src=x" in onepager


def test_an_avatar_written_with_a_namespace_prefix_is_still_drawn(tmp_path: Path):
    """After WeasyPrint's import rebinds ElementTree's default namespace (to no namespace),
    python_avatars writes ``<ns0:svg>``, which an HTML page does not draw at all."""
    ET.register_namespace("", "")  # what `import weasyprint` does
    svg = pa.Avatar(style=pa.AvatarStyle.CIRCLE).render()
    assert svg.startswith("<ns0:svg")
    p = sarah()
    p = p.model_copy(update={"naming": p.naming.model_copy(update={"avatar_svg": svg})})
    files = write_report([p], [], tmp_path, title=TITLE, pdf=False)
    html = files.html.read_text("utf-8")
    root, errors = parse(html)
    assert errors == [] and "ns0" not in html
    avatar = next(n for n in by_id(root, f"persona-{p.id}").walk() if "avatar" in n.classes())
    drawn = {n.tag for n in avatar.walk()}
    assert {"svg", "path", "use", "mask"} <= drawn
    standalone = (tmp_path / "personas" / f"{p.id}.svg").read_text()
    assert ET.fromstring(standalone).tag == f"{{{SVG_NS}}}svg"


@pytest.mark.parametrize("hair", ["WICK", "DREADLOCKS"])
def test_avatar_parts_with_editor_metadata_stay_well_formed(tmp_path: Path, hair: str):
    """Some python_avatars parts (wick, dreadlocks, gladiator) carry Inkscape's RDF
    metadata in foreign namespaces: cleaning must drop those elements with their
    declarations, or the standalone SVG has an unbound prefix and no viewer opens it."""
    svg = pa.Avatar(
        style=pa.AvatarStyle.CIRCLE,
        top=getattr(pa.HairType, hair),
        clothing=pa.ClothingType.GLADIATOR,
    ).render()
    assert "rdf:RDF" in svg  # the case under test
    p = sarah()
    p = p.model_copy(update={"naming": p.naming.model_copy(update={"avatar_svg": svg})})
    files = write_report([p], [], tmp_path, title=TITLE, pdf=False)
    standalone = (tmp_path / "personas" / f"{p.id}.svg").read_text()
    assert ET.fromstring(standalone).tag == f"{{{SVG_NS}}}svg"
    html = files.html.read_text("utf-8")
    root, errors = parse(html)
    assert errors == [] and "rdf:" not in html and "rdf:" not in standalone
    avatar = next(n for n in by_id(root, f"persona-{p.id}").walk() if "avatar" in n.classes())
    assert {"svg", "path"} <= {n.tag for n in avatar.walk()}


def test_rewriting_removes_files_of_personas_no_longer_there(tmp_path: Path):
    write_report(sample_personas(), sample_sections(with_altair=False), tmp_path, title=TITLE,
                 pdf=False)  # fmt: skip
    files = write_report([priya()], [], tmp_path, title=TITLE, pdf=False)
    left = sorted(f.name for f in (tmp_path / "personas").iterdir())
    assert left == [f"{priya().id}.json", f"{priya().id}.svg"]
    assert not list((tmp_path / "charts").iterdir())
    assert [d["id"] for d in json.loads(files.json.read_text())] == [priya().id]
    assert marco().id not in files.html.read_text()


def test_a_sparse_persona_and_an_empty_report_still_render(tmp_path: Path):
    """Only the required fields, no stability, no CLV, an id that is not file-safe."""
    ev = [Evidence(kind="records", source="segments", n=40)]
    p = Persona(
        id="person primary/7",
        segment=7,
        segment_name="Tiny",
        role="primary",
        entity="person",
        name="Alex",
        title=Claim(text="Alex, the Quiet One", evidence=ev),
        epithet="the Quiet One",
        naming=sarah().naming.model_copy(update={"gender": "unknown", "basis": ev}),
        bio=[Claim(text="Alex buys twice a year.", evidence=ev)],
        size={
            "customers": 40,
            "share": 0.01,
            "revenue_share": 0.004,
            "mean_clv": None,
            "currency": "GBP",
            "evidence": ev,
        },
        quality={
            "coverage": 0.2,
            "distinctiveness": 0.1,
            "stability": None,
            "prevalence": 0.5,
            "evidence": ev,
        },
        data_version="x",
    )
    files = write_report([p], [], tmp_path / "one", title=TITLE)
    root, errors = parse(files.html.read_text("utf-8"))
    assert errors == []
    card = by_id(root, "persona-person-primary-7")
    assert "Alex buys twice a year." in card.text() and "–" in card.text()
    assert [f.name for f in files.pdfs] == ["person-primary-7.pdf"]
    assert pdf_page_count(files.pdfs[0].read_bytes()) == 1
    assert (tmp_path / "one" / "personas" / "person-primary-7.json").is_file()

    empty = write_report([], [], tmp_path / "none", title=TITLE)
    root, errors = parse(empty.html.read_text("utf-8"))
    assert errors == [] and "No personas have been built yet." in root.text()
    assert json.loads(empty.json.read_text()) == [] and empty.pdfs == []
