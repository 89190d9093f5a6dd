"""The plugin-manager factory. There is no global manager: callers build one and keep it."""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from llamafarm_core.plugins import hookspecs


def get_plugin_manager(
    *, load_entrypoints: bool = True, extra_plugins: Iterable[object] = ()
) -> pluggy.PluginManager:
    """A manager with our hookspecs, the installed ``llamafarm.plugins`` entry points and
    ``extra_plugins`` (modules or objects with hookimpls, e.g. in tests).

    ``check_pending`` makes a misspelled hook name fail here instead of being ignored.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm
