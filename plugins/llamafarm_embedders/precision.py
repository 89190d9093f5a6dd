"""The arithmetic an embedder's forward pass runs in on the CPU.

On some CPUs with native bfloat16, running the model in bfloat16 encodes ~2.5x faster than
float32 (all-MiniLM-L6-v2 on Cranfield, 2 cores of a Zen 4, when only its matrix products
ran in bfloat16: 14.6 s vs 38.4 s for 1,400 abstracts; on an Intel Xeon with AMX, all of
it in bfloat16 is ~16 % faster again than only its products, :func:`to_bfloat16`), and its
vectors stay within 1e-4 cosine of the float32 ones (0.99991 or closer over Cranfield's
chunks), so vectors stored by either precision search together. The flag alone does not say it pays: on an Intel Xeon
with AVX512-BF16 but no AMX, oneDNN's bfloat16 matrix product ran 1.7x *slower* than MKL's
float32 one (384x1536 weights, 3,200 rows, one thread: 46 ms vs 28 ms), and a Cranfield
encode 1.45x slower. So ``auto`` measures (:func:`bf16_pays`): bfloat16 only where the CPU
has it natively and a matrix product of the model's shape runs clearly faster in it; float32
everywhere else (without native support, bfloat16 is emulated: slower still).

bfloat16 matrix products run through oneDNN, which caches a primitive (with its own copy of
the weights in a blocked layout) for every input shape it meets. Length-sorted batches have
as many shapes as there are text lengths, and that cache grew a process by ~600 MB over a
few thousand texts (measured: 507 MB after loading, 1,091 MB after four passes over 700
texts of random lengths). :func:`encode_batch` pads each batch to a multiple of
:data:`BUCKET` word pieces, so at most ``max_seq_length / BUCKET`` shapes exist (the
masked attention and mean pooling ignore the padding). A bucket of 32 kept those passes at
~690 MB, but padded Cranfield's chunks by 20 % (simulated with the real tokenizer, 360-chunk
groups of batches of 32); 16 padded them by 13 %. Now batches hold at most
:data:`BATCH_ROWS` texts and the bucket is 8: a cost model of the same chunks (the real
tokenizer, the six calls a worker makes) pads them by 8 % instead of 16 % of the forward
passes' work, and the embedder encodes them 5-12 % faster, one process taking turns
(``bench/embedder_batches.py``: 14.2-15.4 s against 16.0-16.5 s, most rounds; fewer rows
also keep a layer's activations in the core's cache, and a worker's peak is ~200 MB lower).
The number of rows is a shape too: the last, partial batch of every call had its own, and a worker's peak grew ~10 KB per stored chunk
with the corpus (even with the index in a Chroma server). Partial batches are padded to a
power of two rows (:func:`batch_rows`), so at most ``log2(batch_size)`` more row counts exist.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from pathlib import Path
from typing import Any

from llamafarm_embedders import int8
from llamafarm_embedders.cpu_flags import cpu_flags

log = logging.getLogger(__name__)
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
BUCKET = 8  # word pieces: CPU batches (and bfloat16 ones anywhere) are padded to a multiple of this
BATCH_ROWS = 16  # at most this many texts per batch on a CPU (a config's batch_size may be smaller)
BF16_MIN_GAIN = 1.25  # auto picks bfloat16 when its matrix product is at least this much faster


@cache
def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU flags (Linux) list a native bfloat16 instruction set."""
    return not NATIVE_BF16_FLAGS.isdisjoint(cpu_flags.__wrapped__(cpuinfo))


def resolve_precision(device: str, precision: str) -> str:
    """``float32``, ``bfloat16`` or ``int8`` for a forward pass on ``device``. ``int8`` where
    this CPU can't run it (``int8.unavailable``) is float32, said once in the log. ``fast``
    is :func:`fastest`'s choice."""
    if device != "cpu":
        return "float32"
    if precision == "fast":
        return fastest()
    if precision == "auto":
        return "bfloat16" if cpu_has_native_bf16() and bf16_pays() else "float32"
    if precision == "int8":
        reason = int8.unavailable()
        if reason is not None:
            _say_once(f"embedder precision int8: {reason}; computing in float32")
            return "float32"
    return precision


