"""Plugin discovery: pluggy hookspecs, a plugin-manager factory and the registry by name."""

from llamafarm_core.plugins.hookspecs import hookimpl, hookspec
from llamafarm_core.plugins.manager import get_plugin_manager
from llamafarm_core.plugins.registry import PluginInfo, Registry, build_registry

__all__ = ["PluginInfo", "Registry", "build_registry", "get_plugin_manager", "hookimpl", "hookspec"]
