"""Built-in extractors, registered through the `llamafarm.plugins` entry point like any third-party plugin.

One component per module; this module only lists them. Importing it must stay cheap: heavy
libraries are imported inside the components, on first use.
"""

from __future__ import annotations

from llamafarm_core.plugin_api import hookimpl


@hookimpl
def register_extractors() -> list[type]:
    from .content_statistics import ContentStatisticsExtractor
    from .dates import DateTimeExtractor
    from .entities import EntityExtractor
    from .headings import HeadingExtractor
    from .keywords import KeywordExtractor
    from .links import LinkExtractor
    from .paths import PathExtractor
    from .patterns import PatternExtractor
    from .rake import RAKEExtractor
    from .summary import SummaryExtractor
    from .tables import TableExtractor
    from .tfidf import TFIDFExtractor
    from .yake import YAKEExtractor

    return [
        ContentStatisticsExtractor,
        EntityExtractor,
        KeywordExtractor,
        RAKEExtractor,
        YAKEExtractor,
        TFIDFExtractor,
        DateTimeExtractor,
        HeadingExtractor,
        LinkExtractor,
        PatternExtractor,
        SummaryExtractor,
        TableExtractor,
        PathExtractor,
    ]
