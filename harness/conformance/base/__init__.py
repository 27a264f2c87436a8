"""Base resources of a conformance run as data (YAML)."""
