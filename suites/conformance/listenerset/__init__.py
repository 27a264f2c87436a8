"""ListenerSet conformance scenarios, one module per upstream test."""
