"""The .msg parser needs the optional extract-msg package; without it, a clear ParseFailed."""

from __future__ import annotations

import importlib.util

import pytest

from llamafarm_core.errors import ParseFailed

HAVE_EXTRACT_MSG = importlib.util.find_spec("extract_msg") is not None


@pytest.mark.skipif(HAVE_EXTRACT_MSG, reason="checks the message shown when extract-msg is missing")
def test_without_extract_msg_the_failure_says_how_to_install_it(parse) -> None:
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
