"""The source file's original name, extension, directory, MIME type and size on every chunk.

Works on the name the user uploaded (``SourceFile.filename``) as a plain string: nothing
here touches the filesystem.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import Chunk, Extractor, PluginConfig, SourceFile

_GENERIC_MIME = {"", "application/octet-stream"}


class PathConfig(PluginConfig):
    store_full_path: bool = Field(
        default=True, description="Add file_path (the uploaded name, with directories)."
    )
    store_filename: bool = Field(default=True, description="Add file_name and file_stem.")
    store_directory: bool = Field(default=True, description="Add directory.")
    store_extension: bool = Field(default=True, description="Add file_extension.")
    normalize_paths: bool = Field(
        default=True, description="Write file_path and directory with forward slashes."
    )
    relative_to: str | None = Field(
        default=None, description="Strip this leading directory from file_path/directory."
    )


def split_name(filename: str) -> tuple[list[str], str]:
    """(directory parts, base name). Backslashes count as separators; '', '.' and '..' parts
    are dropped, so the result never climbs out of where it is put."""
    parts = [p for p in filename.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if not parts:
        return [], ""
    return parts[:-1], parts[-1]


def split_extension(base: str) -> tuple[str, str]:
    """('report.final', '.pdf') for 'report.final.pdf'; a leading dot ('.env') is no extension."""
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem.strip("."):
        return base, ""
    return stem, "." + ext.lower()


class PathExtractor(Extractor[PathConfig]):
    """Adds ``file_path`` (the original name, directories included), ``file_name``,
    ``file_stem``, ``file_extension`` ('.pdf', lower case, '' if none), ``directory``
    ('' if the name had none), ``mime_type`` (the stored type, or guessed from the name
    when that is generic) and ``file_size`` (bytes). The ``store_*`` options switch groups
    off. ``directory`` and ``file_path`` drop '.', '..' and empty parts.
    """

    name = "path"
    aliases = ("PathExtractor", "path_extractor")
    description = "Original file name, extension, directory, MIME type and size."

    def metadata(self, source: SourceFile) -> dict[str, Any]:
        cfg = self.config
        dirs, base = split_name(source.filename)
        if cfg.relative_to:
            prefix, _ = split_name(cfg.relative_to + "/x")
            if dirs[: len(prefix)] == prefix:
                dirs = dirs[len(prefix) :]
        sep = "/" if cfg.normalize_paths else ("\\" if "\\" in source.filename else "/")
        stem, ext = split_extension(base)
        mime = source.mime_type
        if mime in _GENERIC_MIME:
            mime = mimetypes.guess_type(base)[0] or mime or "application/octet-stream"
        out: dict[str, Any] = {"mime_type": mime, "file_size": source.size}
        if cfg.store_full_path:
            out["file_path"] = sep.join([*dirs, base])
        if cfg.store_filename:
            out["file_name"] = base
            out["file_stem"] = stem
        if cfg.store_extension:
            out["file_extension"] = ext
        if cfg.store_directory:
            out["directory"] = sep.join(dirs)
        return out

    def extract(self, chunks: list[Chunk], source: SourceFile) -> None:
        values = self.metadata(source)
        for chunk in chunks:
            chunk.metadata.update(values)
