"""Helpers for the demo CRM page tests: how the stack starts the page, and a small HTML reader."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from devstack.children import crm_demo_process
from devstack.process import ManagedProcess

REPO_ROOT = Path(__file__).resolve().parents[3]


def demo_process(
    *,
    port: int,
    dataverse_url: str,
    ca_file: Path,
    cockpit_url: str,
    log_path: Path,
    org_lcid: int = 1033,
    from_solution: bool = False,
) -> ManagedProcess:
    """The demo page exactly as the stack runner starts it."""
    return crm_demo_process(
        port=port,
        dataverse_url=dataverse_url,
        ca_file=ca_file,
        cockpit_url=cockpit_url,
        log_path=log_path,
        org_lcid=org_lcid,
        from_solution=from_solution,
    )


class Element:
    """One parsed start tag: its name, attributes and the text directly inside it."""

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = ""


class PageParser(HTMLParser):
    """Collects every element with its attributes; text goes to the innermost open element."""

    _VOID = {"input", "meta", "link", "br", "img", "hr", "source", "area", "base", "col", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: (v if v is not None else "") for k, v in attrs})
        self.elements.append(element)
        if tag not in self._VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].text += data


class Page:
    def __init__(self, html: str) -> None:
        parser = PageParser()
        parser.feed(html)
        self.elements = parser.elements

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one #{element_id}, found {len(found)}"
        return found[0]

    def all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def parse(html: str) -> Page:
    return Page(html)
