"""``llamacpp``: the embedded default provider. Runs a .gguf model in-process through
llama-cpp-python; by default the bundled Gemma 3 270M (a base model, so the prompt is the
plain labelled-turns format of :mod:`llamafarm_core.chat.prompt`).

A user's .gguf that carries a chat template (``tokenizer.chat_template`` in its metadata, as
instruction-tuned models do) is prompted through that template, as llama.cpp's chat
completion does; ``prompt_format: plain`` on the model forces the plain format. The bundled
model always uses the plain format.

One ``Llama`` per (model file, context settings) per process, shared by every project and
guarded by a lock: a llama.cpp context is not thread-safe, so generations take turns. The
queue of turns is first come, first served and bounded: at most ``LF_CHAT_QUEUE`` (default 32)
turns wait for a model, for at most ``LF_CHAT_MAX_WAIT`` seconds (default 60); a turn beyond
either is refused with :class:`Busy` (503 + ``Retry-After``) before its first token, instead of
hanging clients.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from llamafarm_core.plugin_api import (
    GEMMA_NAMES,
    AnswerTrimmer,
    BadRequest,
    Busy,
    ChatMessage,
    Completion,
    CompletionRequest,
    ComponentUnavailable,
    ModelProvider,
    PluginConfig,
    Role,
    RuntimeModel,
    StreamDelta,
    Usage,
    expand_str,
    gemma_gguf_path,
    render_plain,
    stop_sequences,
)

log = logging.getLogger(__name__)

# model_api_parameters that llama.cpp's sampler understands beyond the common ones.
SAMPLER_EXTRAS = frozenset(
    {"repeat_penalty", "min_p", "typical_p", "tfs_z", "mirostat_mode", "mirostat_tau", "mirostat_eta"}
)


class LlamaCppConfig(PluginConfig):
    """``provider_config`` of a ``llamacpp`` model (all optional)."""

    n_ctx: int = Field(4096, ge=256, le=131072, description="context window in tokens")
    n_threads: int | None = Field(None, ge=1, description="CPU threads; default: half the CPUs (at least 1)")
    n_batch: int = Field(512, ge=1, description="prompt tokens evaluated per batch")
    default_max_tokens: int = Field(512, ge=1, description="answer length when the request sets none")


@dataclass
class _Loaded:
    llm: Any
    lock: FairLock
    whitespace: frozenset[int]  # tokens that are only whitespace
    newlines: list[int]  # the whitespace tokens holding a line break
    template: ChatTemplate | None = None  # the GGUF's chat template, if it has one


class LineFull(Exception):
    """:meth:`FairLock.acquire` found ``max_waiting`` others already in line."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"{waiting} already waiting")
        self.waiting = waiting


