"""``llamafarm chat <namespace> <project> ["message"]``.

With a message: one turn; the answer streams to stdout, then its sources; the session id
goes to stderr (``session: …``) so a next turn can continue it with ``--session``.
Without one: an interactive chat (the session is kept across turns) with the commands
``/sources``, ``/reset``, ``/model NAME``, ``/help`` and ``/quit``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

from llamafarm_server.cli.client import CliError, add_server_arg, client_of
from llamafarm_server.cli.output import emit_json, err, error, out, print_table
from llamafarm_server.cli.project_file import add_project_args
from llamafarm_server.client import ChatTurn, ClientError, LlamaFarmClient

HELP = """commands:
  /sources       the sources the last answer used
  /reset         start a new session (forget the conversation)
  /model NAME    answer with another of the project's models (/model alone: the current one)
  /help          this text
  /quit          leave (or Ctrl-D)"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="chat with a project's model (interactive without a message)")
    add_project_args(p)
    p.add_argument(
        "message", nargs="?", default=None, help="one message ('-' reads it from stdin); none: interactive"
    )
    p.set_defaults(optional_tail="message")
    p.add_argument("--session", default=None, help="continue this session (default: a new one)")
    p.add_argument("--no-session", action="store_true", help="stateless: no history is kept")
    p.add_argument("--no-rag", action="store_true", help="don't retrieve context from the project's database")
    p.add_argument("--database", default=None, help="retrieve from this database")
    p.add_argument("--model", default=None, help="a runtime.models[].name (default: the project's default)")
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--sources", action="store_true", help=argparse.SUPPRESS)  # sources are always shown now
    add_server_arg(p)
    p.set_defaults(func=run)


@dataclass
class Chat:
    """What an interactive chat keeps between turns."""

    args: argparse.Namespace
    client: LlamaFarmClient
    session_id: str | None = None
    model: str | None = None
    last: ChatTurn = field(default_factory=ChatTurn)

    def body(self, message: str) -> dict[str, Any]:
        a = self.args
        body: dict[str, Any] = {"messages": [{"role": "user", "content": message}]}
        optional = {
            "model": self.model,
            "max_tokens": a.max_tokens,
            "temperature": a.temperature,
            "database": a.database,
            "rag_enabled": False if a.no_rag else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return body

    def turn(self, message: str) -> ChatTurn:
        """Stream one answer to stdout (JSON lines with ``--json``)."""
        turn = ChatTurn()
        pieces = self.client.chat_stream(
            self.args.namespace,
            self.args.project,
            self.body(message),
            session_id=self.session_id,
            stateless=self.args.no_session,
            turn=turn,
        )
        for piece in pieces:
            if not self.args.json:
                sys.stdout.write(piece)
                sys.stdout.flush()
        if self.args.json:
            emit_json(turn.to_dict())
        else:
            sys.stdout.write("\n")
        self.last = turn
        if not self.args.no_session:
            self.session_id = turn.session_id
        return turn


def print_sources(sources: list[dict[str, Any]]) -> None:
    if not sources:
        out().print("no sources")
        return
    print_table(
        "sources",
        ("#", "file", "page", "score", "excerpt"),
        (
            (
                i,
                s.get("filename") or s.get("chunk_id"),
                s.get("page"),
                f"{s['score']:.2f}",
                " ".join((s.get("content") or "").split())[:80],
            )
            for i, s in enumerate(sources, 1)
        ),
    )


def run(args: argparse.Namespace) -> int:
    chat = Chat(args, client_of(args), session_id=args.session, model=args.model)
    if args.message is None:
        return interactive(chat)
    message = sys.stdin.read() if args.message == "-" else args.message
    if args.json:  # the whole chat.completion object, as the server answers it
        emit_json(
            chat.client.chat(
                args.namespace,
                args.project,
                chat.body(message),
                session_id=args.session,
                stateless=args.no_session,
            )
        )
        return 0
    turn = chat.turn(message)
    if turn.sources:
        out().print()
        print_sources(turn.sources)
    if turn.session_id and not args.no_session:
        print(f"session: {turn.session_id}", file=sys.stderr)
    return 0


def interactive(chat: Chat) -> int:
    tty = sys.stdin.isatty()
    if tty:
        import readline  # noqa: F401  (line editing and history for input())

        err().print(
            f"chat with {chat.args.namespace}/{chat.args.project}; /help for commands, Ctrl-D to leave"
        )
    while True:
        try:
            line = input("you> " if tty else "")
        except EOFError:
            if tty:
                err().print()
            return 0
        except KeyboardInterrupt:
            err().print()
            return 130
        text = line.strip()
        if not text:
            continue
        if text.startswith("/"):
            if command(chat, text):
                return 0
            continue
        if tty:
            sys.stdout.write("assistant> ")
            sys.stdout.flush()
        try:
            chat.turn(text)
        except KeyboardInterrupt:
            sys.stdout.write("\n")
            error("(answer interrupted)")
        except ClientError as e:
            sys.stdout.write("\n")
            error(str(e))
            if not tty:
                raise CliError(1) from None


def command(chat: Chat, text: str) -> bool:
    """Run a /command; True to leave."""
    name, _, rest = text.partition(" ")
    rest = rest.strip()
    if name in ("/quit", "/exit", "/q"):
        return True
    if name == "/help":
        err().print(HELP)
    elif name == "/sources":
        if chat.args.json:
            emit_json({"sources": chat.last.sources})
        else:
            print_sources(chat.last.sources)
    elif name == "/reset":
        chat.session_id, chat.last = None, ChatTurn()
        err().print("new session")
    elif name == "/model":
        if rest:
            chat.model = rest
            err().print(f"model: {rest}")
        else:
            err().print(f"model: {chat.model or '(the project default)'}")
    else:
        error(f"unknown command {name}; /help lists them")
    return False
