"""Where components may connect: the egress policy for provider, embedder and store URLs.

A config can name any ``base_url``/``host``/``url``, and a component may send the server's
API keys there, so every component lists the places it will contact
(:meth:`llamafarm_core.components.base.Component.egress_targets`) and the core checks them
with :func:`check_component` right after building it, before any connection is made.

Allowed by default: loopback (``localhost``, ``127.0.0.0/8``, ``::1``). More with
``LF_ALLOWED_EGRESS`` (comma-separated host names, IP addresses or networks such as
``10.0.0.0/8``, ``.example.com`` for a domain and its subdomains, or ``*`` for anywhere).
A denied target is a 400 naming the setting; the message does not depend on whether anything
listens there.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from llamafarm_core.errors import BadRequest

SETTING = "LF_ALLOWED_EGRESS"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class EgressPolicy:
    """The hosts components may contact besides loopback."""

    allowed: tuple[str, ...] = ()

    def allows(self, host: str) -> bool:
        host = host.strip().strip("[]").rstrip(".").lower()
        if not host:
            return False
        if "*" in self.allowed or host in LOOPBACK_NAMES:
            return True
        try:
            if ipaddress.ip_address(host).is_loopback:
                return True
        except ValueError:
            pass
        return self.allows_listed(host)

    def allows_listed(self, host: str) -> bool:
        """Is ``host`` named by an entry of the setting (``*`` does not count)?"""
        host = host.strip().strip("[]").rstrip(".").lower()
        try:
            address: Any = ipaddress.ip_address(host)
        except ValueError:
            address = None
        for entry in (e.strip().lower() for e in self.allowed):
            if not entry:
                continue
            if entry.startswith(".") and (host == entry[1:] or host.endswith(entry)):
                return True
            if host == entry.strip("[]"):
                return True
            if address is not None and "/" in entry:
                try:
                    if address in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
        return False


_lock = threading.Lock()
_policy = EgressPolicy()


def configure(allowed: Iterable[str]) -> None:
    """Set this process's policy (the server and each worker do it from their Settings)."""
    global _policy
    with _lock:
        _policy = EgressPolicy(tuple(allowed))


def policy() -> EgressPolicy:
    return _policy


def host_of(target: str) -> str:
    """The host of a URL (``http://h:1/v1``) or of a bare ``host[:port]``."""
    target = target.strip()
    parsed = urlsplit(target if "//" in target else f"//{target}")
    return parsed.hostname or ""


def check(target: str, where: str) -> None:
    """Raise BadRequest unless the policy allows ``target`` (a URL or host)."""
    host = host_of(target)
    if not _policy.allows(host):
        raise BadRequest(
            f"{where}: connecting to {host or target!r} is not allowed by the server's egress "
            f"policy; add the host to {SETTING} (comma-separated) to allow it"
        )


def may_send_env_key(url: str, home: str) -> bool:
    """May a key from the server's environment go to ``url``? Only to the key's own service
    (``home``, e.g. https://api.openai.com/v1) or a host listed in the setting explicitly."""
    host = host_of(url)
    return bool(host) and (host == host_of(home) or _policy.allows_listed(host))


def check_component(component: Any, where: str) -> None:
    """Check every place a built component will contact."""
    for target in component.egress_targets():
        check(target, where)