class FairLock:
    """A lock granted in arrival order. ``threading.Lock`` wakes its waiters in no set
    order, so under load one chat turn could wait far longer than the turns behind it (and
    time out while they are served); here the wait is bounded by the turns ahead, and the
    line's length by ``max_waiting``."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._held = False
        self._queue: deque[object] = deque()

    def acquire(self, blocking: bool = True, timeout: float = -1, max_waiting: int | None = None) -> bool:
        """True once held; False when not ``blocking`` or after ``timeout`` seconds; raises
        :class:`LineFull` at once when ``max_waiting`` others are already in line."""
        with self._cond:
            if not self._held and not self._queue:
                self._held = True
                return True
            if not blocking:
                return False
            if max_waiting is not None and len(self._queue) >= max_waiting:
                raise LineFull(len(self._queue))
            ticket = object()
            self._queue.append(ticket)
            deadline = None if timeout < 0 else time.monotonic() + timeout
            try:
                while self._held or self._queue[0] is not ticket:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                self._held = True
                return True
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()  # the next in line may go (or re-check its turn)

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def locked(self) -> bool:
        return self._held


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ComponentUnavailable(f"{name} must be a number of seconds or turns, not {raw!r}") from None
    return max(0.0, value)


@contextmanager
def _turn(loaded: _Loaded) -> Iterator[None]:
    """Hold the model for one generation, waiting in a bounded queue (module doc)."""
    queue = int(_env_number("LF_CHAT_QUEUE", 32))
    max_wait = _env_number("LF_CHAT_MAX_WAIT", 60)
    try:
        acquired = loaded.lock.acquire(timeout=max_wait, max_waiting=queue)
    except LineFull as full:
        raise Busy(
            f"the local model is busy: {full.waiting} chat turn(s) already wait for it "
            f"(LF_CHAT_QUEUE={queue}); retry in a few seconds",
            retry_after=5,
        ) from None
    if not acquired:
        raise Busy(
            f"the local model is busy: this chat turn waited {max_wait:g} s for it "
            f"(LF_CHAT_MAX_WAIT) without starting; retry later",
            retry_after=max(1, int(max_wait)),
        )
    try:
        yield
    finally:
        loaded.lock.release()


@dataclass
class ChatTemplate:
    """A GGUF's chat template (rendered by llama-cpp-python's Jinja2 formatter, the one its
    chat completion uses) and the texts that end an assistant turn."""

    formatter: Any
    bos: str
    stops: list[str]

    @classmethod
    def of(cls, llm: Any) -> ChatTemplate | None:
        source = (getattr(llm, "metadata", None) or {}).get("tokenizer.chat_template")
        if not source:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def text(token: int) -> str:
            return llm.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

        eos, bos = text(llm.token_eos()), text(llm.token_bos())
        formatter = Jinja2ChatFormatter(template=source, eos_token=eos, bos_token=bos)
        ends = [eos, *(m for m in TURN_END_MARKERS if m in source)]
        return cls(formatter, bos, [s for i, s in enumerate(ends) if s and s not in ends[:i]])

    def render(self, messages: list[ChatMessage]) -> str:
        try:
            rendered = self.formatter(
                messages=[{"role": m.role.value, "content": m.content} for m in messages]
            )
        except Exception as err:  # jinja2 errors and the template's own raise_exception
            raise BadRequest(f"the model's chat template refused the conversation: {err}") from None
        return str(rendered.prompt)


# Texts that end a turn in common chat templates (Gemma, ChatML, Llama 3, Mistral/Llama 2).
TURN_END_MARKERS = ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", "</s>", "<|end|>")


_MODELS: dict[tuple[str, int, int, int], _Loaded] = {}
_MODELS_LOCK = threading.Lock()


def _free_sampler(llm: Any) -> None:
    """Free the sampler chain of the generation that just ended.

    llama-cpp-python builds a new chain for every generation and keeps the last one in
    ``Llama._sampler``. Its cleanup closure refers back to it, a reference cycle, so a
    replaced chain is freed only by a full garbage collection, which a process with the
    server's heap runs rarely; meanwhile each chain holds its native token buffer. Measured
    with heaptrack over a mixed soak: 47 MB in 106 such chains, the server's whole RSS growth.
    ``Llama.sample`` and ``generate`` make a new chain when this one is gone."""
    sampler = getattr(llm, "_sampler", None)
    if sampler is not None:
        llm._sampler = None
        sampler.close()


def close_models() -> None:
    """Free the loaded models that no turn is using (registered with ``atexit`` on the first
    load). Left to the garbage collector at interpreter exit, llama-cpp-python's
    ``Llama.__del__`` runs after its own C bindings are torn down and prints a
    ``TypeError`` traceback on every exit of a process that chatted. A model in use by a
    thread still running is left to the operating system."""
    with _MODELS_LOCK:
        loaded = list(_MODELS.values())
        _MODELS.clear()
    for item in loaded:
        if item.lock.acquire(blocking=False):
            item.llm.close()


def default_threads() -> int:
    """Half the CPUs, as llama.cpp advises (physical cores). More threads than free cores is
    ruinous: llama.cpp's threads wait for each other on every token, and measured on this
    2-CPU machine under load, 2 threads gave 2 tokens/s where 1 thread gave 26."""
    return max(1, (os.cpu_count() or 2) // 2)


def resolve_model_path(model: str) -> Path:
    """A bundled model name (``gemma3-270m``) or the path of a .gguf file."""
    if model in GEMMA_NAMES:
        return gemma_gguf_path()
    path = Path(expand_str(model)).expanduser()
    if path.suffix.lower() != ".gguf" or not path.is_file():
        raise ComponentUnavailable(
            f"llamacpp: model {model!r} is neither a bundled model ({', '.join(sorted(GEMMA_NAMES))}) "
            "nor an existing .gguf file"
        )
    return path


class LlamaCppProvider(ModelProvider[LlamaCppConfig]):
    """Embedded llama.cpp (llama-cpp-python); the default ``gemma3-270m`` needs no service."""

    name = "llamacpp"
    aliases = ("llama.cpp", "llama-cpp", "llama_cpp")

    def __init__(self, config: LlamaCppConfig, *, model: RuntimeModel, **context: Any) -> None:
        super().__init__(config, model=model, **context)
        self.model = model

    # -- loading -------------------------------------------------------------------------

    def _load(self) -> _Loaded:
        path = resolve_model_path(self.model.model)
        threads = self.config.n_threads or default_threads()
        key = (str(path), self.config.n_ctx, threads, self.config.n_batch)
        with _MODELS_LOCK:
            loaded = _MODELS.get(key)
            if loaded is None:
                atexit.unregister(close_models)  # so it is registered once
                atexit.register(close_models)
                llm = self._open(path, threads)
                whitespace = _whitespace_tokens(llm)
                newlines = [t for t, text in whitespace.items() if b"\n" in text]
                template = None if self.model.model in GEMMA_NAMES else ChatTemplate.of(llm)
                loaded = _MODELS[key] = _Loaded(llm, FairLock(), frozenset(whitespace), newlines, template)
        return loaded

    def _template(self, loaded: _Loaded) -> ChatTemplate | None:
        """The chat template to prompt with, or None for the plain format."""
        if (self.model.prompt_format or "").lower() == "plain":
            return None
        return loaded.template

    def render_prompt(self, request: CompletionRequest) -> str:
        """The prompt text this provider would send for ``request`` (before trimming to fit)."""
        loaded = self._load()
        template = self._template(loaded)
        return template.render(request.messages) if template else render_plain(request.messages)

    def _open(self, path: Path, threads: int) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ComponentUnavailable("llamacpp: llama-cpp-python is not installed") from None
        log.info("loading %s (n_ctx=%d, n_threads=%d)", path, self.config.n_ctx, threads)
        try:
            return Llama(
                model_path=str(path),
                n_ctx=self.config.n_ctx,
                n_threads=threads,
                n_batch=self.config.n_batch,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as err:
            raise ComponentUnavailable(f"llamacpp: cannot load {path}: {err}") from None

    # -- generation ----------------------------------------------------------------------

    def complete(self, request: CompletionRequest) -> Completion:
        final = Completion("")
        for item in self.stream(request):
            if isinstance(item, Completion):
                final = item
        return final

    def stream(self, request: CompletionRequest) -> Iterator[StreamDelta | Completion]:
        loaded = self._load()
        llm = loaded.llm
        template = self._template(loaded)
        with _turn(loaded):
            prompt, n_prompt, max_tokens = self._fit(llm, request, template)
            if template is None:
                stops, processor = stop_sequences(request.stop), _no_leading_line_break(loaded)
            else:
                stops, processor = [*request.stop, *template.stops], None
            chunks = llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                stop=stops,
                stream=True,
                stopping_criteria=self._cancel_criteria(request),
                logits_processor=processor,
                **self._sampling(request),
            )
            trim = AnswerTrimmer()
            text: list[str] = []
            finish = "stop"
            try:
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    piece = trim.feed(choice.get("text") or "")
                    if piece:
                        text.append(piece)
                        yield StreamDelta(piece)
                    finish = choice.get("finish_reason") or finish
            finally:
                chunks.close()
                _free_sampler(llm)
            answer = "".join(text)
            n_answer = len(llm.tokenize(answer.encode("utf-8"), add_bos=False, special=True)) if answer else 0
        if request.cancelled():
            finish = "cancelled"
        yield Completion(answer, finish, Usage(n_prompt, n_answer))

    def _fit(
        self, llm: Any, request: CompletionRequest, template: ChatTemplate | None = None
    ) -> tuple[str | list[int], int, int]:
        """The prompt (text, or tokens for a template), its token count and the answer
        budget; old turns are dropped (oldest first, system messages and the last message
        kept) until prompt + answer fit."""
        n_ctx = self.config.n_ctx
        wanted = request.max_tokens or self.config.default_max_tokens
        reserve = min(wanted, n_ctx // 2)
        messages = list(request.messages)
        while True:
            prompt: str | list[int]
            if template is None:
                prompt = render_plain(messages)
                n_prompt = len(llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False))
            else:
                # The template writes its own BOS and special tokens: tokenize them as such.
                text = template.render(messages)
                bos = not (template.bos and text.startswith(template.bos))
                prompt = llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True)
                n_prompt = len(prompt)
            if n_prompt + reserve <= n_ctx:
                return prompt, n_prompt, min(wanted, n_ctx - n_prompt)
            droppable = [i for i, m in enumerate(messages[:-1]) if m.role is not Role.SYSTEM]
            if not droppable:
                raise BadRequest(
                    f"the prompt is {n_prompt} tokens but model {self.model.name!r} has a context of "
                    f"{n_ctx} with {reserve} kept for the answer; send shorter messages or fewer RAG "
                    "results (rag_top_k), or raise provider_config.n_ctx"
                )
            del messages[droppable[0]]

    def _sampling(self, request: CompletionRequest) -> dict[str, Any]:
        options: dict[str, Any] = {
            "temperature": request.temperature,
            "top_p": request.top_p,
            "top_k": request.top_k,
            "seed": request.seed,
            "presence_penalty": request.presence_penalty,
            "frequency_penalty": request.frequency_penalty,
        }
        for key, value in request.extra.items():
            if key in SAMPLER_EXTRAS:
                options[key] = value
            else:
                log.debug("llamacpp ignores model_api_parameters.%s", key)
        return {k: v for k, v in options.items() if v is not None}

    @staticmethod
    def _cancel_criteria(request: CompletionRequest) -> Any:
        if request.cancel is None:
            return None
        from llama_cpp import StoppingCriteriaList

        event = request.cancel
        return StoppingCriteriaList([lambda _ids, _logits: event.is_set()])


def _whitespace_tokens(llm: Any) -> dict[int, bytes]:
    """Every token whose text is whitespace only (one pass over the vocabulary at load)."""
    out = {}
    for token in range(llm.n_vocab()):
        text = llm.detokenize([token])
        if text and not text.strip():
            out[token] = text
    return out


def _no_leading_line_break(loaded: _Loaded) -> Any:
    """Forbid a line break before the answer's first visible character.

    A base model sometimes answers ``Assistant:`` with a new line and a made-up next turn;
    the stop sequences would then cut the answer to nothing. Banning line breaks until
    something visible is written keeps the answer on the ``Assistant:`` line.
    """
    import numpy as np
    from llama_cpp import LogitsProcessorList

    start: list[int] = []

    def process(input_ids: Any, scores: Any) -> Any:
        if not start:
            start.append(len(input_ids))  # the first call sees the prompt only
        if all(int(t) in loaded.whitespace for t in input_ids[start[0] :]):
            scores[loaded.newlines] = -np.inf
        return scores

    return LogitsProcessorList([process])
