"""BackendTLSPolicy conformance scenarios (Gateway to backend TLS)."""
