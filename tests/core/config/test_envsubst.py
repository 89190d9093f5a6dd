from __future__ import annotations

from llamafarm_core.config.envsubst import expand, expand_str

ENV = {"HOST": "db.local", "PORT": "6333", "EMPTY": ""}


def test_plain_and_default_forms() -> None:
    assert expand_str("http://${HOST}:${PORT}", ENV) == "http://db.local:6333"
    assert expand_str("${MISSING:-fallback}", ENV) == "fallback"
    assert expand_str("${EMPTY:-fallback}", ENV) == "fallback"
    assert expand_str("${MISSING}", ENV) == ""
    assert expand_str("no placeholders", ENV) == "no placeholders"


def test_nested_structures_and_numbers() -> None:
    value = {"port": "${PORT}", "hosts": ["${HOST}", "x"], "n": 3, "dflt": "${NOPE:-1.5}"}
    assert expand(value, ENV) == {"port": 6333, "hosts": ["db.local", "x"], "n": 3, "dflt": 1.5}


def test_a_placeholder_inside_text_stays_text() -> None:
    assert expand("v${PORT}", ENV) == "v6333"