def resolve_query_precision(device: str, precision: str) -> str:
    """What one search query is encoded in: as :func:`resolve_precision`, except that
    ``fast`` takes int8 for one text wherever int8 runs. Traced and one text per pass, it is
    the quickest single text on both CPUs measured: 4.7 ms against 9.5 in bfloat16 on the
    Xeon with AMX where ``fast`` runs batches in bfloat16. Its vectors search bfloat16 or
    float32 ones without loss (int8 documents against float32 queries: Cranfield nDCG@10
    0.3728 against 0.3725; bfloat16 documents and int8 queries through the API: hybrid
    0.406, docs/embedders.md)."""
    if device == "cpu" and precision == "fast" and int8.unavailable() is None:
        return "int8"
    return resolve_precision(device, precision)


@cache
def fastest() -> str:
    """``precision: fast``: int8 where the CPU runs it, unless a native bfloat16 matrix
    product is at least :data:`BF16_MIN_GAIN` times faster than int8's kernel (CPUs with AMX
    tiles: 2.7x on an Intel Xeon with AMX, where a Cranfield ingest through the API then
    processed in 23.4 s against 36.1 s in int8, with vectors closer to float32's); where
    int8 can't run, what ``auto`` picks. Measured once per process, as :func:`bf16_pays`."""
    if int8.unavailable() is not None:
        return resolve_precision("cpu", "auto")
    if not cpu_has_native_bf16():
        return "int8"
    times = _probe(int8_too=True)
    choice = "bfloat16" if times["int8"] >= BF16_MIN_GAIN * times["bfloat16"] else "int8"
    log.info(
        "embedder precision fast: %s (the model's largest matrix product: int8 %.2f ms, bfloat16 %.2f ms)",
        choice,
        times["int8"] * 1000,
        times["bfloat16"] * 1000,
    )
    return choice


@cache
def _say_once(message: str) -> None:
    # INFO, not WARNING: int8 is a speed-up, and computing in float32 on a CPU without it
    # (Apple silicon, an x86 CPU without AVX2) is a working outcome. (``fast`` never lands here.)
    log.info(message)


@cache
def bf16_pays() -> bool:
    """Whether bfloat16 matrix products run at least :data:`BF16_MIN_GAIN` times faster than
    float32 ones on this CPU; measured once per process (~0.2 s). The two precisions differ
    by 1.7-8x either way on the CPUs measured, so the margin keeps the answer steady on a
    busy machine."""
    times = _probe()
    return times["float32"] >= BF16_MIN_GAIN * times["bfloat16"]


def _probe(*, int8_too: bool = False) -> dict[str, float]:
    """:func:`matmul_times` in a thread of its own, so that no caller's thread gets an
    OpenMP team. If it failed, bfloat16 reads as never faster."""
    times: dict[str, float] = {}

    def measure() -> None:
        try:
            times.update(matmul_times(int8_too=int8_too))
        except Exception as err:  # a torch without one of the kernels: float32 stays
            log.warning("embedder precision probe failed (%s: %s)", type(err).__name__, err)

    probe = threading.Thread(target=measure, name="lf-precision-probe")
    probe.start()
    probe.join()
    return times or {"float32": 1.0, "bfloat16": float("inf"), "int8": 1.0}


def matmul_times(rows: int = 1024, rounds: int = 5, *, int8_too: bool = False) -> dict[str, float]:
    """Seconds the bundled model's largest matrix product (384 -> 1,536) over ``rows`` word
    pieces takes in float32, bfloat16 and (``int8_too``) int8's kernel, one torch thread
    (as an encode lane runs); the best of ``rounds`` each, taken in turns."""
    import torch

    # torch.set_num_threads also sets the count every thread that starts using torch later
    # gets: put back what this (fresh) thread was given, so the probe leaves no trace.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _best_times(torch, rows, rounds, int8_too)
    finally:
        torch.set_num_threads(threads)


