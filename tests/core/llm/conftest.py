"""The chat tests' project factory, for the text generator's test."""

from tests.core.chat.conftest import make_project

__all__ = ["make_project"]
