"""Checks of a built package beyond the schemas: the zip layout and ``[Content_Types].xml`` as
Dataverse exports them, and every id, prefix, name and reference agreeing across
``solution.xml``, ``customizations.xml``, the web resources and the environment variable.

Each check reads only the zip (a black box), so it judges what an admin would import.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from crm.solution.manifest import CONTENT_TYPES_NS, OCTET_STREAM

GUID = re.compile(r"^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$")
ROOT_FILES = ("[Content_Types].xml", "solution.xml", "customizations.xml")
VARIABLE_FILE = re.compile(
    r"^environmentvariabledefinitions/([^/]+)/environmentvariabledefinition\.xml$"
)
LANGUAGES = {"1033", "1031"}


@dataclass(frozen=True)
class Package:
    """The parsed parts of one solution zip."""

    names: list[str]
    files: dict[str, bytes]
    manifest: ET.Element
    customizations: ET.Element

    @classmethod
    def open(cls, path: Path) -> Package:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            files = {name: archive.read(name) for name in names}
        return cls(
            names=names,
            files=files,
            manifest=ET.fromstring(files["solution.xml"]),
            customizations=ET.fromstring(files["customizations.xml"]),
        )

    def text(self, path: str) -> str:
        return (self.manifest.findtext(path) or "").strip()

    @property
    def prefix(self) -> str:
        return self.text("./SolutionManifest/Publisher/CustomizationPrefix")

    @property
    def version(self) -> str:
        return self.text("./SolutionManifest/Version")

    def roots(self, kind: str) -> list[str]:
        found = self.manifest.iterfind(
            f"./SolutionManifest/RootComponents/RootComponent[@type='{kind}']"
        )
        return [r.get("schemaName") or r.get("id") or "" for r in found]


def layout_problems(package: Package) -> Iterator[str]:
    """Root files present, only known folders, no directory entries or odd paths."""
    for name in ROOT_FILES:
        if name not in package.names:
            yield f"zip: {name} is missing"
    if package.names[:1] != ["[Content_Types].xml"]:
        yield "zip: [Content_Types].xml must be the first entry"
    duplicates = [n for n, c in Counter(package.names).items() if c > 1]
    if duplicates:
        yield f"zip: duplicate entries {duplicates}"
    for name in package.names:
        path = PurePosixPath(name)
        if name.endswith("/") or "\\" in name or path.is_absolute() or ".." in path.parts:
            yield f"zip: entry {name!r} is not a plain relative file path"
        elif name not in ROOT_FILES and not (
            name.startswith("WebResources/") or VARIABLE_FILE.match(name)
        ):
            yield f"zip: unexpected entry {name!r}"


def content_type_problems(package: Package) -> Iterator[str]:
    """Every part is covered by a Default (by extension) or an Override (by name), and nothing
    names a part that is not there."""
    root = ET.fromstring(package.files["[Content_Types].xml"])
    ns = f"{{{CONTENT_TYPES_NS}}}"
    if root.tag != f"{ns}Types":
        yield "[Content_Types].xml: root must be Types in the package content-types namespace"
    defaults = {d.get("Extension", "").lower() for d in root.iter(f"{ns}Default")}
    overrides = {o.get("PartName", "") for o in root.iter(f"{ns}Override")}
    for node in [*root.iter(f"{ns}Default"), *root.iter(f"{ns}Override")]:
        if node.get("ContentType") != OCTET_STREAM:
            yield f"[Content_Types].xml: {node.attrib} is not {OCTET_STREAM}"
    for name in package.names:
        if name == "[Content_Types].xml":
            continue
        suffix = PurePosixPath(name).suffix.lstrip(".").lower()
        if f"/{name}" not in overrides and suffix not in defaults:
            yield f"[Content_Types].xml: no content type for {name}"
    for part in overrides:
        if part.lstrip("/") not in package.names:
            yield f"[Content_Types].xml: override for missing part {part}"


def web_resource_problems(package: Package, *, sources: dict[str, Path]) -> Iterator[str]:
    """Each web resource: prefixed name, a root component, a file in the zip equal to its
    source (``sources``: web resource name → file)."""
    declared = {}
    for resource in package.customizations.iterfind("./WebResources/WebResource"):
        name = resource.findtext("Name", "")
        declared[name] = resource.findtext("FileName", "").lstrip("/")
        if not name.startswith(f"{package.prefix}_"):
            yield f"web resource {name!r} lacks the publisher prefix {package.prefix}_"
        if not GUID.match(resource.findtext("WebResourceId", "")):
            yield f"web resource {name!r}: WebResourceId is not a braced lower-case GUID"
    if set(declared) != set(package.roots("61")):
        yield f"web resources {sorted(declared)} != root components {sorted(package.roots('61'))}"
    if set(declared) != set(sources):
        yield f"web resources {sorted(declared)} != sources {sorted(sources)}"
    files = {n for n in package.names if n.startswith("WebResources/")}
    if files != set(declared.values()):
        yield f"WebResources/ holds {sorted(files)}, customizations.xml names {sorted(declared.values())}"
    for name, file_name in declared.items():
        source = sources.get(name)
        if source is not None and package.files.get(file_name) != source.read_bytes():
            yield f"web resource {name!r} differs from its source {source.name}"


def variable_problems(package: Package) -> Iterator[str]:
    """Folder name = schemaname = root component; prefixed; required; no value shipped."""
    folders = {m.group(1): n for n in package.names if (m := VARIABLE_FILE.match(n))}
    if set(folders) != set(package.roots("380")):
        yield f"environment variables {sorted(folders)} != root components {package.roots('380')}"
    for folder, file_name in folders.items():
        definition = ET.fromstring(package.files[file_name])
        if definition.get("schemaname") != folder:
            yield f"environment variable folder {folder!r} holds schemaname {definition.get('schemaname')!r}"
        if not folder.startswith(f"{package.prefix}_"):
            yield f"environment variable {folder!r} lacks the publisher prefix"
        if definition.findtext("introducedversion") != package.version:
            yield f"environment variable {folder!r}: introducedversion is not {package.version}"
        labels = {lab.get("languagecode", "") for lab in definition.iterfind("./displayname/label")}
        if labels != LANGUAGES:
            yield f"environment variable {folder!r}: display name languages {sorted(labels)}"
    if any("environmentvariablevalues" in n for n in package.names):
        yield "a value for the environment variable is shipped; values are set per environment"


def id_problems(package: Package) -> Iterator[str]:
    """Every GUID well-formed and used once; every IntroducedVersion the solution version."""
    custom = package.customizations
    ids = [
        *(n.get("id", "") for n in custom.iter() if n.tag in ("tab", "section", "cell", "Role")),
        *(n.get("libraryUniqueId", "") for n in custom.iter("Library")),
        *(n.get("handlerUniqueId", "") for n in custom.iter("Handler")),
        *(n.text or "" for n in custom.iter("WebResourceId")),
    ]
    for value in ids:
        if not GUID.match(value):
            yield f"id {value!r} is not a braced lower-case GUID"
    for value, count in Counter(ids).items():
        if count > 1:
            yield f"id {value} is used {count} times"
    for node in custom.iter("IntroducedVersion"):
        if (node.text or "") != package.version:
            yield f"IntroducedVersion {node.text} != solution version {package.version}"


def language_problems(package: Package) -> Iterator[str]:
    """Every label set carries English and German, and the package declares both."""
    declared = {n.text for n in package.customizations.iterfind("./Languages/Language")}
    if declared != LANGUAGES:
        yield f"Languages {sorted(str(d) for d in declared)} != {sorted(LANGUAGES)}"
    containers = ("labels", "displaynames", "Descriptions", "LocalizedNames", "Titles")
    # The patched form keeps its owner's (Sales') name: importing our own translation of it
    # would overwrite theirs ("Form ALM recommendations": don't re-import existing labels).
    foreign = set(package.customizations.iterfind(".//systemform/LocalizedNames"))
    for root in (package.customizations, package.manifest):
        for node in root.iter():
            if node.tag in containers and len(node) and node not in foreign:
                codes = {child.get("languagecode") for child in node}
                if codes != LANGUAGES:
                    yield f"<{node.tag}> has languages {sorted(str(c) for c in codes)}"


def _webresource_names(package: Package) -> set[str]:
    return {
        r.findtext("Name", "")
        for r in package.customizations.iterfind("./WebResources/WebResource")
    }


def form_problems(package: Package) -> Iterator[str]:
    """The form's library, handler, column and IFRAME agree with the rest of the package."""
    resources = _webresource_names(package)
    columns = {
        a.findtext("LogicalName", "")
        for a in package.customizations.iterfind(".//EntityInfo/entity/attributes/attribute")
    }
    for form in package.customizations.iterfind(".//FormXml/forms/systemform/form"):
        libraries = {lib.get("name", "") for lib in form.iterfind("./formLibraries/Library")}
        for library in libraries - resources:
            yield f"form library {library!r} is not a web resource of the package"
        for handler in form.iter("Handler"):
            if handler.get("libraryName") not in libraries:
                yield f"handler {handler.get('functionName')} uses a library not on the form"
        for tab in form.iterfind("./tabs/tab"):
            if not tab.get("name", "").startswith(f"{package.prefix}_"):
                yield f"tab {tab.get('name')!r} lacks the publisher prefix"
        for control in form.iter("control"):
            field = control.get("datafieldname")
            if field is not None and field not in columns:
                yield f"form control {control.get('id')!r} shows {field!r}, not a column of the package"
        frames = [c for c in form.iter("control") if c.findtext("./parameters/PassParameters")]
        for frame in frames:
            if frame.findtext("./parameters/PassParameters") != "true":
                yield f"IFRAME {frame.get('id')} does not pass record id and type"
            if frame.findtext("./parameters/Security") != "false":
                yield f"IFRAME {frame.get('id')} restricts cross-frame scripting"


