"""TLSRoute conformance scenarios (profile GATEWAY-TLS)."""
