"""Names and nftables rules the agent derives for a cluster (no root needed)."""

from __future__ import annotations

from harness.cluster.local import network
from harness.cluster.local.state import ClusterState, NetworkLayout, Ports, netns_prefix


def _state(name: str = "demo") -> ClusterState:
    return ClusterState(
        name=name,
        kubernetes_version="v1.37.2",
        gateway_api_version="v1.6.3",
        gateway_api_channel="standard",
        assets_dir="/nowhere",
        slot=0,
        network=NetworkLayout.for_slot(0, name),
        ports=Ports(1, 2, 3, 4),
    )


def test_names_fit_linux_limits_and_differ_between_clusters() -> None:
    a, b = _state("a"), _state("b")
    sandbox = network.sandbox_for(a, "0b7c2a4e-uid", "198.18.0.2")
    assert len(sandbox.host_veth) <= 15
    assert sandbox.netns.startswith(netns_prefix("a"))
    assert sandbox.host_veth.startswith(network.veth_prefix("a"))
    assert network.veth_prefix("a") != network.veth_prefix("b")
    assert network.nft_table_name("a") != network.nft_table_name("b")
    assert network.sandbox_for(b, "0b7c2a4e-uid", "x").netns != sandbox.netns


def test_nat_table_balances_over_backends_and_skips_frontends_without_any() -> None:
    state = _state()
    script = network.render_nat_table(
        state,
        [
            network.ServiceFrontend(
                "198.19.16.1", 80, "tcp", (("198.18.0.2", 3000), ("198.18.0.3", 3000))
            ),
            network.ServiceFrontend("198.19.0.10", 8080, "tcp", (("198.18.0.2", 3000),)),
            network.ServiceFrontend("198.19.16.2", 80, "tcp", ()),
        ],
    )
    table = network.nft_table_name(state.name)
    assert script.startswith(f"table ip {table} {{}}\ndelete table ip {table}\n")
    assert (
        "ip daddr 198.19.16.1 tcp dport 80 dnat ip to numgen random mod 2 map "
        "{ 0 : 198.18.0.2 . 3000, 1 : 198.18.0.3 . 3000 }" in script
    )
    assert "ip daddr 198.19.0.10 tcp dport 8080 dnat to 198.18.0.2:3000" in script
    assert "198.19.16.2" not in script  # rejected by the filter chains instead
    assert f"ip saddr {state.network.pod_cidr} ct status dnat masquerade" in script
    assert f'iifname "{state.network.bridge}" ip daddr != 198.18.0.0/15 drop' in script
