"""`python -m reference_impl.proxy --admin-address IP:PORT [--workers N]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from reference_impl.proxy.admin import AdminServer
from reference_impl.proxy.supervisor import Supervisor

log = logging.getLogger("reference_impl.proxy")


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise argparse.ArgumentTypeError(f"{text!r} is not IP:PORT (e.g. 127.0.0.1:19000)")
    return host.strip("[]"), int(port)


async def run(args: argparse.Namespace) -> None:
    """Start workers and the admin endpoint; stop on SIGTERM/SIGINT."""
    supervisor = Supervisor(args.workers, args.listen_address, args.log_level)
    await supervisor.start()
    admin = AdminServer(supervisor)
    host, port = args.admin_address
    try:
        server = await asyncio.start_server(admin.handle, host, port)
    except OSError as exc:
        supervisor.stop()
        raise SystemExit(
            f"cannot bind the admin address {host}:{port}: {exc}; choose another --admin-address"
        ) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher = loop.create_task(supervisor.watch())
    log.warning("proxy admin on %s:%d with %d worker(s)", host, port, args.workers)
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        server.close()
        supervisor.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse flags and run until stopped."""
    parser = argparse.ArgumentParser(prog="python -m reference_impl.proxy", description=__doc__)
    parser.add_argument(
        "--admin-address",
        type=_address,
        default=("0.0.0.0", 19000),
        help="IP:PORT of the admin endpoint (default 0.0.0.0:19000, the contract's port)",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)"
    )
    parser.add_argument(
        "--listen-address", default="0.0.0.0", help="address the listener ports bind"
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers {args.workers}: need at least 1")
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s proxy %(levelname)s %(message)s",
    )
    import uvloop

    uvloop.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
