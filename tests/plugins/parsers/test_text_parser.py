"""The text parser: contract, encodings, binary input, huge lines, odd file names."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from llamafarm_parsers.text_parser import TextParser

from llamafarm_core.errors import ParseFailed
from llamafarm_core.testing.parsers import ParserContract, ParserSample

MARKER = "The blue llama crossed the Andes at dawn."


class TestTextParserContract(ParserContract):
    @pytest.fixture
    def parser(self, build):
        return build("TextParser_Python", chunk_size=300, chunk_overlap=40)

    @pytest.fixture
    def sample(self, make_prose: Callable[..., str]) -> ParserSample:
        return ParserSample(make_prose(9, MARKER).encode(), "notes.txt", MARKER)


def test_aliases_build_the_same_parser(build) -> None:
    for name in ("text", "TextParser_Python", "TextParser_LlamaIndex"):
        assert isinstance(build(name), TextParser)


def test_default_strategy_packs_whole_paragraphs(parse, make_prose) -> None:
    text = make_prose(6)
    paragraphs = text.split("\n\n")
    result = parse("text", text.encode(), "a.txt", chunk_size=2 * len(paragraphs[0]) + 10, chunk_overlap=0)
    assert result.warnings == []
    # each chunk is whole paragraphs, two per chunk
    assert [c.text for c in result.chunks] == ["\n\n".join(paragraphs[i : i + 2]) for i in range(0, 6, 2)]


def test_cp1252_text_is_decoded_with_a_warning(parse) -> None:
    data = "Caf\u00e9 cr\u00e8me \u2013 \u201cquoted\u201d for \u20ac5.".encode("cp1252")
    result = parse("text", data, "menu.txt")
    assert result.chunks[0].text == "Caf\u00e9 cr\u00e8me \u2013 \u201cquoted\u201d for \u20ac5."
    assert any("not valid UTF-8" in w and "cp1252" in w for w in result.warnings)


def test_latin1_bytes_cp1252_cannot_decode_still_decode(parse) -> None:
    data = (
        b"Stra\xdfe number one, then a stray byte \x81 in a longer line of text."  # 0x81: undefined in cp1252
    )
    result = parse("text", data, "x.txt")
    assert "Stra\u00dfe" in result.chunks[0].text
    assert any("latin-1" in w for w in result.warnings)


def test_configured_encoding_is_used(parse) -> None:
    data = "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440".encode("koi8_r")
    result = parse("text", data, "ru.txt", encoding="koi8_r")
    assert result.chunks[0].text == "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440"
    assert result.warnings == []


def test_utf16_with_bom_is_decoded(parse) -> None:
    result = parse("text", "hello \u00fcber world".encode("utf-16"), "u.txt")
    assert result.chunks[0].text == "hello \u00fcber world"


def test_unknown_encoding_is_a_config_error(build) -> None:
    from llamafarm_core.errors import PluginError

    with pytest.raises(PluginError, match="unknown encoding 'klingon'"):
        build("text", encoding="klingon")


def test_binary_garbage_named_txt_fails(parse) -> None:
    garbage = random.Random(7).randbytes(4096)
    with pytest.raises(ParseFailed, match="binary"):
        parse("text", garbage, "data.txt")


def test_binary_without_nul_bytes_fails_on_control_characters(parse) -> None:
    rng = random.Random(3)
    garbage = bytes(b for b in rng.randbytes(6000) if b)[:3000]
    assert b"\x00" not in garbage
    with pytest.raises(ParseFailed, match="control characters"):
        parse("text", garbage, "data.txt")


def test_whitespace_only_file_fails(parse) -> None:
    with pytest.raises(ParseFailed, match="no text"):
        parse("text", b" \n\n\t \n", "blank.txt")


def test_huge_single_line_is_chunked_by_characters_quickly(parse) -> None:
    data = b"x" * 2_000_000
    started = time.perf_counter()
    result = parse("text", data, "big.txt", chunk_size=1000, chunk_overlap=100)
    elapsed = time.perf_counter() - started
    assert all(len(c.text) <= 1000 for c in result.chunks)
    # no word boundaries: pieces overlap by exactly chunk_overlap characters
    assert sum(len(c.text) for c in result.chunks) - 100 * (len(result.chunks) - 1) == 2_000_000
    assert elapsed < 10  # generous: the bench measures speed; this only catches quadratic blow-ups


def test_huge_line_of_words_splits_on_word_boundaries(parse) -> None:
    data = ("lorem ipsum dolor " * 120_000).encode()
    result = parse("text", data, "words.txt", chunk_size=500, chunk_overlap=50)
    assert all(len(c.text) <= 500 for c in result.chunks)
    words = {"lorem", "ipsum", "dolor"}
    assert all(set(c.text.split()) <= words for c in result.chunks)


def test_path_parts_in_the_name_are_ignored(parse) -> None:
    result = parse("auto", b"root:x:0:0", "../../etc/passwd.txt")
    assert result.chunks[0].text == "root:x:0:0"


def test_unknown_strategy_name_is_rejected_with_the_known_ones(build) -> None:
    from llamafarm_core.errors import PluginError

    with pytest.raises(PluginError) as info:
        build("text", chunk_strategy="banana")
    assert "banana" in info.value.message
    assert "paragraphs" in info.value.message and "sentences" in info.value.message


@pytest.mark.parametrize(
    ("asked", "used"),
    [("semantic", "paragraphs"), ("tokens", "characters"), ("rows", "paragraphs"), ("pages", "paragraphs")],
)
def test_unimplemented_strategies_fall_back_with_a_warning(parse, make_prose, asked: str, used: str) -> None:
    result = parse("text", make_prose(4).encode(), "a.txt", chunk_strategy=asked)
    assert len(result.warnings) == 1
    assert repr(asked) in result.warnings[0] and repr(used) in result.warnings[0]


def test_strategy_names_are_case_insensitive(parse, make_prose) -> None:
    result = parse("text", make_prose(3).encode(), "a.txt", chunk_strategy="Sentences")
    assert result.warnings == []


def test_sentences_strategy_ends_chunks_at_sentence_ends(parse, make_prose) -> None:
    text = make_prose(5)
    result = parse(
        "text", text.encode(), "s.txt", chunk_strategy="sentences", chunk_size=200, chunk_overlap=0
    )
    assert all(c.text.rstrip().endswith((".", "!", "?")) for c in result.chunks)
    assert all(len(c.text) <= 200 for c in result.chunks)


def test_hash_named_blob_is_never_consulted_for_type(tmp_path: Path, build) -> None:
    from llamafarm_core.testing.parsers import make_source

    source = make_source(tmp_path, b"plain words", "readme.txt")
    assert source.path.suffix == ""  # stored by sha256, no extension
    assert build("text").parse(source).chunks[0].text == "plain words"


def test_utf8_with_a_few_bad_bytes_stays_utf8(parse) -> None:
    data = "na\u00efve caf\u00e9 \u2014 \u65e5\u672c ".encode() + b"\xff" + " r\u00e9sum\u00e9".encode()
    result = parse("text", data, "mixed.txt")
    assert result.chunks[0].text == "na\u00efve caf\u00e9 \u2014 \u65e5\u672c \ufffd r\u00e9sum\u00e9"
    assert result.warnings == [
        "mixed.txt has 1 invalid UTF-8 byte sequence(s); they were replaced with \ufffd"
    ]


def test_a_zip_without_a_workbook_part_fails_clearly(parse) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(ParseFailed, match="x.xlsx is not a valid Excel .xlsx workbook"):
        parse("xlsx", buf.getvalue(), "x.xlsx")


def test_an_unexpected_error_inside_a_parser_fails_that_file_with_its_reason(tmp_path: Path) -> None:
    from llamafarm_parsers.base import BuiltinParser, BuiltinParserConfig

    from llamafarm_core.documents import ParseResult, SourceFile
    from llamafarm_core.testing.parsers import make_source

    class Choking(BuiltinParser):
        name = "choking"

        def parse_data(self, data: bytes, source: SourceFile, strategy: str) -> ParseResult:
            return ParseResult([], [], {"x": {}["missing"]})

    with pytest.raises(ParseFailed, match=r"odd.bin could not be read by the choking parser \(KeyError"):
        Choking(BuiltinParserConfig()).parse(make_source(tmp_path, b"data", "odd.bin"))
