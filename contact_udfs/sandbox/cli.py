"""``python -m contact_udfs.sandbox``: serve the simulator for manual use and demos.

It prints ``export`` lines first so a user can paste them into another shell and point
the package (or curl) at the sandbox.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from .sandbox import Sandbox


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m contact_udfs.sandbox",
        description="Serve a local simulator of the Dropcontact, FullContact and ColdLead "
                    "APIs until Ctrl+C.")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic world")
    parser.add_argument("--job-polls", type=int, default=1,
                        help="'not ready' answers before a job is done (default 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted (SIGINT/SIGTERM); returns the exit code."""
    args = build_parser().parse_args(argv)
    done = threading.Event()
    sandbox = Sandbox(seed=args.seed, job_polls_before_ready=args.job_polls,
                      host=args.host, port=args.port)
    sandbox.start()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        for name, value in sandbox.env().items():
            print(f"export {name}={value}")
        # simulated answers must never be served later as if a real provider gave them
        cache = Path(tempfile.gettempdir()) / f"contact_udfs-sandbox-{args.seed}.sqlite"
        print(f"export CONTACT_UDFS_CACHE={cache}")
        print(f"# sandbox serving on {sandbox.url} (seed {args.seed}); Ctrl+C to stop",
              file=sys.stderr)
        sys.stdout.flush()
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0
