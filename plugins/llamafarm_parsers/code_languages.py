"""Languages by file extension, and how to spot a top-level definition in each."""

from __future__ import annotations

import re
from functools import cache

LANGUAGES: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "typescript",
    ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".cs": "csharp",
    ".swift": "swift", ".dart": "dart", ".php": "php",
    ".c": "c", ".h": "c", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".go": "go", ".rs": "rust", ".rb": "ruby", ".lua": "lua", ".pl": "perl",
    ".r": "r", ".jl": "julia", ".ex": "elixir", ".exs": "elixir", ".hs": "haskell",
    ".sql": "sql", ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ps1": "powershell",
}  # fmt: skip

_JS = (
    r"^(?:export\s+(?:default\s+)?)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:function\*?|class|interface|type|enum|namespace)\s+([\w$]+)",
    r"^(?:export\s+)?(?:const|let|var)\s+([\w$]+)\s*=\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*=>|[\w$]+\s*=>)",
)
_CLASSY = (
    r"^(?:(?:public|private|protected|internal|static|abstract|final|sealed|partial|open|data|"
    r"export|async|inline|suspend)\s+)*(?:class|interface|enum|record|struct|object|trait|fun|func|"
    r"def|function|extension|protocol)\s+(\w+)",
)
_C = (
    r"^(?:struct|class|enum|union|namespace|typedef\s+struct)\s+(\w+)",
    # a function signature at column 0: `type name(args)` not ending in ';'
    r"^(?!(?:if|for|while|switch|return|else|do|case)\b)[A-Za-z_][\w:<>,*&\s]*?[\s*&]\**(\w+)\s*\([^;]*$",
)

_PATTERNS: dict[str, tuple[str, ...]] = {
    "python": (r"^(?:async\s+def|def|class)\s+(\w+)",),
    "javascript": _JS,
    "typescript": _JS,
    "java": _CLASSY,
    "kotlin": _CLASSY,
    "scala": _CLASSY,
    "csharp": _CLASSY,
    "swift": _CLASSY,
    "dart": _CLASSY,
    "php": _CLASSY,
    "c": _C,
    "cpp": _C,
    "go": (r"^func\s+(?:\([^)]*\)\s*)?(\w+)", r"^type\s+(\w+)"),
    "rust": (
        r"^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?(?:const\s+)?"
        r"(?:fn|struct|enum|trait|mod|union|type|impl(?:<[^>]*>)?)\s+(\w+)",
        r"^macro_rules!\s*(\w+)",
    ),
    "ruby": (r"^(?:def|class|module)\s+([\w.:]+)",),
    "lua": (r"^(?:local\s+)?function\s+([\w.:]+)",),
    "perl": (r"^sub\s+(\w+)", r"^package\s+([\w:]+)"),
    "r": (r"^([\w.]+)\s*(?:<-|=)\s*function\b",),
    "julia": (r"^(?:function|struct|mutable\s+struct|module|macro)\s+(\w+)",),
    "elixir": (r"^(?:defmodule|defprotocol|defimpl)\s+([\w.]+)",),
    "haskell": (r"^(\w+)\s*::",),
    "sql": (
        r"^(?:create|alter|drop)\s+(?:or\s+replace\s+)?(?:temporary\s+)?"
        r"(?:table|view|function|procedure|index|trigger|type|schema)\s+(?:if\s+(?:not\s+)?exists\s+)?([\w.\"`]+)",
        r"^(?:insert|update|delete|select|with|grant|begin)\b()",
    ),
    "shell": (r"^(?:function\s+)?([\w-]+)\s*\(\)", r"^function\s+([\w-]+)"),
    "powershell": (r"^function\s+([\w-]+)",),
}


@cache
def definition_patterns(language: str) -> tuple[re.Pattern[str], ...]:
    """Compiled patterns matching a top-level definition line; group 1 is its name (may be empty)."""
    flags = re.MULTILINE | (re.IGNORECASE if language in ("sql", "powershell") else 0)
    return tuple(re.compile(p, flags) for p in _PATTERNS.get(language, _CLASSY))
