"""Channels: the Apprise URLs of a ``[channels.NAME]`` table, with their secrets kept out of
the database, the logs and the screen.

A URL is kept as written, ``${ENV_VAR}`` unexpanded: that form identifies it (its
:func:`url_key`, a hash); masked by Apprise, it is what ``newsmon outbox``, ``config
check`` and the logs show (:func:`shown`). It is expanded (:func:`expand`) only to send.
``urls_file`` names a file of URLs, one a line (``#`` comments), which must not be
readable by group or others.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from monitor.errors import NotifyError
from monitor.models import ChannelSpec

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def channel_urls(channel: ChannelSpec, base_dir: Path) -> list[str]:
    """The channel's URLs as written: ``urls``, then those of ``urls_file``."""
    urls = list(channel.urls)
    if channel.urls_file:
        urls += read_urls_file(base_dir / Path(channel.urls_file).expanduser(), channel.name)
    return urls


def read_urls_file(path: Path, channel: str) -> list[str]:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise NotifyError(f"notify: channel {channel}: {path} can be read by other users; "
                              f"make it the service user's only: chmod 600 {path}",
                              "notify.urls_file_mode")
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise NotifyError(f"notify: channel {channel}: cannot read urls_file {path}: "
                          f"{exc.strerror or exc}", "notify.urls_file") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def expand(url: str, channel: str, environ: Mapping[str, str] | None = None) -> str:
    """The URL with each ``${VAR}`` replaced from the environment; NotifyError names a
    variable that is not set (never the URL's secrets)."""
    env = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise NotifyError(f"notify: channel {channel}: {shown(url)} needs ${{{name}}}, "
                              "which is not set in the service's environment",
                              "notify.missing_env")
        return env[name]

    return _VAR.sub(value, url)


def url_key(url: str) -> str:
    """A stable id of a URL as written (a hash: the outbox stores no secret)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def shown(url: str) -> str:
    """The URL with what Apprise knows to be secret masked (passwords, tokens, keys) and no
    query string (it may hold secrets too). A URL Apprise cannot read shows its scheme."""
    import apprise

    quiet_apprise()
    probe = _VAR.sub(lambda match: "X" + re.sub(r"[^A-Z0-9]", "", match.group(1).upper()) + "X",
                     url)  # a stand-in that passes the services' token checks
    server = apprise.Apprise.instantiate(probe, suppress_exceptions=True)
    if not server:
        scheme = url.split("://", 1)[0] if "://" in url else ""
        return f"{scheme}://…" if scheme.isalnum() else "(not a URL Apprise reads)"
    masked: str = server.url(privacy=True)  # type: ignore[no-untyped-call]
    scheme, _, rest = masked.split("?", 1)[0].partition("://")
    host, _, path = rest.partition("/")
    hidden = ["****" if _TOKEN_LIKE.match(unquote(segment)) else segment
              for segment in path.split("/")]
    return f"{scheme}://{host}" + ("/" + "/".join(hidden) if path else "")


_TOKEN_LIKE = re.compile(r"(?=.*\d).{10,}$|.{20,}$")  # a key or a topic in a path


def quiet_apprise() -> None:
    """Apprise's records stay out of our handlers (they hold secrets at DEBUG, and its
    warnings quote invalid tokens); each call's own lines still reach its result
    (``result.logs()``), at DEBUG."""
    apprise_log = logging.getLogger("apprise")
    apprise_log.setLevel(logging.DEBUG)
    apprise_log.propagate = False
    if not any(isinstance(h, logging.NullHandler) for h in apprise_log.handlers):
        apprise_log.addHandler(logging.NullHandler())
