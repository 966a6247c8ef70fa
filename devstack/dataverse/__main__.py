"""Run the Dataverse simulator.

    python -m devstack.dataverse --seed devstack/seed/demo.json --port 7444 --host localhost \
        --tls-cert server.pem --tls-key server.key --org contoso=https://localhost:7444 \
        --entra-url https://localhost:7443 --ca-file ca.pem

https only; binds 127.0.0.1 (``--host`` is the name in the org URL). Ready when
``GET /_sim/health`` answers 200. SIGTERM stops it cleanly (uvicorn's graceful shutdown).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from devstack.dataverse.app import SimConfig, create_app


def _org(value: str) -> tuple[str, str]:
    name, sep, url = value.partition("=")
    if not sep or not name or not url.startswith("https://"):
        raise argparse.ArgumentTypeError(f"expected NAME=https://host:port, got {value!r}")
    return name, url.rstrip("/")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.dataverse",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seed", type=Path, required=True, help="seed JSON (devstack/seed/demo.json)"
    )
    parser.add_argument("--port", type=int, default=7444)
    parser.add_argument("--host", default="localhost", help="host name used in the default org URL")
    parser.add_argument(
        "--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--tls-cert", type=Path, required=True, help="server certificate chain (PEM)"
    )
    parser.add_argument("--tls-key", type=Path, required=True, help="server private key (PEM)")
    parser.add_argument(
        "--org",
        type=_org,
        action="append",
        default=[],
        help="NAME=URL of a seeded org (repeatable); default contoso=https://HOST:PORT",
    )
    parser.add_argument(
        "--entra-url", required=True, help="https base URL of the Entra ID simulator"
    )
    parser.add_argument(
        "--ca-file", type=Path, help="CA certificate that signed the Entra simulator's TLS cert"
    )
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.seed.is_file():
        print(f"seed file not found: {args.seed}", file=sys.stderr)
        return 2
    orgs = dict(args.org) or {"contoso": f"https://{args.host}:{args.port}"}
    config = SimConfig(
        seed_path=args.seed, orgs=orgs, entra_url=args.entra_url.rstrip("/"), ca_file=args.ca_file
    )
    try:
        app = create_app(config)
    except (ValueError, KeyError) as exc:
        print(f"cannot load the seed: {exc}", file=sys.stderr)
        return 2
    # uvicorn shuts down gracefully on SIGTERM and then re-raises the signal to the previous
    # handler; with this one the process ends with status 0 instead of "killed by SIGTERM".
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        app,
        host=args.bind,
        port=args.port,
        ssl_certfile=str(args.tls_cert),
        ssl_keyfile=str(args.tls_key),
        log_level=args.log_level,
        timeout_graceful_shutdown=3,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
