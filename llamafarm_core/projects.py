"""Projects on disk: ``$LF_DATA_DIR/projects/{namespace}/{project}/llamafarm.yaml``."""

from __future__ import annotations

import hashlib
import shutil
import threading
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
from llamafarm_core.file_locks import file_lock
from llamafarm_core.membership import MemberIndex
from llamafarm_core.names import check_name
from llamafarm_core.open_stores import open_stores
from llamafarm_core.plugins.registry import Registry
from llamafarm_core.plugins.validation import validate_components
from llamafarm_core.settings import Settings

CONFIG_FILE = "llamafarm.yaml"


@cache
def _config_cache() -> ConfigCache:
    return ConfigCache()


def _strip_members(config: LlamaFarmConfig) -> LlamaFarmConfig:
    """The config as written to the YAML: membership lives in the index (members.sqlite)."""
    if not any(d.files for d in config.datasets):
        return config
    return config.model_copy(
        update={"datasets": [d.model_copy(update={"files": []}) for d in config.datasets]}
    )


def _with_members(config: LlamaFarmConfig, members: dict[str, list[str]]) -> LlamaFarmConfig:
    """The config with each dataset's files: the YAML's own list when it has one (not yet
    imported), else the index's."""
    datasets = [
        d if d.files else d.model_copy(update={"files": list(members.get(d.name, []))})
        for d in config.datasets
    ]
    return config.model_copy(update={"datasets": datasets})


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
    read-modify-write goes through :meth:`edit`, which holds a file lock.

    Dataset membership (``datasets[].files``) is kept in the project's
    :class:`~llamafarm_core.membership.MemberIndex`, not in the YAML: :meth:`get` merges it in,
    :meth:`get_bare` (the query and chat paths) does not read it. A YAML that lists ``files``
    (a user's, or one written before the index) is imported on first sight, once.
    """

    def __init__(self, settings: Settings, registry: Registry | None = None) -> None:
        self.settings = settings
        self.registry = registry
        self._merged_lock = threading.Lock()
        # project dir -> (bare config it was merged from, index version, merged config)
        self._merged: dict[str, tuple[LlamaFarmConfig, int, LlamaFarmConfig]] = {}

    def members(self, ref: ProjectRef) -> MemberIndex:
        return MemberIndex(self.project_dir(ref))

    def project_dir(self, ref: ProjectRef) -> Path:
        return self.settings.projects_dir / ref.namespace / ref.name

    def exists(self, ref: ProjectRef) -> bool:
        return (self.project_dir(ref) / CONFIG_FILE).is_file()

    def get(self, ref: ProjectRef) -> Project:
        """The project as stored, with its datasets' members. Its config is shared with other
        readers of this process (parsed once per version of the file, see
        :class:`ConfigCache`; merged once per version of the index): don't mutate it —
        change a config through :meth:`edit` or :meth:`update`."""
        bare = self.get_bare(ref)
        key = str(bare.path)
        index = self.members(ref)
        with self._merged_lock:
            hit = self._merged.get(key)
        if hit is not None and hit[0] is bare.config and hit[1] == index.version():
            return Project(ref, bare.path, hit[2], [])
        version, members = index.all()
        merged = _with_members(bare.config, members)
        with self._merged_lock:
            self._merged[key] = (bare.config, version, merged)
        return Project(ref, bare.path, merged, [])

    def get_bare(self, ref: ProjectRef) -> Project:
        """The project without its datasets' members (``datasets[].files`` empty): costs the
        same whatever the number of files. For the query and chat paths. Shared, read-only."""
        path = self.project_dir(ref)
        config = _config_cache().load(path / CONFIG_FILE)
        if config is None:
            raise NotFound(f"project {ref.namespace}/{ref.name} not found")
        if any(d.files for d in config.datasets):
            with self._locked(ref):  # import the YAML's members into the index, once
                return self._bare_locked(ref)
        return Project(ref, path, config, [])

    def _bare_locked(self, ref: ProjectRef) -> Project:
        """:meth:`get_bare` for a caller holding the project's lock."""
        path = self.project_dir(ref)
        config = _config_cache().load(path / CONFIG_FILE)
        if config is not None and any(d.files for d in config.datasets):
            self._read_locked(ref, migrate=True)
            config = _config_cache().load(path / CONFIG_FILE)
        if config is None:
            raise NotFound(f"project {ref.namespace}/{ref.name} not found")
        return Project(ref, path, config, [])

    def _read_locked(self, ref: ProjectRef, *, migrate: bool = False) -> tuple[Project, set[str]]:
        """Under the project's lock: the config parsed now (the caller may mutate it) with
        its members. With ``migrate``, members the YAML lists move into the index (one
        transaction, then the YAML is rewritten without them; a crash in between imports
        the same lists again: idempotent). Also: the datasets whose members the YAML lists."""
        path = self.project_dir(ref)
        if not (path / CONFIG_FILE).is_file():
            raise NotFound(f"project {ref.namespace}/{ref.name} not found")
        config = load_config_file(path / CONFIG_FILE)
        legacy = {d.name: list(d.files) for d in config.datasets if d.files}
        if migrate and legacy:
            self.members(ref).replace(legacy)
            write_config_file(path / CONFIG_FILE, _strip_members(config))
        _, members = self.members(ref).all()
        return Project(ref, path, _with_members(config, members), []), set(legacy)

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
            index = self.members(ref)
            stale = [name for name in index.all()[1] if config.dataset(name) is None]
            index.replace({d.name: list(d.files) for d in config.datasets}, drop=stale)
            write_config_file(path / CONFIG_FILE, _strip_members(config))
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
            index = self.members(ref)
            gone = [name for name in index.all()[1] if config.dataset(name) is None]
            # the index follows the PUT's datasets[].files (absent = none, as in the YAML)
            index.replace({d.name: list(d.files) for d in config.datasets})
            write_config_file(self.project_dir(ref) / CONFIG_FILE, _strip_members(config))
            if gone:
                index.replace({}, drop=gone)
            etag = self.etag(ref)
        return Project(ref, self.project_dir(ref), config, warnings, etag)

    def etag(self, ref: ProjectRef) -> str:
        """The version of the stored config and its members (a quoted digest of the YAML's
        bytes and the index's version), for If-Match."""
        try:
            data = (self.project_dir(ref) / CONFIG_FILE).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"project {ref.namespace}/{ref.name} not found") from None
        data += b"\0members:%d" % self.members(ref).version()
        return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'

    @contextmanager
    def edit(self, ref: ProjectRef) -> Iterator[Project]:
        """Read-modify-write under the project's lock; the config is written on success.

        Mutate ``project.config`` (or assign a new one) inside the block.
        """
        with self._locked(ref):
            project, legacy = self._read_locked(ref)
            path = project.path / CONFIG_FILE
            before = {d.name: list(d.files) for d in project.config.datasets}
            yield project
            config = parse_config(config_to_dict(project.config))
            index = self.members(ref)
            changed = {
                d.name: list(d.files)
                for d in config.datasets
                if d.name in legacy or before.get(d.name) != d.files
            }
            if changed:  # before the YAML: a crash between leaves members of a kept dataset
                index.replace(changed)
            write_config_file(path, _strip_members(config))
            gone = [name for name in before if config.dataset(name) is None]
            if gone:
                index.replace({}, drop=gone)

    def add_members(self, ref: ProjectRef, dataset: str, hashes: list[str]) -> list[bool] | None:
        """Append files to a dataset's members (one transaction; the YAML is not touched).
        For each hash, whether it was already a member; None if there is no such dataset."""
        with self._locked(ref):
            if self._bare_locked(ref).config.dataset(dataset) is None:
                return None
            return self.members(ref).add(dataset, hashes)

    def remove_member(self, ref: ProjectRef, dataset: str, file_hash: str) -> bool | None:
        """Take a file out of a dataset's members: whether it was one; None without such
        a dataset."""
        with self._locked(ref):
            if self._bare_locked(ref).config.dataset(dataset) is None:
                return None
            return self.members(ref).remove(dataset, file_hash)

    def delete(self, ref: ProjectRef) -> Project:
        """Delete the project and everything under it; returns it as it was."""
        with self._locked(ref):
            project = self._read_locked(ref)[0]
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
        with file_lock(self.settings.run_dir / "locks" / ref.namespace / f"{ref.name}.lock", exclusive=True):
            yield
