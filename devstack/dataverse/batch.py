"""``$batch`` bodies: parse ``multipart/mixed`` requests (with change sets) and build the response.

Format per execute-batch-operations-using-web-api.md (MicrosoftDocs/powerapps-docs
developer/data-platform/webapi/) and OData v4 §11.7: each part has ``Content-Type: application/http``
and ``Content-Transfer-Encoding: binary``; a change set is a nested ``multipart/mixed`` part whose
items may carry ``Content-ID``; at most 1000 requests; GET is not allowed inside a change set; the
response uses ``--batchresponse_<id>`` parts in request order, with ``changesetresponse_<id>`` for
change sets. The simulator's parser is written independently of the gateway's builder so that one
cannot hide the other's mistakes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus

from devstack.dataverse.errors import bad_request

MAX_REQUESTS = 1000


@dataclass
class SubRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    content_id: str | None = None


@dataclass
class ChangeSet:
    requests: list[SubRequest] = field(default_factory=list)


@dataclass
class SubResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None
    content_id: str | None = None


BatchItem = SubRequest | ChangeSet


def boundary_of(content_type: str) -> str:
    match = re.search(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', content_type, re.I)
    if not content_type.lower().startswith("multipart/mixed") or match is None:
        raise bad_request(
            "The batch request must have Content-Type multipart/mixed with a boundary."
        )
    return match[1] or match[2]


def _split_parts(text: str, boundary: str) -> list[str]:
    delimiter = f"--{boundary}"
    parts: list[str] = []
    current: list[str] | None = None
    closed = False
    for line in text.split("\n"):
        marker = line.rstrip()
        if marker == delimiter:
            if current is not None:
                parts.append("\n".join(current))
            current = []
            continue
        if marker == f"{delimiter}--":
            if current is not None:
                parts.append("\n".join(current))
            closed = True
            break
        if current is not None:
            current.append(line)
    if not closed:
        raise bad_request(f"The batch body is missing the closing delimiter '--{boundary}--'.")
    # The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    return [part[:-1] if part.endswith("\n") else part for part in parts]


def _headers_and_body(text: str) -> tuple[dict[str, str], str]:
    head, sep, body = text.partition("\n\n")
    if not sep:
        head, body = text, ""
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise bad_request(f"Malformed header line in batch part: '{line}'.")
        headers[name.strip().lower()] = value.strip()
    return headers, body


def _parse_http(part_headers: dict[str, str], text: str) -> SubRequest:
    if part_headers.get("content-type", "").split(";")[0].strip().lower() != "application/http":
        raise bad_request("Each batch part must have Content-Type application/http.")
    text = text.lstrip("\n")
    request_line, _, rest = text.partition("\n")
    pieces = request_line.split()
    if len(pieces) < 2:
        raise bad_request(f"Malformed request line in batch part: '{request_line}'.")
    headers, body = _headers_and_body(rest)
    return SubRequest(
        method=pieces[0].upper(),
        url=pieces[1],
        headers=headers,
        body=body.strip("\n").encode(),
        content_id=part_headers.get("content-id"),
    )


def parse_batch(content_type: str, body: bytes) -> list[BatchItem]:
    """The batch's items in order; raises a 400 ``DataverseError`` when malformed."""
    try:
        text = body.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise bad_request("The batch body is not UTF-8 text.") from exc
    items: list[BatchItem] = []
    count = 0
    for raw in _split_parts(text, boundary_of(content_type)):
        headers, content = _headers_and_body(raw)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            changeset = ChangeSet()
            for inner in _split_parts(content, boundary_of(kind)):
                inner_headers, inner_content = _headers_and_body(inner)
                request = _parse_http(inner_headers, inner_content)
                if request.method == "GET":
                    raise bad_request("GET requests are not allowed inside a change set.")
                changeset.requests.append(request)
            count += len(changeset.requests)
            items.append(changeset)
        else:
            items.append(_parse_http(headers, content))
            count += 1
    if count > MAX_REQUESTS:
        raise bad_request(f"The batch contains {count} requests; the maximum is {MAX_REQUESTS}.")
    return items


def _render_response(response: SubResponse) -> list[str]:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if response.content_id is not None:
        lines.append(f"Content-ID: {response.content_id}")
    lines.append("")
    reason = HTTPStatus(response.status).phrase
    lines.append(f"HTTP/1.1 {response.status} {reason}")
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    lines.append("")
    lines.append(response.body.decode() if response.body else "")
    return lines


def build_batch_response(items: list[SubResponse | list[SubResponse]]) -> tuple[str, bytes]:
    """(Content-Type, body) of the batch response."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    lines: list[str] = []
    for item in items:
        lines.append(f"--{boundary}")
        if isinstance(item, list):
            inner = f"changesetresponse_{uuid.uuid4()}"
            lines.append(f"Content-Type: multipart/mixed; boundary={inner}")
            lines.append("")
            for response in item:
                lines.append(f"--{inner}")
                lines.extend(_render_response(response))
            lines.append(f"--{inner}--")
        else:
            lines.extend(_render_response(item))
    lines.append(f"--{boundary}--")
    lines.append("")
    return f"multipart/mixed; boundary={boundary}", "\r\n".join(lines).encode()
