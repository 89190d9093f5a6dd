"""The bundled embedder's forward precision: bfloat16 only where the CPU has it natively,
and its vectors interchangeable with float32 ones."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from llamafarm_embedders import precision
from llamafarm_embedders.precision import bf16_pays, cpu_has_native_bf16, resolve_precision
from llamafarm_embedders.sentence_transformer import SentenceTransformerConfig, SentenceTransformerEmbedder
from pydantic import ValidationError

TEXTS = [
    "Heat transfer in laminar flow over a flat plate at supersonic speed.",
    "Drag.",
    "An experimental study of boundary layer transition on a swept wing " * 8,
]


def flags(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Some CPU\n{line}\n\nprocessor\t: 1\n")
    return path


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path: Path) -> None:
    assert cpu_has_native_bf16.__wrapped__(flags(tmp_path, "flags\t: fpu sse2 avx2 avx512_bf16 avx512f"))
    assert cpu_has_native_bf16.__wrapped__(flags(tmp_path, "flags\t: fpu avx2 amx_bf16 amx_tile"))
    # AVX512BW alone only emulates bfloat16 (slower than float32): not native
    assert not cpu_has_native_bf16.__wrapped__(flags(tmp_path, "flags\t: fpu avx2 avx512f avx512bw"))
    assert not cpu_has_native_bf16.__wrapped__(tmp_path / "missing")


def test_auto_takes_bfloat16_only_where_it_is_native_and_measured_faster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for native, pays, expected in [
        (True, True, "bfloat16"),
        (True, False, "float32"),  # e.g. AVX512-BF16 without AMX on an Intel Xeon: slower
        (False, True, "float32"),
    ]:
        monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda native=native: native)
        monkeypatch.setattr(precision, "bf16_pays", lambda pays=pays: pays)
        assert resolve_precision("cpu", "auto") == expected


def test_fast_takes_int8_unless_bfloat16_is_clearly_faster_than_its_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(precision.int8, "unavailable", lambda: None)
    for native, int8_ms, bf16_ms, expected in [
        (True, 3.1, 1.2, "bfloat16"),  # AMX (measured: 3.12 against 1.16 ms)
        (True, 3.1, 2.6, "int8"),  # bfloat16 faster, but not by the margin
        (True, 10.0, 46.0, "int8"),  # AVX512-BF16 without AMX: bfloat16 slower than float32
        (False, 3.1, 1.2, "int8"),  # emulated bfloat16 is never the fast one (not even probed)
    ]:
        times = {"float32": 8.0, "int8": int8_ms, "bfloat16": bf16_ms}
        monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda native=native: native)
        monkeypatch.setattr(precision, "_probe", lambda int8_too, times=times: times if int8_too else {})
        assert precision.fastest.__wrapped__() == expected, (native, int8_ms, bf16_ms)


def test_fast_without_int8_is_what_auto_picks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision.int8, "unavailable", lambda: "no AVX2 here")
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    for pays, expected in [(True, "bfloat16"), (False, "float32")]:
        monkeypatch.setattr(precision, "bf16_pays", lambda pays=pays: pays)
        assert precision.fastest.__wrapped__() == expected


def test_one_query_is_int8_under_fast_wherever_int8_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "fastest", lambda: "bfloat16")
    monkeypatch.setattr(precision.int8, "unavailable", lambda: None)
    assert precision.resolve_query_precision("cpu", "fast") == "int8"
    assert precision.resolve_query_precision("cpu", "bfloat16") == "bfloat16"  # only fast differs
    assert precision.resolve_query_precision("cuda", "fast") == "float32"
    monkeypatch.setattr(precision.int8, "unavailable", lambda: "no AVX2 here")
    assert precision.resolve_query_precision("cpu", "fast") == "bfloat16"  # as its batches


def test_a_failed_probe_never_reads_as_bfloat16_winning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> dict[str, float]:
        raise RuntimeError("no oneDNN kernel")

    monkeypatch.setattr(precision, "matmul_times", broken)
    monkeypatch.setattr(precision.int8, "unavailable", lambda: None)
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    assert bf16_pays.__wrapped__() is False
    assert precision.fastest.__wrapped__() == "int8"
    assert "probe failed (RuntimeError: no oneDNN kernel)" in caplog.text


def test_the_probe_times_the_three_kernels_and_leaves_torch_threads_alone() -> None:
    import torch

    threads = torch.get_num_threads()
    times = precision.matmul_times(rows=64, rounds=1, int8_too=precision.int8.unavailable() is None)
    assert torch.get_num_threads() == threads
    expected = {"float32", "bfloat16"} | ({"int8"} if precision.int8.unavailable() is None else set())
    assert set(times) == expected and all(0 < t < 1 for t in times.values())


def test_the_probe_measures_in_its_own_thread_once() -> None:
    import torch

    def fresh_thread_gets() -> int:
        got: list[int] = []
        thread = threading.Thread(target=lambda: got.append(torch.get_num_threads()))
        thread.start()
        thread.join()
        return got[0]

    threads, fresh = torch.get_num_threads(), fresh_thread_gets()
    assert isinstance(bf16_pays.__wrapped__(), bool)  # a fresh measurement
    # the probe's one torch thread is not left to the caller nor to threads started later
    assert (torch.get_num_threads(), fresh_thread_gets()) == (threads, fresh)
    assert bf16_pays() is bf16_pays()  # cached: measured once per process


def test_auto_follows_the_cpu_and_other_devices_keep_float32() -> None:
    expected = "bfloat16" if cpu_has_native_bf16() and bf16_pays() else "float32"
    assert resolve_precision("cpu", "auto") == expected
    assert resolve_precision("cpu", "float32") == "float32"
    assert resolve_precision("cpu", "bfloat16") == "bfloat16"
    assert resolve_precision("cuda", "bfloat16") == "float32"
    assert resolve_precision("cpu", "fast") == precision.fastest()
    assert resolve_precision("cpu", "fast") in (
        {"int8", "bfloat16"} if precision.int8.unavailable() is None else {expected}
    )
    assert resolve_precision("cuda", "fast") == "float32"


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ValidationError, match="precision"):
        SentenceTransformerConfig(precision="int4")  # type: ignore[arg-type]


@pytest.mark.slow
def test_bfloat16_vectors_match_float32_ones() -> None:
    fp32 = np.array(SentenceTransformerEmbedder(SentenceTransformerConfig(precision="float32")).embed(TEXTS))
    bf16 = np.array(SentenceTransformerEmbedder(SentenceTransformerConfig(precision="bfloat16")).embed(TEXTS))
    assert bf16.dtype == np.float64 and bf16.shape == fp32.shape == (3, 384)  # plain floats back
    assert not np.array_equal(bf16, fp32)  # it did run in another precision
    cosine = (fp32 * bf16).sum(axis=1) / np.linalg.norm(fp32, axis=1) / np.linalg.norm(bf16, axis=1)
    assert cosine.min() > 0.999


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bfloat16", "float32"])
def test_cpu_batches_are_padded_to_a_few_shapes_without_changing_vectors(precision: str) -> None:
    """Batches run on a CPU, in either precision, are padded to a multiple of BUCKET word
    pieces (each new shape costs a cached kernel and weight copy: a process's memory grew
    with every length it met); a text's vector does not depend on the padding it got."""
    from llamafarm_embedders.precision import BUCKET, encode_batch

    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(precision=precision))
    model = embedder._model().model
    shapes: list[tuple[int, ...]] = []
    hook = model[0].register_forward_pre_hook(
        lambda _m, args: shapes.append(tuple(args[0]["input_ids"].shape))
    )
    try:
        alone = encode_batch(model, [TEXTS[1]], normalize=True)
        together = encode_batch(model, [TEXTS[1], TEXTS[2]], normalize=True)
    finally:
        hook.remove()
    assert shapes[0] == (1, BUCKET) and shapes[1][1] % BUCKET == 0 and shapes[1][1] > BUCKET
    assert float((alone[0] * together[0]).sum()) > 0.9999


