"""Fixtures and signing helpers for rongcloud tests (loaded by tests/conftest.py)."""
