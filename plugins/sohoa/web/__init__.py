"""sohoa's web apps inside Airflow's API server, and the registry the Airflow plugin mounts them from.

Each :class:`UiApp` becomes one entry of the plugin's ``fastapi_apps`` (mounted at ``url_prefix``) and, when it
has a ``menu_label``, one ``external_views`` entry so it appears in Airflow's navigation. To add an app (e.g. a
search API), append a :class:`UiApp` to :data:`UI_APPS`; ``plugins/sohoa_plugin.py`` needs no change.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UiApp:
    """A FastAPI app mounted at ``url_prefix``: ``target`` is "module:attribute", the attribute either a FastAPI
    app (e.g. ``"sohoa.api:app"``) or a function returning one (``"sohoa.web.dashboard:create_app"``)."""

    name: str
    url_prefix: str
    target: str
    menu_label: str | None = None
    url_route: str | None = None
    icon: str | None = None

    def fastapi_app(self) -> dict[str, Any]:
        """The plugin's ``fastapi_apps`` entry."""
        from fastapi import FastAPI

        module, attribute = self.target.split(":")
        found = getattr(importlib.import_module(module), attribute)
        return {"app": found if isinstance(found, FastAPI) else found(), "url_prefix": self.url_prefix,
                "name": self.name}

    def external_view(self) -> dict[str, Any]:
        """The plugin's ``external_views`` entry: a navigation item showing the app inside Airflow's UI."""
        view = {"name": self.menu_label, "href": f"{self.url_prefix}/", "destination": "nav",
                "url_route": self.url_route, "nav_top_level": True}  # from two items on, Airflow folds the rest
        #                                                               into a "Plugins" menu
        if self.icon:
            view["icon"] = self.icon
        return view


UI_APPS: tuple[UiApp, ...] = (
    UiApp(name="sohoa-tien-do", url_prefix="/sohoa/tien-do", target="sohoa.web.dashboard:create_app",
          menu_label="Tiến độ số hóa", url_route="tien-do-so-hoa"),
    UiApp(name="sohoa-tim-kiem", url_prefix="/sohoa/tim-kiem", target="sohoa.web.search_page:create_app",
          menu_label="Tìm kiếm hồ sơ", url_route="tim-kiem-ho-so"),
    UiApp(name="sohoa-xem-trang", url_prefix="/sohoa/trang", target="sohoa.web.viewer:create_app"),
    UiApp(name="sohoa-api", url_prefix="/sohoa/api", target="sohoa.api:app"),
)
