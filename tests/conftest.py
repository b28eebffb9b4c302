"""Shared fixtures: an in-process app on the default scenario, driven over real HTTP."""

from __future__ import annotations

import pytest

from emulator.app import RUNTIME, create_app
from emulator.settings import Settings

# Each provider's signed-client fixtures live in its own module.
pytest_plugins = ["tests.tencent_support", "tests.openim_support", "tests.rongcloud_support", "tests.callback_support",
                  "pytester"]


def pytest_addoption(parser):
    parser.addoption("--long", action="store_true", default=False,
                     help="run the long fuzz mode (100 examples per operation)")


@pytest.fixture
def settings() -> Settings:
    """Default scenario, all providers; tests may override this fixture or mutate the object."""
    return Settings(port=0)


@pytest.fixture
async def client(aiohttp_client, settings):
    """aiohttp TestClient bound to a fresh app (fresh state per test)."""
    return await aiohttp_client(create_app(settings))


@pytest.fixture
def runtime(client):
    return client.app[RUNTIME]
