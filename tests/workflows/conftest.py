"""The act tests share one prepared Python with skillci installed (built once a session, across xdist workers)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator

import pytest

from helpers.act import PreparedPython, prepare_python


@pytest.fixture(scope="session")
def prepared_python(tmp_path_factory: pytest.TempPathFactory) -> PreparedPython:
    """Built under the session's shared temporary root by the first worker to ask; the others wait and reuse it."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base
    with (shared / "prepared-python.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        directory = shared / "prepared-python"
        if not (directory / PreparedPython.READY).exists():
            directory.mkdir(exist_ok=True)
            prepare_python(directory)
        return PreparedPython(directory)


@pytest.fixture(scope="session", autouse=True)
def _standin_python(request: pytest.FixtureRequest) -> Iterator[None]:
    """Name the prepared Python in $STANDIN_PYTHON for every act run (a test may pass its own, or "" for none).

    Session-scoped, so the module-scoped fixtures that run act see it too.
    """
    if not any(item.get_closest_marker("act") for item in request.session.items):
        yield
        return
    prepared: PreparedPython = request.getfixturevalue("prepared_python")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STANDIN_PYTHON", str(prepared.environment))
        yield
