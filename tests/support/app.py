"""Build the real app for tests, pointed at test infrastructure through Settings overrides."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from functions.app import create_app
from shared.bootstrap import Container, build_container
from shared.settings import Settings, load_settings
from tests.support.azurite import unique_prefix
from tests.support.settings import EXPLICIT


def make_settings(*, storage_connection_string: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        **EXPLICIT,
        "storage_connection_string": storage_connection_string,
        "table_prefix": unique_prefix(),
    }
    values.update(overrides)
    return load_settings(**values)


def make_app(settings: Settings, **container_overrides: Any) -> tuple[FastAPI, Container]:
    container = build_container(settings, **container_overrides)
    return create_app(container=container), container
