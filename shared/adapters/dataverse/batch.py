"""Build ``$batch`` request bodies and parse ``$batch`` responses (Dataverse Web API).

Format: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
(MicrosoftDocs/powerapps-docs) and OData v4 §11.7 — ``multipart/mixed; boundary="batch_<id>"``, each
part ``Content-Type: application/http`` + ``Content-Transfer-Encoding: binary``, change sets as
nested ``multipart/mixed; boundary="changeset_<id>"`` parts (atomic; optional ``Content-ID``), at
most 1000 requests, closing ``--batch_<id>--``. Responses come back in request order; a failed
change set answers with a single error part.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "MAX_BATCH_REQUESTS",
    "BatchFormatError",
    "BatchOperation",
    "BatchResponsePart",
    "ChangeSet",
    "build_batch",
    "parse_batch_response",
]

MAX_BATCH_REQUESTS = 1000
CRLF = "\r\n"


class BatchFormatError(ValueError):
    """A batch body that cannot be built (too many requests) or parsed (malformed answer)."""


@dataclass(frozen=True)
class BatchOperation:
    """One request inside a batch. ``url`` is relative to the service root (``opportunities(…)``)
    or absolute."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_id: str | None = None


@dataclass(frozen=True)
class ChangeSet:
    """Operations that succeed or fail together (no GETs allowed)."""

    operations: tuple[BatchOperation, ...]


@dataclass(frozen=True)
class BatchResponsePart:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    content_id: str | None = None
    changeset_index: int | None = None  # position of the change set within the batch, if any


def _request_lines(operation: BatchOperation, service_path: str) -> list[str]:
    url = operation.url
    if not urlsplit(url).scheme and not url.startswith("/"):
        url = service_path + url
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if operation.content_id is not None:
        lines.append(f"Content-ID: {operation.content_id}")
    lines.append("")
    lines.append(f"{operation.method.upper()} {url} HTTP/1.1")
    lines.extend(f"{name}: {value}" for name, value in operation.headers.items())
    lines.append("")
    lines.append(operation.body.decode("utf-8") if operation.body else "")
    return lines


def build_batch(
    items: Sequence[BatchOperation | ChangeSet], *, service_root: str, boundary: str | None = None
) -> tuple[str, bytes]:
    """(``Content-Type`` header value, body) for a ``POST {service_root}$batch``."""
    count = sum(len(i.operations) if isinstance(i, ChangeSet) else 1 for i in items)
    if count == 0:
        raise BatchFormatError("a batch needs at least one request")
    if count > MAX_BATCH_REQUESTS:
        raise BatchFormatError(f"a batch holds at most {MAX_BATCH_REQUESTS} requests, got {count}")
    service_path = urlsplit(service_root).path
    if not service_path.endswith("/"):
        service_path += "/"
    batch_boundary = boundary or f"batch_{uuid.uuid4()}"
    lines: list[str] = []
    for item in items:
        lines.append(f"--{batch_boundary}")
        if isinstance(item, ChangeSet):
            if any(op.method.upper() == "GET" for op in item.operations):
                raise BatchFormatError("change sets cannot contain GET requests")
            changeset = f"changeset_{uuid.uuid4()}"
            lines.append(f'Content-Type: multipart/mixed; boundary="{changeset}"')
            lines.append("")
            for operation in item.operations:
                lines.append(f"--{changeset}")
                lines.extend(_request_lines(operation, service_path))
            lines.append(f"--{changeset}--")
            lines.append("")
        else:
            lines.extend(_request_lines(item, service_path))
    lines.append(f"--{batch_boundary}--")
    lines.append("")
    return f'multipart/mixed; boundary="{batch_boundary}"', CRLF.join(lines).encode("utf-8")


def _boundary(content_type: str) -> str:
    match = re.search(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', content_type, re.I)
    if match is None or not content_type.lower().lstrip().startswith("multipart/mixed"):
        raise BatchFormatError(f"not a multipart/mixed content type: {content_type!r}")
    return match[1] or match[2]


def _parts(text: str, boundary: str) -> list[str]:
    delimiter = f"--{boundary}"
    parts: list[str] = []
    current: list[str] | None = None
    for line in text.split("\n"):
        marker = line.rstrip()
        if marker == delimiter or marker == f"{delimiter}--":
            if current is not None:
                part = "\n".join(current)
                parts.append(part[:-1] if part.endswith("\n") else part)
            if marker == f"{delimiter}--":
                return parts
            current = []
            continue
        if current is not None:
            current.append(line)
    raise BatchFormatError(f"missing closing delimiter {delimiter}--")


def _split_head(text: str) -> tuple[dict[str, str], str]:
    head, _, body = text.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers, body


def _response(part: str, changeset_index: int | None) -> BatchResponsePart:
    mime, content = _split_head(part)
    content = content.lstrip("\n")
    status_line, _, rest = content.partition("\n")
    match = re.match(r"HTTP/\d\.\d\s+(\d{3})", status_line)
    if match is None:
        raise BatchFormatError(f"malformed status line in batch response: {status_line!r}")
    headers, body = _split_head(rest)
    return BatchResponsePart(
        status=int(match[1]),
        headers=headers,
        body=body.strip("\n").encode("utf-8"),
        content_id=mime.get("content-id"),
        changeset_index=changeset_index,
    )


def parse_batch_response(content_type: str, body: bytes) -> list[BatchResponsePart]:
    """Every response part in order; change-set responses are flattened (``changeset_index`` set)."""
    text = body.decode("utf-8").replace("\r\n", "\n")
    results: list[BatchResponsePart] = []
    for index, part in enumerate(_parts(text, _boundary(content_type))):
        mime, content = _split_head(part)
        kind = mime.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            for inner in _parts(content, _boundary(kind)):
                results.append(_response(inner, index))
        else:
            results.append(_response(part, None))
    return results
