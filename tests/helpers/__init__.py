"""Plain helper modules shared by the test suites (no fixtures, no tests): test modules import
these, never each other. Fixtures live in the conftest.py files."""