def ribbon_problems(package: Package) -> Iterator[str]:
    """Buttons → commands → rules and labels, libraries → web resources, ids prefixed."""
    resources = _webresource_names(package)
    for ribbon in package.customizations.iterfind(".//Entity/RibbonDiffXml"):
        commands = {c.get("Id") for c in ribbon.iterfind("./CommandDefinitions/CommandDefinition")}
        rules = {r.get("Id") for r in ribbon.iterfind("./RuleDefinitions/EnableRules/EnableRule")}
        labels = {label.get("Id") for label in ribbon.iterfind("./LocLabels/LocLabel")}
        for node in ribbon.iter():
            ident = node.get("Id")
            if (
                ident
                and node.tag != "RibbonTemplates"
                and not ident.startswith(f"{package.prefix}.")
            ):
                yield f"ribbon id {ident!r} lacks the publisher prefix"
        for button in ribbon.iter("Button"):
            if button.get("Command") not in commands:
                yield f"button {button.get('Id')} runs an undefined command"
            for attr in ("LabelText", "ToolTipTitle", "ToolTipDescription", "Alt"):
                value = button.get(attr, "")
                if value.startswith("$LocLabels:") and value.split(":", 1)[1] not in labels:
                    yield f"button {button.get('Id')} {attr} names a missing LocLabel"
        for rule in ribbon.iterfind(
            "./CommandDefinitions/CommandDefinition/EnableRules/EnableRule"
        ):
            if rule.get("Id") not in rules:
                yield f"command uses undefined enable rule {rule.get('Id')}"
        for function in [*ribbon.iter("JavaScriptFunction"), *ribbon.iter("CustomRule")]:
            library = function.get("Library", "").removeprefix("$webresource:")
            if library not in resources:
                yield f"command library {library!r} is not a web resource of the package"