def _best_times(torch: Any, rows: int, rounds: int, int8_too: bool) -> dict[str, float]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(rows, 384, generator=generator)
    layer = torch.nn.Linear(384, 1536)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(1536, 384, generator=generator))
    weight, bf16_inputs = layer.weight.detach(), inputs.to(torch.bfloat16)
    bf16_weight = weight.to(torch.bfloat16)
    variants = {
        "float32": lambda: torch.nn.functional.linear(inputs, weight),
        "bfloat16": lambda: torch.nn.functional.linear(bf16_inputs, bf16_weight),
    }
    if int8_too:
        quantized = int8.int8_linear(layer)
        variants["int8"] = lambda: quantized(inputs)
    best = dict.fromkeys(variants, float("inf"))
    with torch.inference_mode():
        for _ in range(rounds + 1):  # the first round warms up (oneDNN builds its kernel)
            for name, product in variants.items():
                start = time.perf_counter()
                product()
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def to_bfloat16(model: Any) -> None:
    """Hold every weight of the model in bfloat16 (embeddings, layer norms and matrices), so
    its forward pass runs in bfloat16 from the embeddings to the pooled vector
    (:func:`encode_batch` casts only the result to float32).

    Until the twentieth round only the matrix weights were bfloat16 and the pass ran under
    bfloat16 autocast, which casts every matrix product's input to bfloat16 and every layer
    norm's back to float32: ~10 % of a pass went to those casts, and the float32 activations
    between them cost memory traffic. Measured (the 1,975 Cranfield chunks, two lanes, one
    process in turns): 11.2-11.8 s under autocast against 9.4-9.9 s in bfloat16 throughout,
    21.7-22.9 against 18.2-19.2 CPU-s. Vectors: 0.99991 cosine or closer to float32's
    (autocast 0.99997), 0.99992 or closer to autocast's; pooling in float32 changed nothing
    measurable (docs/embedders.md). Autocast also cast every Linear weight anew on each pass
    (~45 MB per call for MiniLM; HTTP ``rag/query`` p50 21.8 -> 14.6 ms when that went).
    """
    import torch

    model.to(torch.bfloat16)


def batch_rows(count: int, batch_size: int) -> int:
    """The rows a batch of ``count`` texts is run with: a full batch as is, a partial one
    padded to the next power of two (at most ``batch_size``), so that the last batch of
    every call does not bring a new shape (module doc)."""
    if count >= batch_size:
        return count
    return min(1 << max(0, count - 1).bit_length(), batch_size)


def batch_size_for(batch_size: int, cpu: bool, precision: str = "float32") -> int:
    """Texts per batch for a config's ``batch_size``: at most :data:`BATCH_ROWS` on a CPU, in
    float32 or bfloat16. In float32 too, length-sorted batches of 16 pad less than batches
    of 32 (Cranfield's chunks in 256-file groups: 3.5 % against 7.4 % of the word pieces)
    and encode faster (2 lanes, same process in turns: 33.6 / 31.5 s against 35.4 / 37.2 s);
    an accelerator keeps the config's. In int8, one: each text gets its own activation
    scale, so its vector depends on nothing else (``int8.py``)."""
    if precision == "int8":
        return 1
    size = max(1, batch_size)
    return min(size, BATCH_ROWS) if cpu else size


def pad_value(model: Any, key: str) -> int:
    """What the tokenizer pads a feature's rows with: its pad token for ``input_ids``, 0 for
    the attention mask and token types."""
    return (model.tokenizer.pad_token_id or 0) if key == "input_ids" else 0


def encode_batch(
    model: Any,
    texts: list[str],
    normalize: bool,
    batch_size: int | None = None,
    *,
    tokenizing: AbstractContextManager[Any] | None = None,
    features: dict[str, Any] | None = None,
) -> Any:
    """One batch through a sentence-transformers model; float32 numpy rows, one per text.

    The pass runs in the model's own arithmetic: bfloat16 for a model :func:`to_bfloat16`
    converted, else float32, as sentence-transformers' ``encode`` computes it. On a CPU
    (the only device a bfloat16 model runs on, :func:`resolve_precision`) the batch is
    padded to a multiple of :data:`BUCKET` word pieces and, when ``batch_size`` is given, to
    :func:`batch_rows` rows (copies of the last text, whose vectors are dropped): float32
    kernels keep per-shape state too (texts of random lengths, 512 per call: RSS rose
    509 -> 1,210 MB over 4,096 texts and kept rising; padded, it stayed at ~800 MB from
    the second call on). ``tokenizing`` is held while the tokenizer runs (see
    ``LoadedModel.tokenizing``): batches may run in several threads at once. ``features``:
    the texts' ``preprocess`` already done (``pretokenized.Pretokenized.features``).
    """
    import torch

    if features is None:
        with tokenizing or nullcontext():
            features = model.preprocess(texts)
    count, length = features["input_ids"].shape
    if str(model.device) == "cpu":
        padded = min(-(-length // BUCKET) * BUCKET, max(length, model.max_seq_length or length))
        rows = batch_rows(count, batch_size) if batch_size else count
        for key, value in features.items():
            if isinstance(value, torch.Tensor) and value.dim() == 2:
                if padded > length:
                    value = torch.nn.functional.pad(value, (0, padded - length), value=pad_value(model, key))
                if rows > count:
                    value = torch.cat([value, value[-1:].expand(rows - count, -1)])
                features[key] = value
    features = {k: v.to(model.device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}
    with torch.inference_mode():
        vectors = model(features)["sentence_embedding"][:count].float()
    if normalize:
        vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
    return vectors.cpu().numpy()
