"""The .msg parser (extract-msg): real messages written by tests/fixtures/msgfile.py; broken
ones and a missing package are a clear ParseFailed."""

from __future__ import annotations

import importlib.util

import pytest

from llamafarm_core.errors import ParseFailed
from tests.fixtures.msgfile import msg_bytes


def test_subject_sender_and_body_come_out(parse) -> None:  # type: ignore[no-untyped-def]
    body = "Hello team,\r\n\r\nThe llama census counted 42 animals.\r\n\r\nRegards, Ada"
    result = parse("msg", msg_bytes("Census results", "Ada Lovelace", "ada@example.org", body), "mail.msg")
    text = "\n".join(c.text for c in result.chunks)
    assert "Subject: Census results" in text and "From: Ada Lovelace" in text
    assert "The llama census counted 42 animals." in text and "\r" not in text
    assert result.metadata["subject"] == "Census results"


def test_a_long_body_in_regular_sectors_is_read_whole(parse) -> None:  # type: ignore[no-untyped-def]
    body = "\r\n\r\n".join(f"Paragraph {i} about alpaca fibre." for i in range(300))  # > 4096 bytes
    result = parse("msg", msg_bytes("Long", "B", "b@example.org", body), "long.msg")
    text = "\n".join(c.text for c in result.chunks)
    assert "Paragraph 0 about" in text and "Paragraph 299 about alpaca fibre." in text


def test_a_broken_compound_file_fails_clearly(parse) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParseFailed, match=r"mail.msg is not a valid Outlook .msg file"):
        parse("msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "mail.msg")


def test_without_extract_msg_the_failure_says_how_to_install_it(parse, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "extract_msg" else real(name, *a)
    )
    with pytest.raises(ParseFailed) as info:
        parse("MsgParser_ExtractMsg", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "mail.msg")
    assert "pip install extract-msg" in info.value.message
    assert "mail.msg" in info.value.message


def test_empty_msg_file_fails_before_needing_the_package(parse) -> None:
    with pytest.raises(ParseFailed, match="empty file"):
        parse("msg", b"", "mail.msg")


def test_original_config_keys_are_accepted(registry) -> None:
    from llamafarm_core.components.kinds import PluginKind

    built = registry.validate_config(
        PluginKind.PARSER,
        "MsgParser_ExtractMsg",
        {
            "chunk_strategy": "email_sections",
            "extract_attachments": True,
            "include_attachment_content": False,
        },
    )
    assert built.config.chunk_strategy == "email_sections"  # type: ignore[attr-defined]
    assert len(built.warnings) == 2
