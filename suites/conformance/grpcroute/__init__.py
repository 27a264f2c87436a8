"""GRPCRoute conformance scenarios (profile GATEWAY-GRPC)."""
