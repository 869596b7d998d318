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
    run_tab: str | None = None  # label of a tab on DAG runs' pages showing ``{url_prefix}/theo-luot`` for the run

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

    def external_views(self) -> list[dict[str, Any]]:
        """Every ``external_views`` entry of the app: its navigation item, and its tab on DAG runs' pages
        (destination ``dag_run``: Airflow fills in ``{DAG_ID}`` and ``{RUN_ID}``; it shows on every DAG's runs)."""
        views = [self.external_view()] if self.menu_label else []
        if self.run_tab:
            href = f"{self.url_prefix}/theo-luot?dag_id={{DAG_ID}}&run_id={{RUN_ID}}"
            views.append({"name": self.run_tab, "href": href, "destination": "dag_run",
                          "url_route": f"{self.url_route or self.name}-theo-luot"})
        return views


UI_APPS: tuple[UiApp, ...] = (
    UiApp(name="sohoa-tien-do", url_prefix="/sohoa/tien-do", target="sohoa.web.dashboard:create_app",
          menu_label="Tiến độ số hóa", url_route="tien-do-so-hoa"),
    UiApp(name="sohoa-tim-kiem", url_prefix="/sohoa/tim-kiem", target="sohoa.web.search_page:create_app",
          menu_label="Tìm kiếm hồ sơ", url_route="tim-kiem-ho-so"),
    UiApp(name="sohoa-xem-trang", url_prefix="/sohoa/trang", target="sohoa.web.viewer:create_app"),
    UiApp(name="sohoa-lo", url_prefix="/sohoa/lo", target="sohoa.web.batch_page:create_app",
          menu_label="Lô số hóa", url_route="lo-so-hoa", run_tab="Lô số hóa"),
    UiApp(name="sohoa-duyet", url_prefix="/sohoa/duyet", target="sohoa.web.review_page:create_app",
          menu_label="Hàng chờ duyệt", url_route="hang-cho-duyet"),
    UiApp(name="sohoa-api", url_prefix="/sohoa/api", target="sohoa.api:app"),
)
