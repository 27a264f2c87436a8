"""The conformance framework the suites in ``suites/conformance`` stand on.

catalog            features, profiles and the upstream test list per Gateway API version
selection          supported features (options or GatewayClass status) and which tests run
scenario           the @scenario declaration and the GatewayHandle / RouteHandle assertions
traffic            HTTP(S)/h2c/websocket assertions (eventually consistent), weighted shares
roundtrip          one response compared with an expectation (upstream's CompareRoundTrip)
http_client        one request per fresh connection; TLS with SNI, Go-style name checks
grpc_traffic       GrpcEcho calls and their checks
tcp_echo           TCP / TLS exchanges with the echo server's TCP mode
mirror             mirrored requests found in backend pod logs
consistency        N consecutive matches within MaxTimeToConsistency
timeouts           TimeoutConfig with upstream's names and defaults
base_resources     namespaces, Gateways, echo backends and run-time certificates
certificates       CA / server / client certificates generated with ``cryptography``
manifest_rewrites  static-address placeholders, namespace labels/annotations
coordination       once-per-run setup shared by pytest-xdist workers
results, report    results JSON (gateway-harness/conformance-results/v1), ConformanceReport
options, plugin    the pytest plugin (``pytest11`` entry point) and its options
"""
