"""The one XML parser configuration of the readers: no entity expansion, no DTD, no network."""

from __future__ import annotations

from lxml import etree


def safe_parser(huge_tree: bool = False, remove_comments: bool = False) -> etree.XMLParser:
    """An lxml parser that expands no entity, loads no DTD and touches no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=huge_tree, remove_comments=remove_comments)
