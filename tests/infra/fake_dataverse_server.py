"""Serves tests/infra/fake_dataverse.FakeDataverse over HTTPS at ``/api/data/v9.2`` (a child process).

``GET /_state`` returns the roles and users (test inspection, not part of the Web API).
Run: ``python -m tests.infra.fake_dataverse_server --port N --cert chain.pem --key key.pem --token T``.
"""

from __future__ import annotations

import argparse
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.infra.fake_dataverse import FakeDataverse

PREFIX = "/api/data/v9.2"
LOCK = threading.Lock()
DATAVERSE: FakeDataverse | None = None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self, status: int, body: object) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("OData-Version", "4.0")
        if payload:
            self.send_header("Content-Type", "application/json; odata.metadata=minimal")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self, method: str) -> None:
        assert DATAVERSE is not None
        if self.path == "/_state":
            with LOCK:
                self._answer(
                    200,
                    {
                        "roles": DATAVERSE.roles,
                        "users": DATAVERSE.users,
                        "variable_values": DATAVERSE.variable_values,
                        "root_bu": DATAVERSE.root_bu,
                    },
                )
            return
        if not self.path.startswith(PREFIX):
            self._answer(404, {"error": {"code": "0x0", "message": "not found"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        with LOCK:
            status, answer = DATAVERSE.handle(
                method, self.path[len(PREFIX) :], body, dict(self.headers.items())
            )
        self._answer(status, answer)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")


def main() -> None:
    global DATAVERSE
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    DATAVERSE = FakeDataverse(org_url=f"https://127.0.0.1:{args.port}", token=args.token)
    # As after importing the solution, so the script can set the Cockpit URL.
    DATAVERSE.add_variable_definition("cockpit_CockpitUrl")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
