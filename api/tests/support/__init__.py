"""What tests share: fixtures (loaded as a pytest plugin from tests/conftest.py), tokens, waits,
a fake clock, ports, in-memory fakes of the domain ports, and the environments some suites build
(tenant operations, Swarm, stacks, observability). Test files never import other test files."""
