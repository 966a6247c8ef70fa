"""``python -m devstack.crm_demo``: serve the demo CRM page with uvicorn.

Example (what ``make run`` does)::

    python -m devstack.crm_demo --host 127.0.0.1 --port 7080 \\
        --dataverse-url https://localhost:7444 --ca-file .devstack/tls/ca.pem \\
        --cockpit-url http://localhost:7071 --org contoso --org-lcid 1033
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn

from devstack.crm_demo.app import DemoConfig, create_app
from devstack.crm_demo.dynamics import check_cockpit_url

_ORG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_LOGICAL_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,127}$")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.crm_demo",
        description="A Dynamics 365-like opportunity page that hosts the cockpit (local demo).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7080, help="port (default 7080)")
    parser.add_argument(
        "--dataverse-url",
        required=True,
        help="base URL of the Dataverse simulator, e.g. https://localhost:7444",
    )
    parser.add_argument(
        "--ca-file", type=Path, help="CA certificate that signed the simulator's TLS certificate"
    )
    parser.add_argument(
        "--cockpit-url",
        required=True,
        help="cockpit base URL: https://..., or http://localhost:PORT for development",
    )
    parser.add_argument("--org", default="contoso", help="org unique name (default contoso)")
    parser.add_argument(
        "--org-lcid", type=int, default=1033, help="org base language LCID (default 1033)"
    )
    parser.add_argument(
        "--target-field",
        help="an extra numeric opportunity column to show on the Summary tab "
        "(e.g. the cockpit's write-back target when it is not closeprobability)",
    )
    parser.add_argument(
        "--from-solution",
        action="store_true",
        help="show the Open Cockpit command, the Cockpit tab and custom columns only from "
        "solutions imported into the Dataverse simulator (their web resources and cockpit URL)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> tuple[DemoConfig, argparse.Namespace]:
    """Parse and check the command line; bad values exit with status 2 and a clear message."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        cockpit_url = check_cockpit_url(args.cockpit_url)
    except ValueError as exc:
        parser.error(f"--cockpit-url {exc}")
    dataverse = urlsplit(args.dataverse_url)
    if dataverse.scheme not in ("http", "https") or not dataverse.netloc:
        parser.error(f"--dataverse-url {args.dataverse_url!r} is not an http(s) URL")
    if args.ca_file is not None and not args.ca_file.is_file():
        parser.error(f"--ca-file {args.ca_file} does not exist")
    if not _ORG_NAME.match(args.org):
        parser.error(f"--org {args.org!r} is not an org unique name (letters, digits, _ and -)")
    if not 0 < args.org_lcid < 100000:
        parser.error(f"--org-lcid {args.org_lcid} is not a language id such as 1033")
    if args.target_field is not None and not _LOGICAL_NAME.match(args.target_field):
        parser.error(f"--target-field {args.target_field!r} is not a column logical name")
    if not 0 < args.port < 65536:
        parser.error(f"--port {args.port} is not a port number")
    config = DemoConfig(
        dataverse_url=args.dataverse_url.rstrip("/"),
        ca_file=args.ca_file,
        cockpit_url=cockpit_url,
        org_name=args.org,
        org_lcid=args.org_lcid,
        target_field=args.target_field,
        from_solution=args.from_solution,
    )
    return config, args


def main(argv: Sequence[str] | None = None) -> int:
    config, args = config_from_args(argv)
    print(f"Demo CRM page: http://{args.host}:{args.port}/  (cockpit: {config.cockpit_url})")
    sys.stdout.flush()
    # SIGTERM/SIGINT stop uvicorn gracefully (lifespan closes the simulator client).
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
