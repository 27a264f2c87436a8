"""`python -m harness.cluster.local.nodeagent --name <cluster>`: run the local cluster's node."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from harness.cluster.local.nodeagent.agent import NodeAgent
from harness.cluster.local.state import ClusterState


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.cluster.local.nodeagent",
        description="Run the node agent of a local cluster (as root, after its API server is up).",
    )
    parser.add_argument("--name", required=True, help="the local cluster's name")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not ClusterState.exists(args.name):
        print(
            f"error: no local cluster named {args.name!r}; create it with `gwh cluster up`",
            file=sys.stderr,
        )
        return 2
    state = ClusterState.load(args.name)
    agent = NodeAgent(state)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        agent.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
