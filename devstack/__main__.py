"""`make run`: start the whole local stack, print where to begin, stop everything on Ctrl-C/SIGTERM.

Ports (defaults fixed; override each with an environment variable):
  DEVSTACK_APP_PORT=7071        the cockpit (http://localhost:7071)
  DEVSTACK_AZURITE_PORT=10002   Azurite's Table service
  DEVSTACK_ENTRA_PORT=7443      Entra ID simulator, https (discovery, keys, tokens)
  DEVSTACK_ENTRA_HTTP_PORT=7440 Entra ID simulator's sign-in page, http
  DEVSTACK_DATAVERSE_PORT=7444  Dataverse simulator, https (the org URL)
  DEVSTACK_CRM_PORT=7080        demo Dynamics page (http://127.0.0.1:7080)
Seed: --seed PATH (or DEVSTACK_SEED) runs the stack against another seed file.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from devstack.process import ProcessFailed, port_is_open
from devstack.stack import DEFAULT_SEED, Stack, StackConfig, StackPorts

_PORT_VARS = {
    "app": "DEVSTACK_APP_PORT",
    "azurite": "DEVSTACK_AZURITE_PORT",
    "entra": "DEVSTACK_ENTRA_PORT",
    "entra_http": "DEVSTACK_ENTRA_HTTP_PORT",
    "dataverse": "DEVSTACK_DATAVERSE_PORT",
    "crm": "DEVSTACK_CRM_PORT",
}


class _Stop(Exception):
    pass


def _ports() -> StackPorts:
    defaults = StackPorts()
    values: dict[str, int] = {}
    for name, var in _PORT_VARS.items():
        raw = os.environ.get(var)
        if raw is None:
            values[name] = getattr(defaults, name)
            continue
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise SystemExit(
                f"{var}={raw!r} is not a port number (expected e.g. {getattr(defaults, name)})"
            )
        values[name] = int(raw)
    return StackPorts(**values)


def main(argv: list[str] | None = None) -> int:
    # Line by line even when piped (make run | tee, CI logs): the URLs must show up at once.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seed", type=Path, default=Path(os.environ.get("DEVSTACK_SEED", DEFAULT_SEED))
    )
    args = parser.parse_args(argv)
    if not args.seed.is_file():
        print(f"Seed file {args.seed} does not exist.", file=sys.stderr)
        return 2

    ports = _ports()
    busy = [
        f"{name} {getattr(ports, name)} ({var})"
        for name, var in _PORT_VARS.items()
        if port_is_open("127.0.0.1", getattr(ports, name))
    ]
    if busy:
        print(
            "Ports already in use: " + ", ".join(busy) + ". Stop what uses them or override "
            "the variable in brackets.",
            file=sys.stderr,
        )
        return 2

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, on_term)
    stack = Stack(StackConfig(ports=ports, seed=args.seed.resolve()))
    started = time.monotonic()
    try:
        print(
            "Starting the local stack (Azurite, Entra ID simulator, Dataverse simulator, demo CRM, app)…"
        )
        stack.start()
        print(f"\nReady in {time.monotonic() - started:.1f} s.\n")
        print(f"  ▶ Start here — demo Dynamics 365:  {stack.crm_url}/")
        print(
            f"    Cockpit app:                     {stack.app_url}/   (health: {stack.app_url}/healthz)"
        )
        print(
            f"    Entra ID simulator:              {stack.entra_url}  (sign-in page {stack.entra_signin_url})"
        )
        print(f"    Dataverse simulator (org URL):   {stack.dataverse_url}")
        print(f"    Azurite Table service:           http://127.0.0.1:{ports.azurite}")
        print(f"    Logs:                            {stack.config.state_dir / 'logs'}")
        print(
            "\nDemo identities: see README.md (e.g. anna@contoso.example, a rep; ben@contoso.example, an admin)."
        )
        print("Press Ctrl-C to stop everything.\n")
        while True:
            dead = stack.failed()
            if dead:
                for proc in dead:
                    print(f"{proc.name} stopped unexpectedly:\n{proc.log_tail()}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except (KeyboardInterrupt, _Stop):
        print("\nStopping…")
        return 0
    except ProcessFailed as err:
        print(f"Could not start the stack: {err}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("Stopped; all ports are free.")


if __name__ == "__main__":
    sys.exit(main())
