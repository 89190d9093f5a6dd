"""PatternExtractor: built-in patterns with validation, custom regexes, config errors."""

from __future__ import annotations

import pytest
from llamafarm_extractors.patterns import isbn_valid, luhn_valid

from llamafarm_core.components.kinds import PluginKind
from llamafarm_core.errors import PluginError
from llamafarm_core.testing.extractors import ExtractorContract


class TestPatternsContract(ExtractorContract):
    @pytest.fixture
    def extractor(self, build):
        return build("PatternExtractor", custom_patterns={"nda": r"NDA\s?\d{6}"})

    @pytest.fixture
    def sample_texts(self, fda_text, aero_text):
        return [fda_text, aero_text, "Application NDA 214567 was filed from 10.0.0.1."]

    @pytest.fixture
    def expected_keys(self):
        return {"patterns", "pattern_count"}


@pytest.fixture
def patterns(one):
    def _patterns(text: str, **config):
        return one("patterns", text, **config)["patterns"]

    return _patterns


@pytest.mark.parametrize(
    ("name", "text", "matches"),
    [
        ("email", "Write to jane.doe@fda.gov today.", ["jane.doe@fda.gov"]),
        ("phone", "Call 301-555-0100 or +44 20 7946 0958.", ["301-555-0100", "+44 20 7946 0958"]),
        ("url", "Visit https://fda.gov/x.", ["https://fda.gov/x"]),
        (
            "ip",
            "Hosts 192.168.1.10, 999.1.1.1, 2001:db8::8a2e:370:7334 and ::1.",
            ["192.168.1.10", "2001:db8::8a2e:370:7334", "::1"],
        ),
        ("zip", "Silver Spring, MD 20993 or 20993-0002; not 12345 alone.", ["20993", "20993-0002"]),
        (
            "isbn",
            "ISBN 0-306-40615-2 and 978-0-306-40615-7; not ISBN 0-306-40615-3.",
            ["0-306-40615-2", "978-0-306-40615-7"],
        ),
        ("doi", "See doi:10.1000/xyz123, please.", ["10.1000/xyz123"]),
        ("uuid", "id 123e4567-e89b-12d3-a456-426614174000.", ["123e4567-e89b-12d3-a456-426614174000"]),
        (
            "currency",
            "It cost $1,250.50, €3 million or 40 dollars.",
            ["$1,250.50", "€3 million", "40 dollars"],
        ),
        ("percentage", "Up 12.5% or 3 percent.", ["12.5%", "3 percent"]),
        ("credit_card", "Card 4111 1111 1111 1111; bad 4111 1111 1111 1112.", ["4111 1111 1111 1111"]),
        ("ssn", "SSN 123-45-6789; invalid 000-12-3456 and 666-12-3456.", ["123-45-6789"]),
        ("date", "On March 5, 2024 and 2024-03-06.", ["March 5, 2024", "2024-03-06"]),
        ("time", "At 14:30 or 2 pm.", ["14:30", "2 pm"]),
        ("hashtag", "Tagged #FDA and #drug_safety.", ["#FDA", "#drug_safety"]),
        ("mention", "Thanks @fda but not me@x.org.", ["@fda"]),
        (
            "version",
            "Upgrade to v2.1.0 or 3.4.5-beta.1, version 10.2; not 3.14 or 05.03.2024.",
            ["v2.1.0", "3.4.5-beta.1", "10.2"],
        ),
    ],
)
def test_builtins(patterns, name, text, matches):
    assert patterns(text, patterns=[name]).get(name, []) == matches


def test_luhn_rejects_invalid_cards(patterns):
    assert luhn_valid("4111111111111111") and luhn_valid("5500005555555559")
    assert not luhn_valid("4111111111111112")
    assert patterns("Card 4111-1111-1111-1112 and 1234 5678 9012 3456.", patterns=["credit_card"]) == {}


def test_isbn_check_digits():
    assert isbn_valid("0-306-40615-2") and isbn_valid("978-0-306-40615-7") and isbn_valid("0-8044-2957-X")
    assert not isbn_valid("978-0-306-40615-8")


def test_default_runs_all_builtins_and_counts(one):
    meta = one("patterns", "Mail a@b.org from 10.0.0.1 at 14:30, up 5%.")
    assert meta["patterns"] == {
        "email": ["a@b.org"],
        "ip": ["10.0.0.1"],
        "time": ["14:30"],
        "percentage": ["5%"],
    }
    assert meta["pattern_count"] == 4


def test_aliases_of_the_original(patterns):
    assert patterns("From 10.0.0.1.", patterns=["ip_address"]) == {"ip": ["10.0.0.1"]}


def test_custom_patterns_and_case(patterns):
    text = "Files NDA 214567, nda 000001 and NDA123456."
    assert patterns(text, patterns=[], custom_patterns={"nda": r"NDA\s?\d{6}"}) == {
        "nda": ["NDA 214567", "NDA123456"]
    }
    insensitive = patterns(text, patterns=[], custom_patterns={"nda": r"NDA\s?\d{6}"}, case_sensitive=False)
    assert insensitive == {"nda": ["NDA 214567", "nda 000001", "NDA123456"]}


def test_custom_patterns_in_the_original_list_form(patterns):
    found = patterns(
        "Ticket ABC-123.",
        patterns=[],
        custom_patterns=[{"name": "ticket", "pattern": r"[A-Z]{3}-\d+", "description": "x"}],
    )
    assert found == {"ticket": ["ABC-123"]}


def test_groups_do_not_change_the_match(patterns):
    assert patterns("Ref A-1 and B-2.", patterns=[], custom_patterns={"ref": r"([A-Z])-(\d)"}) == {
        "ref": ["A-1", "B-2"]
    }


def test_invalid_regex_names_the_key(registry):
    with pytest.raises(PluginError) as err:
        registry.validate_config(
            PluginKind.EXTRACTOR,
            "PatternExtractor",
            {"custom_patterns": {"good": r"\d+", "broken": r"(unclosed"}},
            where="rag.data_processing_strategies[0].extractors[1].config",
        )
    message = err.value.message
    assert "rag.data_processing_strategies[0].extractors[1].config.custom_patterns.broken" in message
    assert "invalid regular expression" in message and "good" not in message


def test_unknown_builtin_and_name_clash_are_errors(build):
    with pytest.raises(PluginError, match=r"config\.patterns.*unknown pattern 'iban'"):
        build("patterns", patterns=["email", "iban"])
    with pytest.raises(PluginError, match="clash with built-in"):
        build("patterns", custom_patterns={"email": r"\w+@\w+"})


def test_max_matches(patterns):
    text = " ".join(f"user{i}@example.org" for i in range(20))
    assert len(patterns(text, patterns=["email"], max_matches=5)["email"]) == 5


def test_original_keys_accepted(build):
    build("PatternExtractor", include_context=True, context_window=30)
