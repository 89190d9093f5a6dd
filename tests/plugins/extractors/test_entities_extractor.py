"""EntityExtractor: the heuristic recogniser (spaCy is not installed here) and its options."""

from __future__ import annotations

import pytest
from llamafarm_extractors.entities import load_spacy

from llamafarm_core.errors import ComponentUnavailable
from llamafarm_core.testing.extractors import ExtractorContract


class TestEntitiesContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build(
            "EntityExtractor", entity_types=["ORG", "DATE", "PERSON", "PRODUCT"], min_entity_length=2
        )

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [fda_text, aero_text]

    @pytest.fixture
    def expected_keys(self):
        return {"entities", "entity_count"}


@pytest.fixture
def entities(one):
    def _entities(text: str, **config):
        return one("entities", text, **config)["entities"]

    return _entities


def test_press_release(entities, fda_text):
    found = entities(fda_text)
    assert "Food and Drug Administration" in " | ".join(found["ORG"])
    assert "FDA" in found["ORG"]
    assert "Acme Pharmaceuticals Inc." in found["ORG"]
    assert "Center for Drug Evaluation and Research" in found["ORG"]
    assert found["PERSON"] == ["Jane Smith"]
    assert "March 5, 2024" in found["DATE"]
    assert found["EMAIL"] == ["jane.doe@fda.gov"]
    assert found["PHONE"] == ["(301) 555-0100"]
    assert found["URL"] == ["https://www.fda.gov/drugs/new-drugs"]
    assert found["MONEY"] == ["$3.2 million"]
    assert found["PERCENT"] == ["1.5 percent"]
    assert found["TIME"] == ["5:00 pm"]


def test_plain_org_name(entities):
    assert entities("A statement from the Food and Drug Administration followed.")["ORG"] == [
        "Food and Drug Administration"
    ]


def test_entity_count_counts_unique_values(one):
    meta = one("entities", "Write to a@b.org, then a@b.org again, or c@d.org.", entity_types=["EMAIL"])
    assert meta["entities"] == {"EMAIL": ["a@b.org", "c@d.org"]}
    assert meta["entity_count"] == 2


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        ("She studied at the University of Iowa last year.", "ORG", "University of Iowa"),
        ("Shares of Globex Corp rose.", "ORG", "Globex Corp"),
        ("He flew from Paris to Germany.", "GPE", "Germany"),
        ("They sailed down the Mississippi River.", "LOCATION", "Mississippi River"),
        ("We crossed the Golden Gate Bridge.", "FAC", "Golden Gate Bridge"),
        ("The Clean Air Act was amended.", "LAW", "Clean Air Act"),
        ("See 21 CFR 314.50 for details.", "LAW", "21 CFR 314.50"),
        ("Dr. Lee presented the results.", "PERSON", "Lee"),
        ("The memo was written by John F. Kennedy.", "PERSON", "John F. Kennedy"),
        ("Commissioner Robert Califf spoke.", "PERSON", "Robert Califf"),
        ("The Acme Widget™ ships soon.", "PRODUCT", "Acme Widget"),
        ("Upgrade to Windows 11 today.", "PRODUCT", "Windows 11"),
        ("The plant opened in 1998.", "DATE", "1998"),
        ("We met yesterday.", "DATE", "yesterday"),
        ("Several American firms joined.", "NORP", "American"),
        ("He spoke at the Paris Air Show.", "EVENT", "Paris Air Show"),
    ],
)
def test_fallback_types(entities, text, label, value):
    assert value in entities(text).get(label, []), entities(text)


def test_no_false_people_or_products(entities):
    found = entities(
        "General Motors and Mary Johnson met. See Section 4 and Table 2. Yesterday The Report came."
    )
    assert found.get("PERSON") == ["Mary Johnson"]
    assert found.get("ORG") == ["General Motors"]
    assert "PRODUCT" not in found


def test_entity_types_filter_and_aliases(one):
    text = "The Mississippi River flows past Memphis. Email x@y.com."
    meta = one("entities", text, entity_types=["loc", "EMAIL"])
    assert set(meta["entities"]) == {"LOCATION", "EMAIL"}


def test_min_entity_length(entities):
    assert "UN" in entities("The UN met.")["ORG"]
    assert "ORG" not in entities("The UN met.", min_entity_length=3)


def test_lower_case_text_finds_no_names(entities, aero_text):
    found = entities(aero_text)
    assert not {"PERSON", "ORG", "GPE"} & set(found)


def test_unknown_entity_type_is_a_config_error(build):
    from llamafarm_core.errors import PluginError

    with pytest.raises(PluginError, match=r"config\.entity_types.*unknown entity type 'PEOPLE'"):
        build("entities", entity_types=["PERSON", "PEOPLE"])


def test_confidence_threshold_is_accepted_and_reported(registry):
    from llamafarm_core.components.kinds import PluginKind

    built = registry.validate_config(
        PluginKind.EXTRACTOR, "EntityExtractor", {"confidence_threshold": 0.9}, where="x.config"
    )
    assert built.warnings == [
        "x.config.confidence_threshold: accepted for compatibility, ignored by entities"
    ]


def test_without_spacy_and_without_fallback(build, source):
    extractor = build("entities", use_fallback=False)
    chunks = [__import__("llamafarm_core.documents").documents.Chunk("Jane Smith works at Acme Corp.")]
    if load_spacy("en_core_web_sm") is None:
        with pytest.raises(ComponentUnavailable, match="use_fallback"):
            extractor.extract(chunks, source)
    else:
        extractor.extract(chunks, source)
        assert "entities" in chunks[0].metadata


def test_missing_spacy_model_is_none():
    assert load_spacy("no_such_model_xyz") is None