@pytest.mark.slow
def test_a_bfloat16_model_runs_in_bfloat16_throughout_close_to_float32() -> None:
    """The bfloat16 model holds every weight in bfloat16 (matrices packed, packed.py), so
    its pass makes no casts: the token vectors it pools are bfloat16 (under autocast the
    last layer norm gave float32 ones). Its vectors stay within 1e-4 cosine of float32's,
    and a float32 embedder in the same process keeps a float32 model of its own."""
    import torch
    from llamafarm_embedders.precision import encode_batch

    bf16 = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="bfloat16"))._model().model
    fp32 = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="float32"))._model().model
    assert bf16 is not fp32
    matrices = [m for m in bf16.modules() if type(m).__name__ in ("Linear", "PackedLinear")]
    assert len(matrices) == 37 and all(m.weight.dtype == torch.bfloat16 for m in matrices)
    assert {p.dtype for p in bf16.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in fp32.parameters()} == {torch.float32}
    pooled: list[torch.dtype] = []
    hook = bf16[0].register_forward_hook(lambda _m, _a, out: pooled.append(out["token_embeddings"].dtype))
    try:
        vectors = encode_batch(bf16, TEXTS, normalize=True)
    finally:
        hook.remove()
    assert pooled == [torch.bfloat16] and vectors.dtype == np.float32
    reference = encode_batch(fp32, TEXTS, normalize=True)
    cosine = (vectors * reference).sum(axis=1)
    assert cosine.min() > 0.9999 and not np.array_equal(vectors, reference)


