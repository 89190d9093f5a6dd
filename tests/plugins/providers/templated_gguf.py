"""A small instruction-style GGUF for tests: the bundled Gemma 3 270M with a
``tokenizer.chat_template`` added — so a "model with a chat template" exists without
downloading one. Written into a temp dir at test time.

The GGUF layout (header, key/values, tensor infos, aligned tensor data) is walked with the
``gguf`` package's constants, and the one new key/value is spliced in; tensor data is copied
as bytes (its offsets are relative to the data section, so they stay valid).
``gguf.GGUFReader`` would do the same but spends ~15 s parsing the 262k-token vocabulary.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import BinaryIO

# Gemma's turn format (the bundled tokenizer has these special tokens).
TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n"
    "{{ m['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def _string(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def _skip_value(f: BinaryIO, kind: int) -> None:
    from gguf import GGUFValueType

    sizes = {
        GGUFValueType.UINT8: 1, GGUFValueType.INT8: 1, GGUFValueType.BOOL: 1,
        GGUFValueType.UINT16: 2, GGUFValueType.INT16: 2,
        GGUFValueType.UINT32: 4, GGUFValueType.INT32: 4, GGUFValueType.FLOAT32: 4,
        GGUFValueType.UINT64: 8, GGUFValueType.INT64: 8, GGUFValueType.FLOAT64: 8,
    }  # fmt: skip
    if kind == GGUFValueType.STRING:
        (n,) = struct.unpack("<Q", f.read(8))
        f.seek(n, 1)
    elif kind == GGUFValueType.ARRAY:
        sub, count = struct.unpack("<IQ", f.read(12))
        if sub in sizes:
            f.seek(sizes[GGUFValueType(sub)] * count, 1)
        else:
            for _ in range(count):
                _skip_value(f, sub)
    else:
        f.seek(sizes[GGUFValueType(kind)], 1)


def write_templated_gguf(source: Path, target: Path, template: str = TEMPLATE) -> Path:
    """Copy ``source`` to ``target`` with ``template`` as ``tokenizer.chat_template``."""
    from gguf import GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUFValueType, Keys

    with open(source, "rb") as f:
        magic, version, n_tensors, n_kv = struct.unpack("<IIQQ", f.read(24))
        assert magic == GGUF_MAGIC and version >= 2, "not a GGUF v2+ file"
        alignment = GGUF_DEFAULT_ALIGNMENT
        for _ in range(n_kv):
            (n,) = struct.unpack("<Q", f.read(8))
            key = f.read(n).decode()
            (kind,) = struct.unpack("<I", f.read(4))
            assert key != Keys.Tokenizer.CHAT_TEMPLATE, "the source already has a chat template"
            if key == Keys.General.ALIGNMENT:
                (alignment,) = struct.unpack("<I", f.read(4))
            else:
                _skip_value(f, kind)
        kv_end = f.tell()
        for _ in range(n_tensors):
            (n,) = struct.unpack("<Q", f.read(8))
            f.seek(n, 1)
            (dims,) = struct.unpack("<I", f.read(4))
            f.seek(8 * dims + 4 + 8, 1)
        infos_end = f.tell()
        data_start = -(-infos_end // alignment) * alignment
        f.seek(24)
        kvs = f.read(kv_end - 24)
        infos = f.read(infos_end - kv_end)
        new_kv = (
            _string(Keys.Tokenizer.CHAT_TEMPLATE)
            + struct.pack("<I", GGUFValueType.STRING)
            + _string(template)
        )
        with open(target, "wb") as out:
            out.write(struct.pack("<IIQQ", magic, version, n_tensors, n_kv + 1) + kvs + new_kv + infos)
            out.write(b"\0" * (-out.tell() % alignment))
            f.seek(data_start)
            shutil.copyfileobj(f, out, 16 << 20)
    return target
