"""A pytest plugin for the rerun of tests/api in test_pool_of_one.py: every container a
test used had a pool of exactly one connection (so the run proves what it claims)."""

from __future__ import annotations

import os

import pytest

checked = 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    global checked
    container = getattr(item, "funcargs", {}).get("container")
    if container is not None:
        assert container.settings.db_pool_max == 1 and container.db._pool.max_size == 1
        checked += 1
    yield


def pytest_sessionfinish(session):
    report = os.environ.get("MESHHOOK_POOL_CHECK_REPORT")
    if report:
        with open(report, "w") as f:
            f.write(str(checked))
