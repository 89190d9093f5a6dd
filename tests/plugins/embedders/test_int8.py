"""``precision: int8``: int8 matrix products, one text per forward pass, on x86-64 CPUs with
AVX2 (8-bit weights with VNNI, 7-bit without, so fbgemm's int16 sums can't saturate);
float32 (said once in the log) everywhere else."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from llamafarm_embedders import int8, precision
from llamafarm_embedders.cpu_flags import cpu_flags
from llamafarm_embedders.precision import batch_size_for, resolve_precision
from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder

TEXTS = [
    "Heat transfer in laminar flow over a flat plate at supersonic speed.",
    "Drag.",
    "An experimental study of boundary layer transition on a swept wing, with pressure "
    "distributions measured at three Mach numbers and compared with linear theory. " * 3,
    "Buckling of thin cylindrical shells under axial compression and external pressure.",
]
needs_int8 = pytest.mark.skipif(
    int8.unavailable() is not None, reason=f"this CPU can't run int8: {int8.unavailable()}"
)


def cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: other\n")
    return path


def test_cpu_flags_are_the_first_cpus(tmp_path: Path) -> None:
    assert cpu_flags.__wrapped__(cpuinfo(tmp_path, "fpu avx2 avx512_vnni")) == {"fpu", "avx2", "avx512_vnni"}
    assert cpu_flags.__wrapped__(tmp_path / "missing") == frozenset()


@pytest.mark.parametrize(
    ("machine", "flags", "reason"),
    [
        ("x86_64", {"avx2", "avx512f", "avx512_vnni"}, None),
        ("x86_64", {"avx2"}, None),  # 7-bit weights (weight_levels)
        ("x86_64", {"sse4_2", "avx"}, "AVX2"),  # fbgemm has no int8 kernel below AVX2
        ("arm64", set(), "x86-64"),
    ],
)
def test_int8_runs_on_x86_with_avx2(
    monkeypatch: pytest.MonkeyPatch, machine: str, flags: set[str], reason: str | None
) -> None:
    monkeypatch.setattr(int8.platform, "machine", lambda: machine)
    monkeypatch.setattr(int8, "cpu_flags", lambda: frozenset(flags))
    # the flags decide; the kernel's own check is the next tests' (it runs on this CPU's flags)
    monkeypatch.setattr(int8, "saturation_error", lambda: 0.0)
    said = int8.unavailable.__wrapped__()
    assert said is None if reason is None else reason in said


@pytest.mark.parametrize(("flags", "levels"), [({"avx2", "avx512_vnni"}, 127), ({"avx2", "avx512bw"}, 63)])
def test_weights_give_up_a_bit_where_the_kernel_sums_in_int16(
    monkeypatch: pytest.MonkeyPatch, flags: set[str], levels: int
) -> None:
    monkeypatch.setattr(int8, "cpu_flags", lambda: frozenset(flags))
    assert int8.weight_levels() == levels


@needs_int8
def test_the_saturation_probe_tells_a_kernel_that_would_saturate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The levels chosen for this CPU compute the probe exactly; 8-bit weights on a CPU
    without VNNI saturate fbgemm's int16 sums, and int8 then says so and stays off."""
    assert int8.saturation_error() < 1e-4
    monkeypatch.setattr(int8, "weight_levels", lambda: 127)
    if int8.VNNI_FLAG in cpu_flags():
        assert int8.saturation_error() < 1e-4  # int32 sums: 8 bits fit
    else:
        assert int8.saturation_error() > 0.3
        said = int8.unavailable.__wrapped__()
        assert said is not None and "saturate" in said


def test_int8_where_it_cannot_run_is_float32_said_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(int8, "unavailable", lambda: "int8 needs a CPU with AVX2 (test)")
    precision._say_once.cache_clear()
    with caplog.at_level(logging.INFO, logger=precision.__name__):
        assert [resolve_precision("cpu", "int8") for _ in range(3)] == ["float32"] * 3
    # INFO: the rag template asks for int8, and a CPU without it is no fault of the user's
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "embedder precision int8: int8 needs a CPU with AVX2 (test); computing in float32")
    ]
    monkeypatch.setattr(int8, "unavailable", lambda: None)
    assert resolve_precision("cpu", "int8") == "int8"
    assert resolve_precision("cuda", "int8") == "float32"  # other devices keep their default
    assert resolve_precision("cpu", "auto") != "int8"  # lossy: never chosen for the user


def test_int8_runs_one_text_per_forward_pass() -> None:
    assert batch_size_for(32, cpu=True, precision="int8") == 1
    assert batch_size_for(32, cpu=True, precision="float32") == 16


@pytest.mark.slow
@needs_int8
def test_int8_vectors_stay_close_to_float32_and_every_matrix_product_is_int8() -> None:
    import torch

    fp32 = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="float32"))
    q8 = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="int8"))
    model = q8._model().model
    assert q8._model().precision == "int8" and q8.model_id == fp32.model_id  # the same model
    assert not [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert sum(type(m).__name__ == "Int8Linear" for m in model.modules()) == 6 * 6 + 1  # + pooler
    a, b = np.array(fp32.embed(TEXTS)), np.array(q8.embed(TEXTS))
    assert not np.array_equal(a, b)  # it did run in int8
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.98 and cosine.mean() > 0.99
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
@needs_int8
def test_an_int8_vector_depends_on_its_text_alone() -> None:
    """One activation scale per text: the same vector alone, in any call, in any order."""
    q8 = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="int8"))
    together = np.array(q8.embed(TEXTS))
    alone = np.array([q8.embed([text])[0] for text in TEXTS])
    reversed_ = np.array(q8.embed(TEXTS[::-1]))[::-1]
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(together, reversed_)


@pytest.mark.slow
@needs_int8
def test_int8_ranks_like_float32() -> None:
    """Queries in either precision against int8 documents find the same best document."""
    docs = TEXTS[:1] + TEXTS[2:]
    queries = ["supersonic heat transfer flat plate", "swept wing transition", "shell buckling"]
    fp32 = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="float32"))
    q8 = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="int8"))
    stored = np.array(q8.embed(docs))
    for asked in (q8, fp32):
        best = (np.array(asked.embed(queries)) @ stored.T).argmax(axis=1)
        assert best.tolist() == [0, 1, 2]


def test_a_torch_without_the_quantized_ops_is_float32_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch marks quantized tensors deprecated: if a later torch drops them, int8 says why
    and the embedder computes in float32."""
    import torch

    def gone(*_: object, **__: object) -> None:
        raise RuntimeError("quantized tensors were removed")

    monkeypatch.setattr(torch, "quantize_per_channel", gone)
    monkeypatch.setattr(int8.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(int8, "cpu_flags", lambda: frozenset({"avx2", "avx512_vnni"}))
    said = int8.unavailable.__wrapped__()
    assert said is not None and "quantized tensors were removed" in said
