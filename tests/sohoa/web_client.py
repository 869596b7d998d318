"""A workspace page's FastAPI app under a test client, with Airflow's logged-in user answered by a stand-in."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient


@dataclass
class User:
    """What the pages read of Airflow's user: the login and the role (admin/op are archivists)."""
    username: str
    role: str


def client_as(create_app: Callable[[], FastAPI], role: str, username: str = "lan", **client) -> TestClient:
    """A test client of ``create_app()`` where every request comes from *username* with *role*."""
    from airflow.api_fastapi.core_api.security import get_user

    app = create_app()
    app.dependency_overrides[get_user] = lambda: User(username, role)
    return TestClient(app, **client)
