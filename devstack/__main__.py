"""`make run`: start the whole local stack, print where to begin, stop everything on Ctrl-C/SIGTERM.

Ports (defaults fixed; override each with an environment variable):
  DEVSTACK_APP_PORT=7071        the cockpit (http://localhost:7071)
  DEVSTACK_AZURITE_PORT=10002   Azurite's Table service
  DEVSTACK_ENTRA_PORT=7443      Entra ID simulator, https (discovery, keys, tokens)
  DEVSTACK_ENTRA_HTTP_PORT=7440 Entra ID simulator's sign-in page, http
  DEVSTACK_DATAVERSE_PORT=7444  Dataverse simulator, https (the org URL)
  DEVSTACK_CRM_PORT=7080        demo Dynamics page (http://127.0.0.1:7080)
Seed: --seed PATH (or DEVSTACK_SEED) runs the stack against another seed file; every org of the
seed gets its own Dataverse simulator and demo CRM page (the first on the ports above, the others
on free ports, printed at start).
Solution: --solution PATH (or DEVSTACK_SOLUTION) imports a solution zip into every org at start;
the demo CRM pages then show the command, the Cockpit tab and its column only from it.
Credential: --credential-mode secret|certificate|managed_identity (or DEVSTACK_CREDENTIAL_MODE)
chooses how the cockpit authenticates to Entra ID, as COCKPIT_CLIENT_CREDENTIAL_MODE does in Azure.

Signals: SIGINT (Ctrl-C), SIGTERM (a service manager; make forwards a second one to the process
group) and SIGHUP (a closing terminal) all stop the stack once; further signals while stopping are
ignored, so the stop always finishes. Children die with the runner even if it is killed
(PR_SET_PDEATHSIG, devstack/process.py).
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
from devstack.seedinfo import SeedProblem
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


class _Signals:
    """The first stop signal ends the wait loop; later ones are ignored while stopping."""

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise _Stop


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
    parser.add_argument(
        "--credential-mode",
        choices=("secret", "certificate", "managed_identity"),
        default=os.environ.get("DEVSTACK_CREDENTIAL_MODE", "secret"),
    )
    parser.add_argument(
        "--solution",
        type=Path,
        default=Path(os.environ["DEVSTACK_SOLUTION"])
        if os.environ.get("DEVSTACK_SOLUTION")
        else None,
        help="a solution zip to import into every org (the demo CRM page then shows the "
        "cockpit's command, tab and column from it)",
    )
    args = parser.parse_args(argv)
    if args.solution is not None and not args.solution.is_file():
        print(f"Solution file {args.solution} does not exist.", file=sys.stderr)
        return 2
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

    signals = _Signals()
    signals.install()
    try:
        stack = Stack(
            StackConfig(ports=ports, seed=args.seed.resolve(), credential_mode=args.credential_mode)
        )
    except (SeedProblem, KeyError, ValueError) as exc:
        print(f"The seed {args.seed} cannot run a stack: {exc}", file=sys.stderr)
        return 2
    return _run(stack, signals)


def _run(stack: Stack, signals: _Signals) -> int:
    started = time.monotonic()
    try:
        print(
            "Starting the local stack (Azurite, Entra ID simulator, Dataverse simulator, demo CRM, app)…"
        )
        stack.start()
        print(f"\nReady in {time.monotonic() - started:.1f} s.\n")
        _print_urls(stack)
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
    except (ProcessFailed, ValueError) as err:
        print(f"Could not start the stack: {err}", file=sys.stderr)
        return 1
    finally:
        signals.stopping = True  # from here on, signals no longer interrupt the stop
        stack.stop()
        print("Stopped; all ports are free.")


def _print_urls(stack: Stack) -> None:
    places = stack.plan()
    print(f"  ▶ Start here — demo Dynamics 365:  {places[0].crm_url}/   (org {places[0].org.name})")
    for place in places[1:]:
        print(f"    Demo Dynamics 365, org {place.org.name}: {place.crm_url}/")
    print(
        f"    Cockpit app:                     {stack.app_url}/   (health: {stack.app_url}/healthz)"
    )
    print(
        f"    Entra ID simulator:              {stack.entra_url}  (sign-in page {stack.entra_signin_url})"
    )
    for place in places:
        print(f"    Dataverse simulator, org {place.org.name}: {place.url}")
    print(f"    Azurite Table service:           http://127.0.0.1:{stack.config.ports.azurite}")
    print(f"    Credential mode:                 {stack.config.credential_mode}")
    print(f"    Logs:                            {stack.config.state_dir / 'logs'}")
    print(
        "\nDemo identities: see README.md (e.g. anna@contoso.example, a rep; ben@contoso.example, an admin)."
    )
    print("Press Ctrl-C to stop everything.\n")


if __name__ == "__main__":
    sys.exit(main())
