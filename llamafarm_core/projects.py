"""Projects on disk: ``$LF_DATA_DIR/projects/{namespace}/{project}/llamafarm.yaml``."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from llamafarm_core.config import templates
from llamafarm_core.config.cache import ConfigCache
from llamafarm_core.config.loader import config_to_dict, load_config_file, parse_config, write_config_file
from llamafarm_core.config.models import LlamaFarmConfig
from llamafarm_core.errors import Conflict, NotFound, PreconditionFailed
from llamafarm_core.names import check_name
from llamafarm_core.open_stores import open_stores
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.plugins.validation import validate_components
from llamafarm_core.settings import Settings

CONFIG_FILE = "llamafarm.yaml"


@cache
def _config_cache() -> ConfigCache:
    return ConfigCache()


@dataclass(frozen=True)
class ProjectRef:
    """A validated (namespace, project) pair; constructing one checks both names."""

    namespace: str
    name: str

    def __post_init__(self) -> None:
        check_name(self.namespace, "namespace")
        check_name(self.name, "project name")


@dataclass
class Project:
    ref: ProjectRef
    path: Path
    config: LlamaFarmConfig
    warnings: list[str]
    etag: str | None = None  # set by update(): the version it wrote

    @property
    def namespace(self) -> str:
        return self.ref.namespace

    @property
    def name(self) -> str:
        return self.ref.name


class ProjectStore:
    """Create, read, update and delete projects. Safe across threads and processes:
    read-modify-write goes through :meth:`edit`, which holds a file lock."""

    def __init__(self, settings: Settings, registry: Registry | None = None) -> None:
        self.settings = settings
        self.registry = registry

    def project_dir(self, ref: ProjectRef) -> Path:
        return self.settings.projects_dir / ref.namespace / ref.name

    def exists(self, ref: ProjectRef) -> bool:
        return (self.project_dir(ref) / CONFIG_FILE).is_file()

    def get(self, ref: ProjectRef) -> Project:
        """The project as stored. Its config is shared with other readers of this process
        (parsed once per version of the file, see :class:`ConfigCache`): don't mutate it —
        change a config through :meth:`edit` or :meth:`update`."""
        path = self.project_dir(ref)
        config = _config_cache().load(path / CONFIG_FILE)
        if config is None:
            raise NotFound(f"project {ref.namespace}/{ref.name} not found")
        return Project(ref, path, config, [])

    def _get_fresh(self, ref: ProjectRef) -> Project:
        """Like :meth:`get`, with a config of its own (parsed now) that the caller may mutate."""
        path = self.project_dir(ref)
        if not (path / CONFIG_FILE).is_file():
            raise NotFound(f"project {ref.namespace}/{ref.name} not found")
        return Project(ref, path, load_config_file(path / CONFIG_FILE), [])

    def in_namespace(self, namespace: str) -> list[Project]:
        check_name(namespace, "namespace")
        ns_dir = self.settings.projects_dir / namespace
        if not ns_dir.is_dir():
            return []
        out = []
        for child in sorted(ns_dir.iterdir()):
            if (child / CONFIG_FILE).is_file():
                try:
                    out.append(self.get(ProjectRef(namespace, child.name)))
                except Exception:  # a hand-broken file must not hide the others
                    continue
        return out

    def validate(self, ref: ProjectRef, raw: Any) -> tuple[LlamaFarmConfig, list[str]]:
        """Parse a config for ``ref`` (its name/namespace are set from the path) and check
        its components against the registry. Raises ValidationFailed naming the bad path."""
        data = dict(raw) if isinstance(raw, dict) else raw
        if isinstance(data, dict):
            data["name"] = ref.name
            data["namespace"] = ref.namespace
        config = parse_config(data)
        warnings = validate_components(config, self.registry) if self.registry else []
        return config, warnings

    def create(self, ref: ProjectRef, template: str | None = None) -> Project:
        """Create a project from a template (``server`` by default); 409 if it exists."""
        raw = templates.render(
            template or templates.DEFAULT_TEMPLATE,
            name=ref.name,
            namespace=ref.namespace,
            templates_dir=self.settings.templates_dir,
        )
        return self.create_from_config(ref, raw)

    def create_from_config(self, ref: ProjectRef, raw: Any) -> Project:
        """Create a project with the given config (its name/namespace set from ``ref``)."""
        config, warnings = self.validate(ref, raw)
        path = self.project_dir(ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir()
        except FileExistsError:
            if self.exists(ref):
                raise Conflict(f"project {ref.namespace}/{ref.name} already exists") from None
        with self._locked(ref):
            if self.exists(ref):
                raise Conflict(f"project {ref.namespace}/{ref.name} already exists")
            write_config_file(path / CONFIG_FILE, config)
        return Project(ref, path, config, warnings)

    def update(self, ref: ProjectRef, raw: Any, if_match: str | None = None) -> Project:
        """Replace the config; an invalid one leaves the stored file untouched.

        With ``if_match`` (an :meth:`etag`), a config changed since is a 412 and stays as is.
        """
        if not self.exists(ref):
            raise NotFound(f"project {ref.namespace}/{ref.name} not found")
        config, warnings = self.validate(ref, raw)
        with self._locked(ref):
            if not self.exists(ref):
                raise NotFound(f"project {ref.namespace}/{ref.name} not found")
            if if_match is not None and if_match not in ("*", self.etag(ref)):
                raise PreconditionFailed(
                    f"project {ref.namespace}/{ref.name} changed since you read it (If-Match "
                    f"{if_match} is not its current ETag); GET it again and reapply your change"
                )
            write_config_file(self.project_dir(ref) / CONFIG_FILE, config)
            etag = self.etag(ref)
        return Project(ref, self.project_dir(ref), config, warnings, etag)

    def etag(self, ref: ProjectRef) -> str:
        """The version of the stored config (a quoted digest of its bytes), for If-Match."""
        try:
            data = (self.project_dir(ref) / CONFIG_FILE).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"project {ref.namespace}/{ref.name} not found") from None
        return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'

    @contextmanager
    def edit(self, ref: ProjectRef) -> Iterator[Project]:
        """Read-modify-write under the project's lock; the config is written on success.

        Mutate ``project.config`` (or assign a new one) inside the block.
        """
        with self._locked(ref):
            project = self._get_fresh(ref)
            yield project
            config = parse_config(config_to_dict(project.config))
            write_config_file(project.path / CONFIG_FILE, config)

    def delete(self, ref: ProjectRef) -> Project:
        """Delete the project and everything under it; returns it as it was."""
        with self._locked(ref):
            project = self.get(ref)
            trash = project.path.with_name(f".deleting-{ref.name}")
            if trash.exists():
                shutil.rmtree(trash)
            project.path.rename(trash)  # atomic: the project is gone at once
        open_stores().close_under(project.path)
        open_stores().close_under(trash)
        shutil.rmtree(trash, ignore_errors=True)
        (self.settings.run_dir / "locks" / ref.namespace / f"{ref.name}.lock").unlink(missing_ok=True)
        return project

    @contextmanager
    def _locked(self, ref: ProjectRef) -> Iterator[None]:
        lock_path = self.settings.run_dir / "locks" / ref.namespace / f"{ref.name}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
