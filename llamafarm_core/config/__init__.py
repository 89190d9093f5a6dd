"""The ``llamafarm.yaml`` schema (v1), its loader and the project templates."""

from llamafarm_core.config.loader import dump_config, load_config_file, parse_config
from llamafarm_core.config.models import LlamaFarmConfig

__all__ = ["LlamaFarmConfig", "dump_config", "load_config_file", "parse_config"]
