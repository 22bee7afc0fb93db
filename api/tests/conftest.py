"""Every suite's shared fixtures and helpers live in tests/support (loaded here as a plugin)."""

pytest_plugins = ["tests.support.plugin"]
