"""Projects for chat tests, created through the real project store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from llamafarm_core.plugins.registry import Registry
from llamafarm_core.projects import Project, ProjectRef, ProjectStore
from llamafarm_core.settings import Settings
from tests.core.chat.chat_projects import chat_config


@pytest.fixture
def make_project(settings: Settings, registry: Registry) -> Callable[..., Project]:
    store = ProjectStore(settings, registry)

    def make(name: str = "chat", **overrides: Any) -> Project:
        ref = ProjectRef("test", name)
        store.create(ref)
        return store.update(ref, chat_config(**overrides))

    return make
