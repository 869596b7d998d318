"""The Airflow plugin of sohoa: mounts every app of :data:`sohoa.web.UI_APPS` and its navigation entry.

Airflow imports this one module from ``plugins/`` (``plugins/.airflowignore`` hides the ``sohoa`` package,
which is installed and imported normally).
"""
from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from sohoa.web import UI_APPS


class SohoaPlugin(AirflowPlugin):
    name = "sohoa"
    fastapi_apps = [app.fastapi_app() for app in UI_APPS]
    external_views = [view for app in UI_APPS for view in app.external_views()]
