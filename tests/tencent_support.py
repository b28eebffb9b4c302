"""Fixtures and signing helpers for tencent tests (loaded by tests/conftest.py)."""
