"""The local cluster's node agent: a Node whose Pods run as local processes in network namespaces.

Start it with `python -m harness.cluster.local.nodeagent --name <cluster>` (as root, once the
API server is ready); SIGTERM stops every pod process and removes what the agent created.
"""
