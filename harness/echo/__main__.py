"""``python -m harness.echo``: run the echo server configured by the environment."""

from __future__ import annotations

import argparse
import sys

from harness.echo.config import EchoConfig, EchoConfigError
from harness.echo.server import run


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, read the environment and serve until SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.echo",
        description="Echo server answering like the upstream Gateway API echo-basic image; "
        "configured by its environment variables (HTTP_PORT, GRPC_ECHO_SERVER, ...).",
    )
    parser.add_argument(
        "--bind",
        default="",
        help="address to listen on (default: every address, like echo-basic)",
    )
    args = parser.parse_args(argv)
    try:
        config = EchoConfig.from_env(bind_host=args.bind)
        return run(config)
    except EchoConfigError as err:
        print(f"echo: {err}", file=sys.stderr, flush=True)
        return 2
    except OSError as err:
        print(f"Failed to start listening: {err}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
