"""Fixtures and signing helpers for openim tests (loaded by tests/conftest.py)."""