def test_partial_batches_are_padded_to_a_power_of_two_rows() -> None:
    from llamafarm_embedders.precision import batch_rows

    assert [batch_rows(n, 32) for n in (1, 2, 3, 5, 17, 31, 32, 40)] == [1, 2, 4, 8, 32, 32, 32, 40]
    assert [batch_rows(n, 24) for n in (13, 17, 24)] == [16, 24, 24]


@pytest.mark.slow
def test_row_padding_keeps_each_texts_vector_and_runs_few_row_counts() -> None:
    from llamafarm_embedders.precision import encode_batch

    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(precision="bfloat16"))
    model = embedder._model().model
    rows: list[int] = []
    hook = model[0].register_forward_pre_hook(lambda _m, args: rows.append(args[0]["input_ids"].shape[0]))
    try:
        padded = encode_batch(model, TEXTS, normalize=True, batch_size=32)
        plain = encode_batch(model, TEXTS, normalize=True)
    finally:
        hook.remove()
    assert rows == [4, 3] and padded.shape == plain.shape == (3, 384)
    assert float(np.min((padded * plain).sum(axis=1))) > 0.9999


def test_cpu_batches_hold_at_most_batch_rows_texts() -> None:
    from llamafarm_embedders.precision import BATCH_ROWS, batch_size_for

    assert batch_size_for(32, cpu=True) == BATCH_ROWS == 16
    assert batch_size_for(8, cpu=True) == 8  # a smaller batch_size stands
    assert batch_size_for(32, cpu=False) == 32  # an accelerator keeps the config's
    assert batch_size_for(0, cpu=False) == 1


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bfloat16", "float32"])
def test_a_cpu_embed_call_runs_batches_of_batch_rows_whatever_the_config_says(precision: str) -> None:
    from llamafarm_embedders.precision import BATCH_ROWS

    texts = [f"boundary layer {i} " * (1 + i % 7) for i in range(3 * BATCH_ROWS + 5)]
    embedder = SentenceTransformerEmbedder(SentenceTransformerConfig(batch_size=32, precision=precision))
    model = embedder._model().model
    rows: list[int] = []
    hook = model[0].register_forward_pre_hook(lambda _m, args: rows.append(args[0]["input_ids"].shape[0]))
    try:
        vectors = np.array(embedder.embed(texts))
    finally:
        hook.remove()
    # three full batches and a partial one of 5 texts run as 8 rows (batch_rows)
    assert sorted(rows) == [8, BATCH_ROWS, BATCH_ROWS, BATCH_ROWS]
    alone = np.array(embedder.embed(texts[:1]))
    assert vectors.shape == (len(texts), 384) and float((vectors[0] * alone[0]).sum()) > 0.9999
