"""Cluster providers behind one API: `open()` gives a kubeconfig, an API client and the provider.

```python
import harness.cluster

cluster = harness.cluster.open()                 # the running local cluster "default"
api = cluster.api_client()                       # kubernetes.client.ApiClient
print(cluster.kubeconfig)

harness.cluster.provider_for("local", name="ci").up(gateway_api_channel="experimental")
```
"""

from __future__ import annotations

from harness.cluster.errors import ClusterError
from harness.cluster.existing import ExistingProvider
from harness.cluster.kind import KindProvider
from harness.cluster.local import LocalProvider
from harness.cluster.provider import PROVIDERS, Cluster, Provider

__all__ = [
    "PROVIDERS",
    "Cluster",
    "ClusterError",
    "ExistingProvider",
    "KindProvider",
    "LocalProvider",
    "Provider",
    "open",
    "provider_for",
]

DEFAULT_NAME = "default"


def provider_for(
    provider: str = "local",
    *,
    name: str = DEFAULT_NAME,
    kubeconfig: str | None = None,
    context: str | None = None,
) -> LocalProvider | KindProvider | ExistingProvider:
    """The provider object for `provider`; an unknown name is a ClusterError."""
    if provider == "local":
        return LocalProvider(name)
    if provider == "kind":
        return KindProvider(name)
    if provider == "existing":
        return ExistingProvider(kubeconfig, context)
    raise ClusterError(
        f"unknown provider {provider!r}", hint="choose one of: " + ", ".join(PROVIDERS)
    )


def open(
    name: str = DEFAULT_NAME,
    provider: str = "local",
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
) -> Cluster:
    """A running cluster: its kubeconfig, context and (local) the ranges traffic may go to."""
    return provider_for(provider, name=name, kubeconfig=kubeconfig, context=context).cluster()
