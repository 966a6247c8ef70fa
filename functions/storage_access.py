"""Storage Access Headers: let the Cockpit tab inside Dynamics use the cockpit's own (first-party)
session without a click once the person has granted storage access for the pair (cockpit, Dynamics).

- A framed request carries ``Sec-Fetch-Storage-Access``: ``none`` (no grant), ``inactive`` (granted,
  but the unpartitioned cookies were not sent) or ``active`` (they were sent).
- ``inactive`` and no session: the answer (the embedded sign-in page) adds
  ``Activate-Storage-Access: retry; allowed-origin="<the Dynamics origin>"``; the browser activates
  the grant and sends the same request again, now with the session cookie — no click, no window.
- ``active`` with a session: the project page adds ``Activate-Storage-Access: load`` so the loaded
  document keeps access for its own requests, and copies the session into the partitioned cookie
  (as ``POST /auth/embed/session`` does after the Storage Access API).

Nothing crosses browser contexts: the browser sends the cookie only because the person granted
access for exactly this pair of sites in this browser (docs/architecture.md, "Identity").
https://developer.mozilla.org/docs/Web/HTTP/Reference/Headers/Sec-Fetch-Storage-Access and
…/Activate-Storage-Access; https://privacysandbox.google.com/cookies/storage-access-api
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import Request, Response

STATUS_HEADER = "sec-fetch-storage-access"
ACTIVATE_HEADER = "Activate-Storage-Access"


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def dynamics_origin(request: Request, frame_ancestors: Sequence[str]) -> str | None:
    """The Dynamics origin that frames this request: the one the browser names (Origin, else the
    Referer's origin) when it is a configured CRM origin, else the only configured one."""
    allowed = [a.rstrip("/") for a in frame_ancestors]
    for candidate in (request.headers.get("origin"), _origin(request.headers.get("referer"))):
        if candidate and candidate in allowed:
            return candidate
    return allowed[0] if len(allowed) == 1 else None


def ask_for_retry(request: Request, response: Response, frame_ancestors: Sequence[str]) -> None:
    """On the embedded sign-in answer: have the browser retry with the person's grant active."""
    if request.headers.get(STATUS_HEADER) != "inactive":
        return
    origin = dynamics_origin(request, frame_ancestors)
    if origin is not None:
        response.headers[ACTIVATE_HEADER] = f'retry; allowed-origin="{origin}"'


def storage_access_active(request: Request) -> bool:
    return request.headers.get(STATUS_HEADER) == "active"


def keep_access(response: Response) -> None:
    """On a framed page loaded with active storage access: keep it for the document."""
    response.headers[ACTIVATE_HEADER] = "load"
