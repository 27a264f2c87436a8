"""`gwh reference install|uninstall`: the bundled implementation, found through an entry point.

`harness` never imports `reference_impl`; it is found through the entry-point group
`gateway_harness.implementations` (see `harness.main_job.load_implementation`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import harness.cluster
from harness.main_job import load_implementation

if TYPE_CHECKING:
    from harness.cli import Output


def register(sub: Any) -> None:
    ref = sub.add_parser("reference", help="install or remove the bundled reference implementation")
    rsub = ref.add_subparsers(dest="reference_command", metavar="ACTION")
    rsub.required = True
    for action, helptext in (
        ("install", "start the reference controller and create its GatewayClass"),
        ("uninstall", "delete its GatewayClass and stop the controller"),
    ):
        p = rsub.add_parser(action, help=helptext)
        p.add_argument("--name", default="default", help="cluster name (default: %(default)s)")
        p.add_argument("--provider", default="local", help="local, kind or existing")
        p.add_argument("--kubeconfig", help="kubeconfig file (provider existing)")
        p.add_argument("--context", help="kubeconfig context (provider existing)")
        p.add_argument(
            "--gateway-class",
            default="gateway-harness",
            help="name of the GatewayClass to create (default: %(default)s)",
        )
        p.set_defaults(handler=cmd_install if action == "install" else cmd_uninstall)


def _cluster(args: argparse.Namespace) -> harness.cluster.Cluster:
    return harness.cluster.open(
        args.name, args.provider, kubeconfig=args.kubeconfig, context=args.context
    )


def cmd_install(args: argparse.Namespace, out: Output) -> int:
    impl = load_implementation()
    info = impl.install(_cluster(args), gateway_class=args.gateway_class, progress=out.progress)
    out.result(f"Reference implementation installed: GatewayClass {args.gateway_class}", info)
    return 0


def cmd_uninstall(args: argparse.Namespace, out: Output) -> int:
    impl = load_implementation()
    found = impl.uninstall(_cluster(args), gateway_class=args.gateway_class, progress=out.progress)
    msg = "Reference implementation removed." if found else "Nothing to remove."
    out.result(msg, {"removed": found})
    return 0
