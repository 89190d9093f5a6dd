"""Small files that made a parser or extractor run for minutes or allocate gigabytes
(issue 10, "One small file stops the worker"). Each is a few hundred KB at most."""

from __future__ import annotations

import io
import zipfile


def cubic_heading() -> str:
    """A markdown heading line the old ATX regex took cubic time on."""
    return "# a" + " " * 20_000 + "b"


def trailing_spaces() -> str:
    """200 KB of spaces, then one letter: quadratic for a ``[ \\t]+$`` regex."""
    return " " * 200_000 + "x"


def unclosed_tags() -> str:
    """``<a`` 20,000 times: the stdlib HTML parser rescans to the end from each one."""
    return "<a" * 20_000


def alias_bomb() -> str:
    """Markdown whose ~300-byte front matter expands to 9**9 values through YAML aliases."""
    lines = ["a: &a [x,x,x,x,x,x,x,x,x]"]
    for i in range(8):
        name, prev = chr(98 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + "\n---\n# Title\n\nThe body of the note survives.\n"


def zip_bomb(member: str = "word/document.xml", mib: int = 300) -> bytes:
    """A ~300 KB zip whose one member unpacks to ``mib`` MiB of spaces."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(member, "w", force_zip64=True) as f:
            block = b" " * (1 << 20)
            for _ in range(mib):
                f.write(block)
    return buf.getvalue()


def unclosed_tables() -> str:
    """``<table><tr>`` repeated, never closed: quadratic for a lazy ``<table.*?</table>``."""
    return "<table><tr>" * 8_000
