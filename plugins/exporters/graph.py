"""The partner network as a file: GraphML for Gephi and yEd, JSON (nodes and links, as
d3 and networkx's ``node_link_graph`` read them) for other programs.

A node is a partner (an organisation, never a person): its name, kind and
zones. An edge is a tie: its weight (shared pacts plus shared activities)
and both parts. Built with :mod:`xml.etree.ElementTree`, which escapes
every text; control characters, which XML cannot hold at all, are cleaned
out first.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from patti.core.exporters import ExportContext, Exporter
from patti.core.model import PartnerKind
from patti.core.network import PartnerNetwork
from patti.core.text import clean_text

from .data import FORMAT_VERSION, json_bytes
from .tables import enum_label

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"

#: (id, for, attr.name, attr.type); "label" is the name again, the attribute Gephi shows.
KEYS = (
    ("label", "node", "label", "string"),
    ("name", "node", "name", "string"),
    ("kind", "node", "kind", "string"),
    ("kind_label", "node", "kind_label", "string"),
    ("zones", "node", "zones", "string"),
    ("weight", "edge", "weight", "int"),
    ("pacts", "edge", "pacts", "int"),
    ("activities", "edge", "activities", "int"),
    ("year", "graph", "year", "string"),
)


def _zone_names(context: ExportContext, keys: tuple[str, ...]) -> list[str]:
    reference = context.plugins.reference_data() if context.plugins is not None else None
    return [reference.zone_label(k) if reference is not None else k for k in keys]


def _sorted_ids(network: PartnerNetwork) -> list[int]:
    return sorted(network.partners, key=lambda pid: (network.partners[pid].name.casefold(), pid))


def render_graphml(context: ExportContext) -> bytes:
    """The network as a GraphML document (undirected, weighted)."""
    network = context.network
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    for key_id, target, name, kind in KEYS:
        ET.SubElement(
            root,
            f"{{{GRAPHML_NS}}}key",
            {"id": key_id, "for": target, "attr.name": name, "attr.type": kind},
        )
    year = str(context.year) if context.year is not None else "all"
    graph = ET.SubElement(
        root, f"{{{GRAPHML_NS}}}graph", {"id": f"partners-{year}", "edgedefault": "undirected"}
    )
    ET.SubElement(graph, f"{{{GRAPHML_NS}}}data", {"key": "year"}).text = year

    def data(parent: ET.Element, key: str, value: object) -> None:
        ET.SubElement(parent, f"{{{GRAPHML_NS}}}data", {"key": key}).text = clean_text(str(value))

    for pid in _sorted_ids(network):
        ref = network.partners[pid]
        node = ET.SubElement(graph, f"{{{GRAPHML_NS}}}node", {"id": f"p{pid}"})
        data(node, "label", ref.name)
        data(node, "name", ref.name)
        data(node, "kind", ref.kind)
        data(node, "kind_label", enum_label(context, PartnerKind, ref.kind))
        data(node, "zones", "; ".join(_zone_names(context, network.zones.get(pid, ()))))
    for number, tie in enumerate(network.ties(), start=1):
        edge = ET.SubElement(
            graph,
            f"{{{GRAPHML_NS}}}edge",
            {"id": f"e{number}", "source": f"p{tie.a.id}", "target": f"p{tie.b.id}"},
        )
        data(edge, "weight", tie.weight)
        data(edge, "pacts", tie.pacts)
        data(edge, "activities", tie.activities)
    ET.indent(root)
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue() + b"\n"


def render_json(context: ExportContext) -> bytes:
    """The network as nodes and links, with its figures."""
    network = context.network
    nodes = [
        {
            "id": pid,
            "name": network.partners[pid].name,
            "kind": network.partners[pid].kind,
            "zones": list(network.zones.get(pid, ())),
        }
        for pid in _sorted_ids(network)
    ]
    links = [
        {
            "source": tie.a.id,
            "target": tie.b.id,
            "weight": tie.weight,
            "pacts": tie.pacts,
            "activities": tie.activities,
        }
        for tie in network.ties()
    ]
    return json_bytes(
        {
            "format": "patti-network",
            "format_version": FORMAT_VERSION,
            "year": context.year,
            "pseudonymised": context.pseudonymised,
            "created": context.created.isoformat(),
            "nodes": nodes,
            "links": links,
            "figures": context.network_figures.as_json(),
        }
    )


GRAPHML = Exporter(
    name="graphml",
    label_it="GraphML (per Gephi e yEd)",
    label_en="GraphML (for Gephi and yEd)",
    extension="graphml",
    binary=False,
    render=render_graphml,
    subject="network",
    media_type="application/graphml+xml",
)

NETWORK_JSON = Exporter(
    name="json",
    label_it="JSON (nodi e legami)",
    label_en="JSON (nodes and links)",
    extension="json",
    binary=False,
    render=render_json,
    subject="network",
    media_type="application/json",
)
