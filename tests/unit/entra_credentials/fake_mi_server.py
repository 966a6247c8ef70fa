"""A fake of the App Service / Azure Functions managed-identity token service, for tests.

It speaks the protocol the platform exposes through ``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``
(Learn, "Managed identities for App Service and Azure Functions", REST endpoint reference:
https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference):

- ``GET {IDENTITY_ENDPOINT}?resource=<resource>&api-version=2019-08-01&client_id=<uami client id>``
  with the header ``X-IDENTITY-HEADER: <IDENTITY_HEADER>`` (an SSRF guard the platform rotates);
- ``200`` with JSON ``access_token``, ``expires_on`` (epoch seconds, as a string), ``resource``,
  ``token_type``, ``client_id``.
- Failures answer with ``{"statusCode": ..., "message": ...}``; the shape is what MSAL Python's
  ``_obtain_token_on_app_service`` reads (msal/managed_identity.py), and 400 is what the service
  answers for an identity that is not attached to the app (UNCONFIRMED status: the Learn page
  documents no error table; the body shape is MSAL's).

Test control (not part of the protocol): ``POST /_control`` with ``{"mode": "ok"|"fail",
"lifetime": seconds, "identity_header": str, "client_id": str}``, ``GET /_requests`` (every token
request seen), ``GET /_health``. Run: ``python -m tests.unit.entra_credentials.fake_mi_server
--port N``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN_PATH = "/msi/token"


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mode = "ok"
        self.lifetime = 3600
        self.identity_header = ""
        self.client_id = ""
        self.requests: list[dict[str, Any]] = []
        self.issued = 0


STATE = _State()


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeManagedIdentity/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output quiet

    def _send(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/_health":
            self._send(200, {"ok": True})
            return
        if parts.path == "/_requests":
            with STATE.lock:
                self._send(200, STATE.requests)
            return
        if parts.path != TOKEN_PATH:
            self._send(404, {"statusCode": 404, "message": "Not found"})
            return
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        with STATE.lock:
            STATE.requests.append(
                {
                    "query": query,
                    "identity_header": self.headers.get("X-IDENTITY-HEADER"),
                }
            )
            mode, lifetime = STATE.mode, STATE.lifetime
            expected_header, expected_client = STATE.identity_header, STATE.client_id
            STATE.issued += 1
            serial = STATE.issued
        if self.headers.get("X-IDENTITY-HEADER") != expected_header:
            self._send(401, {"statusCode": 401, "message": "Missing or invalid identity header"})
            return
        if query.get("api-version") != "2019-08-01" or not query.get("resource"):
            self._send(400, {"statusCode": 400, "message": "Bad request: resource/api-version"})
            return
        if mode == "fail" or query.get("client_id") != expected_client:
            self._send(
                400,
                {
                    "statusCode": 400,
                    "message": "Unable to load the proper Managed Identity.",
                    "correlationId": f"fake-{serial}",
                },
            )
            return
        self._send(
            200,
            {
                "access_token": f"fake-mi-assertion-{serial}",
                "expires_on": str(int(time.time()) + lifetime),
                "resource": query["resource"],
                "token_type": "Bearer",
                "client_id": query["client_id"],
            },
        )

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/_control":
            self._send(404, {"statusCode": 404, "message": "Not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        with STATE.lock:
            STATE.mode = body.get("mode", "ok")
            STATE.lifetime = int(body.get("lifetime", 3600))
            STATE.identity_header = body.get("identity_header", STATE.identity_header)
            STATE.client_id = body.get("client_id", STATE.client_id)
            STATE.requests.clear()
        self._send(200, {"ok": True})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
