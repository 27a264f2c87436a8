"""`python -m reference_impl.controller [--kubeconfig F] [--gateway-class-name N ...]`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from reference_impl.controller.constants import CONTROLLER_NAME
from reference_impl.controller.crd_support import CrdFeatures
from reference_impl.controller.faults import FAULTS, fault_named
from reference_impl.controller.features import PROXY_SUPPORT, supported_features
from reference_impl.controller.kube_rest import KubeRest
from reference_impl.controller.runner import Controller, ControllerOptions
from reference_impl.images import proxy_image


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reference_impl.controller",
        description="The gateway-harness reference Gateway API controller.",
    )
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: the in-cluster service account)"
    )
    parser.add_argument("--context", help="kubeconfig context (default: the current one)")
    parser.add_argument(
        "--gateway-class-name",
        action="append",
        dest="class_names",
        metavar="NAME",
        help="handle only this GatewayClass (repeatable; default: every class naming "
        "this controller)",
    )
    parser.add_argument("--controller-name", default=CONTROLLER_NAME)
    parser.add_argument("--proxy-image", default=proxy_image())
    parser.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING"])
    parser.add_argument(
        "--fault",
        choices=sorted(FAULTS),
        help="TEST AID ONLY: inject this one bug, to check that the conformance suite "
        "fails it (default: none; never use it to serve traffic)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.kubeconfig and not os.path.isfile(args.kubeconfig):
        print(
            f"error: kubeconfig {args.kubeconfig} does not exist; pass the path "
            "`gwh cluster kubeconfig` prints",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        rest = KubeRest.from_kubeconfig(args.kubeconfig, args.context)
        rest.request("GET", "/version", timeout=10)
    except Exception as exc:  # any failure to load or reach: one message, exit 2
        where = args.kubeconfig or "the in-cluster service account"
        print(
            f"error: cannot reach the Kubernetes API with {where}: {exc}\n"
            "Pass --kubeconfig with the path `gwh cluster kubeconfig` prints.",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    crd_features = CrdFeatures(rest, supported_features(PROXY_SUPPORT))
    crd_features.refresh()
    if crd_features.unserved:
        logging.getLogger(__name__).warning(
            "not advertised, the installed CRDs lack them: %s",
            ", ".join(sorted(crd_features.unserved)),
        )
    options = ControllerOptions(
        controller_name=args.controller_name,
        gateway_class_names=frozenset(args.class_names) if args.class_names else None,
        proxy_image=args.proxy_image,
        fault=fault_named(args.fault) if args.fault else None,
    )
    if args.fault:
        logging.getLogger(__name__).warning("FAULT INJECTED (test aid): %s", args.fault)
    Controller(rest, options, crd_features).run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
