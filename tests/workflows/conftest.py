"""The act tests share one prepared Python with skillci installed (built once a session, across xdist workers)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator

import pytest

from helpers.act import prepare_python


@pytest.fixture(scope="session", autouse=True)
def _prepared_python(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Name the prepared Python in $STANDIN_PYTHON for every act run (a test may pass its own, or "" for none).

    Session-scoped, so the module-scoped fixtures that run act see it too. The first worker to get here builds
    it under the session's shared temporary root; the others wait on a lock and reuse it.
    """
    if not any(item.get_closest_marker("act") for item in request.session.items):
        yield
        return
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base
    with (shared / "prepared-python.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = shared / "prepared-python" / "ready"
        if not ready.exists():
            ready.parent.mkdir(exist_ok=True)
            ready.write_text(str(prepare_python(ready.parent)), encoding="utf-8")
        environment = ready.read_text(encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STANDIN_PYTHON", environment)
        yield