def manifest_problems(package: Package) -> Iterator[str]:
    """Root components match what customizations.xml carries; names carry the prefix."""
    custom = package.customizations
    entity_names = {
        (e.findtext("Name") or "").lower() for e in custom.iterfind("./Entities/Entity")
    }
    if entity_names != set(package.roots("1")):
        yield f"entities {sorted(entity_names)} != root components {package.roots('1')}"
    roles = {r.get("id") for r in custom.iterfind("./Roles/Role")}
    if roles != set(package.roots("20")):
        yield f"roles {sorted(str(r) for r in roles)} != root components {package.roots('20')}"
    for attribute in custom.iterfind(".//EntityInfo/entity/attributes/attribute"):
        name = attribute.get("PhysicalName", "")
        if attribute.findtext("IsCustomField") == "1" and not name.startswith(f"{package.prefix}_"):
            yield f"column {name!r} lacks the publisher prefix"
        if attribute.findtext("LogicalName") != name.lower():
            yield f"column {name!r}: LogicalName is not its lower-cased schema name"
    if not re.fullmatch(r"[a-z][a-z0-9]{1,7}", package.prefix):
        yield f"publisher prefix {package.prefix!r} is not 2-8 letters/digits starting with a letter"


def package_problems(path: Path, *, sources: dict[str, Path]) -> list[str]:
    """Everything wrong with the zip at ``path`` (empty when it is consistent)."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    missing = [f"zip: {name} is missing" for name in ROOT_FILES if name not in names]
    if missing:
        return missing  # nothing else can be judged without the three root files
    package = Package.open(path)
    checks = (
        layout_problems(package),
        content_type_problems(package),
        web_resource_problems(package, sources=sources),
        variable_problems(package),
        id_problems(package),
        language_problems(package),
        form_problems(package),
        ribbon_problems(package),
        manifest_problems(package),
    )
    return [problem for check in checks for problem in check]


def managed_difference(managed: Path, unmanaged: Path) -> list[str]:
    """What differs between the two packages; only solution.xml's ``Managed`` may."""
    first, second = Package.open(managed), Package.open(unmanaged)
    problems = []
    if first.names != second.names:
        problems.append(f"entries differ: {first.names} vs {second.names}")
    for name in set(first.names) & set(second.names):
        if name != "solution.xml" and first.files[name] != second.files[name]:
            problems.append(f"{name} differs")
    flags = (first.text("./SolutionManifest/Managed"), second.text("./SolutionManifest/Managed"))
    if flags != ("1", "0"):
        problems.append(f"Managed flags are {flags}, expected ('1', '0')")
    for package in (first, second):
        package.manifest.find("./SolutionManifest/Managed").text = "x"  # type: ignore[union-attr]
    if ET.tostring(first.manifest) != ET.tostring(second.manifest):
        problems.append("solution.xml differs in more than <Managed>")
    return problems
