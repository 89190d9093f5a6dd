"""Built-in providers, registered through the `llamafarm.plugins` entry point like any third-party plugin.

One component per module; this module only lists them. Importing it must stay cheap: heavy
libraries are imported inside the components, on first use.
"""

from __future__ import annotations

from llamafarm_core.plugin_api import hookimpl


@hookimpl
def register_model_providers() -> list[type]:
    from llamafarm_providers.llamacpp import LlamaCppProvider
    from llamafarm_providers.ollama_api import OllamaProvider
    from llamafarm_providers.openai_compat import OpenAIProvider

    return [LlamaCppProvider, OpenAIProvider, OllamaProvider]
