"""Named entities by type: spaCy when it and a model are installed locally, else heuristics."""

from __future__ import annotations

import importlib.util
from typing import Any

from pydantic import Field, field_validator

from llamafarm_core.plugin_api import Chunk, ComponentUnavailable, Extractor, PluginConfig, SourceFile

from ._base import unique
from ._entity_rules import recognise
from ._regexes import find_emails, find_phones, find_urls

# Every label a user may ask for; spaCy's LOC is reported as LOCATION.
ENTITY_TYPES = (
    "PERSON", "ORG", "GPE", "LOCATION", "FAC", "NORP", "DATE", "TIME", "MONEY", "PERCENT",
    "EMAIL", "PHONE", "URL", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART", "LANGUAGE",
    "QUANTITY", "ORDINAL", "CARDINAL",
)  # fmt: skip
_ALIASES = {"LOC": "LOCATION", "ORGANIZATION": "ORG", "ORGANISATION": "ORG", "PER": "PERSON"}
# What the heuristic recogniser can produce (the rest need spaCy).
FALLBACK_TYPES = frozenset(ENTITY_TYPES) - {"WORK_OF_ART", "LANGUAGE", "QUANTITY", "ORDINAL", "CARDINAL"}
_SPACY_LABELS = {"LOC": "LOCATION"}


class EntityConfig(PluginConfig):
    entity_types: list[str] = Field(
        default_factory=lambda: sorted(FALLBACK_TYPES),
        description=f"Types to keep, from {', '.join(ENTITY_TYPES)} (LOC is an alias of LOCATION).",
    )
    use_fallback: bool = Field(
        default=True, description="Use the heuristic recogniser when spaCy isn't available."
    )
    min_entity_length: int = Field(
        default=2, ge=1, description="Drop entities shorter than this (characters)."
    )
    spacy_model: str = Field(
        default="en_core_web_sm", description="Installed spaCy model to use (never downloaded)."
    )

    @field_validator("entity_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        out = []
        for raw in value:
            name = _ALIASES.get(raw.strip().upper(), raw.strip().upper())
            if name not in ENTITY_TYPES:
                raise ValueError(f"unknown entity type {raw!r}; known: {', '.join(ENTITY_TYPES)}")
            out.append(name)
        return unique(out)


def load_spacy(model: str) -> Any | None:
    """The spaCy pipeline ``model`` if spaCy and that model are installed, else None.

    Never downloads: ``spacy.load`` of a missing package fails and we return None.
    """
    if importlib.util.find_spec("spacy") is None:
        return None
    import spacy

    try:
        return spacy.load(model)
    except (OSError, ImportError):
        return None


class EntityExtractor(Extractor[EntityConfig]):
    """Adds ``entities`` ({TYPE: [unique texts in order of appearance]}, only types found)
    and ``entity_count`` (the number of unique (type, text) pairs).

    With spaCy and ``spacy_model`` installed, spaCy's NER gives the types it knows and
    regexes add EMAIL, PHONE and URL. Otherwise (``use_fallback``) a heuristic recogniser
    finds emails, URLs, phones, dates, times, money, percentages, organisations by suffix
    or head ("Food and Drug Administration", "University of Iowa", "Acme Corp"), people by
    title or first name, places from a gazetteer, facilities, events, laws, nationalities
    and products (™/® or "Name 2.0"). ``confidence_threshold`` is accepted and ignored:
    neither path yields per-entity scores.
    """

    name = "entities"
    aliases = ("EntityExtractor", "entity_extractor")
    description = "Named entities by type (spaCy if installed locally, else heuristics)."
    ignored_keys = frozenset({"confidence_threshold"})

    def __init__(self, config: EntityConfig, **context: Any) -> None:
        super().__init__(config, **context)
        self._nlp: Any = None
        self._nlp_checked = False

    def _spacy(self) -> Any | None:
        if not self._nlp_checked:
            self._nlp = load_spacy(self.config.spacy_model)
            self._nlp_checked = True
        return self._nlp

    def extract(self, chunks: list[Chunk], source: SourceFile) -> None:
        nlp = self._spacy()
        if nlp is None and not self.config.use_fallback:
            raise ComponentUnavailable(
                f"EntityExtractor: spaCy model {self.config.spacy_model!r} is not installed and "
                "use_fallback is false; install spaCy and the model, or set use_fallback: true"
            )
        for chunk in chunks:
            text = chunk.text or ""
            found = self._spacy_entities(nlp, text) if nlp is not None else self._fallback_entities(text)
            chunk.metadata.update(self._group(found))

    def _wanted(self, label: str) -> bool:
        return label in self.config.entity_types

    def _fallback_entities(self, text: str) -> list[tuple[str, str]]:
        return recognise(text, self._wanted)

    def _spacy_entities(self, nlp: Any, text: str) -> list[tuple[str, str]]:
        nlp.max_length = max(nlp.max_length, len(text) + 1)
        found = [(_SPACY_LABELS.get(e.label_, e.label_), e.text) for e in nlp(text).ents]
        found += [("EMAIL", e) for e in find_emails(text)]
        found += [("PHONE", p) for p in find_phones(text)]
        found += [("URL", u) for u in find_urls(text)]
        return [(label, value) for label, value in found if self._wanted(label)]

    def _group(self, found: list[tuple[str, str]]) -> dict[str, Any]:
        by_type: dict[str, list[str]] = {}
        for label, value in found:
            value = " ".join(value.split())
            if len(value) >= self.config.min_entity_length:
                by_type.setdefault(label, []).append(value)
        entities = {label: unique(values) for label, values in sorted(by_type.items())}
        return {"entities": entities, "entity_count": sum(len(v) for v in entities.values())}
