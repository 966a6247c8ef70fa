"""Command line: ``python -m devstack.entra --seed ... --https-port ... --http-port ...``.

Example::

    python -m devstack.entra --seed devstack/seed/demo.json --host localhost \\
        --https-port 7443 --http-port 7440 --tls-cert server.pem --tls-key server.key \\
        --resource dataverse=https://localhost:7444
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from devstack.entra.app import build_apps
from devstack.entra.credentials import Certificate, load_credentials
from devstack.entra.keys import KeyRing
from devstack.entra.seed import SeedError, load_directory
from devstack.entra.server import ServerOptions, serve
from devstack.entra.state import Simulator, Urls


def _resource(value: str) -> tuple[str, str]:
    key, sep, url = value.partition("=")
    parts = urlsplit(url)
    if not sep or not key or parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"expected KEY=URL with an absolute http(s) URL, e.g. dataverse=https://localhost:7444; "
            f"got {value!r}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"the resource URL must be an origin only; got {url!r}")
    # The token audience is the org URL exactly, without a trailing slash.
    return key, url.rstrip("/")


def _app_certificate(value: str) -> tuple[str, Path]:
    client_id, sep, path = value.partition("=")
    if not sep or not Path(path).is_file():
        raise argparse.ArgumentTypeError(
            f"expected CLIENT_ID=PEM_FILE (an existing file); got {value!r}"
        )
    return client_id.lower(), Path(path)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from exc
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {port}")
    return port


def _existing_file(value: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    return path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.entra",
        description="Entra ID (Microsoft identity platform v2) simulator for local development "
        "and tests. See devstack/entra/README.md.",
    )
    parser.add_argument("--seed", type=_existing_file, required=True, help="seed JSON file")
    parser.add_argument(
        "--host", default="localhost", help="host name used in every URL (default: localhost)"
    )
    parser.add_argument(
        "--bind", default="127.0.0.1", help="address both servers listen on (default: 127.0.0.1)"
    )
    parser.add_argument("--https-port", type=_port, required=True, help="port for MSAL (https)")
    parser.add_argument("--http-port", type=_port, required=True, help="port for sign-in pages")
    parser.add_argument("--tls-cert", type=_existing_file, required=True, help="PEM chain")
    parser.add_argument("--tls-key", type=_existing_file, required=True, help="PEM private key")
    parser.add_argument(
        "--app-certificate",
        type=_app_certificate,
        action="append",
        default=[],
        metavar="CLIENT_ID=PEM_FILE",
        help="upload a public certificate to an app registration (certificate credentials)",
    )
    parser.add_argument(
        "--identity-header",
        help="turn on the managed-identity endpoint (/msi/token) with this X-IDENTITY-HEADER secret",
    )
    parser.add_argument(
        "--resource",
        type=_resource,
        action="append",
        default=[],
        metavar="KEY=URL",
        help="bind a seed resource key to its URL (the token audience); may repeat",
    )
    args = parser.parse_args(argv)
    if args.https_port == args.http_port:
        parser.error("--https-port and --http-port must differ")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Start the simulator; returns the process exit status."""
    args = parse_args(argv)
    resources: dict[str, list[str]] = {}
    for key, url in args.resource:
        resources.setdefault(key, []).append(url)
    try:
        directory = load_directory(args.seed, resource_urls=resources)
        raw = json.loads(args.seed.read_text(encoding="utf-8"))
        credentials = load_credentials(raw, set(directory.tenants))
        for client_id, pem in args.app_certificate:
            if directory.app(client_id) is None:
                raise SeedError(f"--app-certificate names unknown app {client_id}")
            credentials.add_certificate(client_id, Certificate.from_pem(pem.read_bytes()))
    except SeedError as exc:
        print(f"entra simulator: invalid seed: {exc}", file=sys.stderr)
        return 2
    urls = Urls(host=args.host, https_port=args.https_port, http_port=args.http_port)
    sim = Simulator(
        directory=directory,
        urls=urls,
        keys=KeyRing(),
        credentials=credentials,
        identity_header=args.identity_header,
    )
    https_app, http_app = build_apps(sim)
    unbound = sorted(key for key, res in directory.resources.items() if res.url is None)
    print(
        f"Entra ID simulator: authority {urls.https_base}/<tenant id>, sign-in pages on "
        f"{urls.http_base}",
        flush=True,
    )
    for tenant in directory.tenants.values():
        print(f"  tenant {tenant.name}: {urls.https_base}/{tenant.id}", flush=True)
    for key, bound in sorted(resources.items()):
        print(f"  resource {key}: {', '.join(bound)}", flush=True)
    if unbound:
        print(
            f"  (seed resources without --resource, not available: {', '.join(unbound)})",
            flush=True,
        )
    options = ServerOptions(
        bind=args.bind,
        https_port=args.https_port,
        http_port=args.http_port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
    )
    started = asyncio.run(serve(https_app, http_app, options))
    if not started:
        print("entra simulator: a server could not start (is the port in use?)", file=sys.stderr)
        return 1
    print("Entra ID simulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
