"""Connect to a cluster from a kubeconfig and prove it answers."""

from __future__ import annotations

import os

from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException


class ClusterUnreachable(RuntimeError):
    """The kubeconfig could not be loaded or the API server did not answer."""


def connect(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    *,
    probe_timeout: float = 5.0,
) -> client.ApiClient:
    """An ApiClient for ``kubeconfig``/``context`` (default: $KUBECONFIG or ~/.kube/config).

    Raises ClusterUnreachable naming the kubeconfig and what to check when the
    file is unusable or the API server does not answer its /version endpoint.
    """
    path = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG") or None
    shown = path or "~/.kube/config"
    configuration = client.Configuration()
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path, context=context, client_configuration=configuration
        )
    except (ConfigException, OSError, TypeError) as exc:
        raise ClusterUnreachable(
            f"cannot load kubeconfig {shown}"
            + (f" (context {context!r})" if context else "")
            + f": {exc}. Pass --kubeconfig/--context, or start a cluster with "
            "`gwh cluster up` and use the path `gwh cluster kubeconfig` prints."
        ) from exc
    api = client.ApiClient(configuration)
    try:
        client.VersionApi(api).get_code(_request_timeout=probe_timeout)
    except Exception as exc:
        api.close()  # type: ignore[no-untyped-call]
        raise ClusterUnreachable(
            f"the API server {configuration.host} from kubeconfig {shown} did not answer: "
            f"{exc.__class__.__name__}: {exc}. Is the cluster running (`gwh cluster status`)?"
        ) from exc
    return api
