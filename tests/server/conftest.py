"""Server fixtures: apps on the tiny model, a gate that holds workers, and a live uvicorn server."""
from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Callable, Iterator

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install -e '.[serve]')")

from alphacut.models.session import SalientSession  # noqa: E402
from alphacut.server.app import create_app, load_sessions  # noqa: E402
from alphacut.server.settings import ServerSettings  # noqa: E402

from .live import LiveServer  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx versions
    from fastapi.testclient import TestClient  # noqa: E402


class GatedSession(SalientSession):
    """The tiny model behind a gate: ``predict`` waits until the test opens it, so a test can
    hold every worker busy for as long as it needs (deterministic queue and timeout tests)."""

    def __init__(self, session: SalientSession):
        super().__init__(session.spec, session.path, session.runtime)
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)

    def predict(self, image):
        self.entered.release()
        if not self.gate.wait(timeout=30):
            raise RuntimeError("test gate never opened")
        return super().predict(image)


@pytest.fixture()
def make_app(tiny_model: Path) -> Callable[..., object]:
    def make(**overrides):
        sessions = overrides.pop("sessions", None)
        settings = ServerSettings(models=(str(tiny_model),), **overrides)
        return create_app(settings, sessions=sessions)

    return make


@pytest.fixture()
def make_client(make_app) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides) -> TestClient:
        client = TestClient(make_app(**overrides), base_url="http://localhost")  # a Host the server answers
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture()
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture()
def gated(tiny_model: Path) -> GatedSession:
    tiny = load_sessions(ServerSettings(models=(str(tiny_model),)))["tiny"]
    return GatedSession(tiny)


@pytest.fixture()
def live_server(make_app) -> Callable[..., LiveServer]:
    def start(**overrides) -> LiveServer:
        return LiveServer(make_app(**overrides))

    return start
