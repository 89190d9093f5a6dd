"""Trimming streamed answer text the way a complete answer is stripped."""

from __future__ import annotations


class AnswerTrimmer:
    """Drops an answer's leading whitespace and holds trailing whitespace back until more
    text follows, so the concatenated stream equals ``complete_answer.strip()``."""

    def __init__(self) -> None:
        self.started = False
        self.held = ""

    def feed(self, piece: str) -> str:
        """The part of ``piece`` that can be sent now ('' when nothing can)."""
        if not self.started:
            piece = piece.lstrip()
            if not piece:
                return ""
            self.started = True
        combined = self.held + piece
        body = combined.rstrip()
        self.held = combined[len(body) :]
        return body
