"""Every hook is documented in docs/plugins.md with its exact signature."""

from __future__ import annotations

import inspect
from pathlib import Path

from llamafarm_core.plugins import hookspecs

DOC = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def test_every_hookspec_is_documented_with_its_signature() -> None:
    text = DOC.read_text()
    specs = [
        f for name, f in vars(hookspecs).items() if name.startswith("register_") and inspect.isfunction(f)
    ]
    assert len(specs) == 6
    for fn in specs:
        signature = f"{fn.__name__}{inspect.signature(fn)}".replace("'", "")
        assert f"`{signature}`" in text, signature
