"""Serve the cockpit with uvicorn: ``python -m functions --host 127.0.0.1 --port 7071``.

Used by the local stack. Configuration errors print one readable line and exit with status 2
instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from functions.app import create_app
from shared.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7071)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        sys.stderr.write(f"{err}\n")
        return 2
    app = create_app(settings=settings)
    # access_log off: query strings carry auth codes; the app logs requests itself, without them.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
