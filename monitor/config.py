"""Settings: declared once as dataclass fields (name, type, default, help), read from TOML
with ``NEWSMON_*`` environment overrides.

Each setting is a field made by :func:`setting`; ``SETTINGS`` is the table derived from the
fields, used by ``config check``, the docs test and the environment overrides. Durations use
the grammar of :mod:`monitor.durations` and are held as seconds.

Config file search order: ``--config``, ``$NEWSMON_CONFIG``, ``./config.toml``, the user's
config dir, ``$CONFIGURATION_DIRECTORY`` (systemd); with none found, the embedded
``config.example.toml`` is used.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from monitor import __version__
from monitor.durations import parse_duration
from monitor.errors import ConfigError
from monitor.models import FeedSpec

APP_NAME = "news-monitor"
ENV_PREFIX = "NEWSMON_"


def setting(default: Any, help: str, kind: str = "") -> Any:
    """A declared setting: default, one-line help and, for durations/sizes, its kind."""
    return field(default=default, metadata={"help": help, "kind": kind})


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = setting(
        f"news-monitor/{__version__} (+feed monitor)", "User-Agent header sent with every request"
    )
    connect_timeout: int = setting(10, "time allowed to open a connection", "duration")
    read_timeout: int = setting(30, "time allowed between two reads of a response", "duration")
    deadline: int = setting(60, "total time allowed for one fetch, body included", "duration")
    max_body_size: int = setting(10_000_000, "bytes downloaded at most per response", "size")
    max_decompressed_size: int = setting(
        50_000_000, "bytes at most after gzip/deflate/brotli decoding", "size"
    )
    max_redirects: int = setting(5, "redirects followed at most per fetch")
    concurrency: int = setting(20, "fetches in flight at once, all hosts together")
    per_host: int = setting(4, "fetches in flight at once to one host")
    max_entries: int = setting(200, "entries taken at most from one feed document")
    allow_private_networks: bool = setting(
        True,
        "fetch from loopback and private addresses (false refuses them, checked on the "
        "resolved address after every redirect)",
    )


@dataclass(frozen=True)
class ScheduleSettings:
    tick: int = setting(30, "how often the daemon asks which feeds are due", "duration")
    max_interval: int = setting(
        86400, "upper bound on a feed's interval, whatever <ttl> or max-age say", "duration"
    )
    max_backoff: int = setting(43200, "longest wait after repeated failures", "duration")
    startup_spread: int = setting(
        60, "new feeds get their first poll spread over this window", "duration"
    )
    grace_period: int = setting(
        10, "on shutdown, time given to in-flight fetches before they are abandoned", "duration"
    )


@dataclass(frozen=True)
class LanguageSettings:
    detector: str = setting("py3langid", "language detector: py3langid or langdetect")
    prior_weight: float = setting(
        0.2, "weight of the declared language (item, channel, feed) added to the detector's score"
    )


@dataclass(frozen=True)
class Config:
    database: str = setting(
        "", "SQLite database file (default: news-monitor.db in the user data dir)"
    )
    rules_dir: str = setting(
        "", "folder of rule files (default: rules/ beside the config, else the packaged rules)"
    )
    default_interval: int = setting(900, "poll interval of feeds that set none", "duration")
    log_level: str = setting("info", "debug, info, warning or error")
    fetch: FetchSettings = field(default_factory=FetchSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    feeds: tuple[FeedSpec, ...] = ()  # the [[feeds]] tables
    source: str = ""  # the file read, or "" for the embedded defaults

    @property
    def base_dir(self) -> Path:
        return Path(self.source).parent if self.source else Path.cwd()

    def database_path(self) -> Path:
        if self.database:
            return (self.base_dir / Path(self.database).expanduser()).resolve()
        import platformdirs

        return Path(platformdirs.user_data_dir(APP_NAME)) / "news-monitor.db"

    def rules_path(self) -> Path:
        if self.rules_dir:
            return (self.base_dir / Path(self.rules_dir).expanduser()).resolve()
        beside = self.base_dir / "rules"
        if self.source and beside.is_dir():
            return beside
        return Path(str(resources.files("monitor") / "rules"))


_SECTIONS: dict[str, type[Any]] = {
    "fetch": FetchSettings,
    "schedule": ScheduleSettings,
    "language": LanguageSettings,
}


@dataclass(frozen=True)
class Setting:
    name: str  # dotted: "fetch.user_agent"
    type: str  # "str", "int", "float", "bool", "duration", "size"
    default: Any
    help: str


def _settings_of(cls: type[Any], prefix: str) -> Iterator[Setting]:
    for f in dataclasses.fields(cls):
        if "help" not in f.metadata:
            continue
        kind = f.metadata["kind"] or str(f.type).split(" ")[0]
        yield Setting(prefix + f.name, kind, f.default, f.metadata["help"])


SETTINGS: tuple[Setting, ...] = (
    *_settings_of(Config, ""),
    *(s for name, cls in _SECTIONS.items() for s in _settings_of(cls, f"{name}.")),
)
_BY_NAME = {s.name: s for s in SETTINGS}
_FEED_KEYS = {f.name for f in dataclasses.fields(FeedSpec)} - {"source"}

_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|MB|GB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3}


def parse_size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"not a size: {value!r} (use bytes or e.g. 500KB, 10MB)")
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()]


def _coerce(spec: Setting, value: Any) -> Any:
    """``value`` (from TOML or, as a string, from the environment) as the setting's type."""
    kind = spec.type
    if kind == "duration":
        return parse_duration(value)
    if kind == "size":
        return parse_size(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in {"1", "true", "yes", "on"}:
            return True
        if str(value).lower() in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"not a boolean: {value!r} (use true or false)")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"not an integer: {value!r}")
        return int(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"not a number: {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"not a string: {value!r}")
    return value


def line_of(text: str, section: str, key: str) -> int:
    """The 1-based line where ``key`` is set in ``[section]`` (0 when not found)."""
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"^\[\[?\s*([\w.-]+)\s*\]\]?", stripped)
        if header:
            current = header.group(1)
            continue
        if current == section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return 0


def _where(source: str, text: str, section: str, key: str) -> str:
    line = line_of(text, section, key)
    return f"{source}:{line}" if line else source


def _feed_from(table: Any, index: int, source: str, text: str) -> FeedSpec:
    where = f"{source}: [[feeds]] #{index + 1}"
    if not isinstance(table, dict) or not isinstance(table.get("url"), str):
        raise ConfigError(f"config: {where}: every [[feeds]] table needs url = \"https://...\"",
                          "config.feed_url")
    unknown = set(table) - _FEED_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            f"config: {_where(source, text, 'feeds', key)}: unknown key '{key}' in [[feeds]] "
            f"(allowed: {', '.join(sorted(_FEED_KEYS))})",
            "config.unknown_key",
        )
    try:
        interval = parse_duration(table["interval"]) if "interval" in table else None
    except ValueError as exc:
        raise ConfigError(f"config: {where}: interval: {exc}", "config.bad_value") from None
    tags = table.get("tags", [])
    if isinstance(tags, str):
        tags = [tags]
    lang = table.get("lang")
    if lang is not None:
        from monitor.language import normalise_code

        lang = normalise_code(str(lang))
        if lang is None:
            raise ConfigError(f"config: {_where(source, text, 'feeds', 'lang')}: "
                              f"'{table['lang']}' is not a language code (use e.g. fr, en-US)",
                              "config.bad_value")
    return FeedSpec(
        url=table["url"],
        title=table.get("title"),
        tags=tuple(str(t) for t in tags),
        interval=interval,
        lang=lang,
        full_text=bool(table.get("full_text", False)),
        source="config",
    )


def _flatten(data: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(section, key, value) for every setting-like key; section "" is top level."""
    for key, value in data.items():
        if key == "feeds":
            continue
        if isinstance(value, dict) and key in _SECTIONS:
            for sub, subvalue in value.items():
                yield key, sub, subvalue
        else:
            yield "", key, value


def _env_overrides(environ: Mapping[str, str]) -> dict[str, str]:
    """``NEWSMON_DATABASE`` -> ``database``; ``NEWSMON_FETCH__USER_AGENT`` -> ``fetch.user_agent``.
    """
    found = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        dotted = name[len(ENV_PREFIX):].lower().replace("__", ".")
        if dotted in _BY_NAME:
            found[dotted] = value
    return found


def build(data: Mapping[str, Any], source: str = "", text: str = "",
          environ: Mapping[str, str] | None = None) -> Config:
    """A Config from parsed TOML ``data``; errors name the key and, with ``text``, its line."""
    values: dict[str, Any] = {}
    label = source or "<embedded config>"
    for section, key, value in _flatten(data):
        name = f"{section}.{key}" if section else key
        spec = _BY_NAME.get(name)
        if spec is None:
            raise ConfigError(
                f"config: {_where(label, text, section, key)}: unknown setting '{name}' "
                "(see config.example.toml for every setting)",
                "config.unknown_key",
            )
        try:
            values[name] = _coerce(spec, value)
        except ValueError as exc:
            raise ConfigError(
                f"config: {_where(label, text, section, key)}: {name}: {exc}", "config.bad_value"
            ) from None
    for name, raw in _env_overrides(os.environ if environ is None else environ).items():
        try:
            values[name] = _coerce(_BY_NAME[name], raw)
        except ValueError as exc:
            env = ENV_PREFIX + name.upper().replace(".", "__")
            raise ConfigError(f"config: ${env}: {exc}", "config.bad_value") from None
    feeds_raw = data.get("feeds", [])
    if not isinstance(feeds_raw, list):
        raise ConfigError(f"config: {label}: 'feeds' must be [[feeds]] tables", "config.bad_value")
    feeds = tuple(_feed_from(t, i, label, text) for i, t in enumerate(feeds_raw))
    sections = {
        name: cls(**{k.split(".", 1)[1]: v for k, v in values.items() if k.startswith(name + ".")})
        for name, cls in _SECTIONS.items()
    }
    top = {k: v for k, v in values.items() if "." not in k}
    return Config(**top, **sections, feeds=feeds, source=source)


def embedded_text() -> str:
    return (resources.files("monitor") / "data" / "config.example.toml").read_text("utf-8")


def find_config_file(explicit: str | None = None,
                     environ: Mapping[str, str] | None = None) -> Path | None:
    """The first config file in the search order, or None for the embedded defaults."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get("NEWSMON_CONFIG"):
        return Path(env["NEWSMON_CONFIG"])
    import platformdirs

    candidates = [Path("config.toml"), Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"]
    if env.get("CONFIGURATION_DIRECTORY"):
        candidates.append(Path(env["CONFIGURATION_DIRECTORY"].split(":")[0]) / "config.toml")
    return next((p for p in candidates if p.is_file()), None)


def load(path: Path | None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (or the embedded defaults when None) into a validated Config."""
    if path is None:
        text, source = embedded_text(), ""
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(
                f"config: {path}: cannot read ({exc.strerror}); pass --config FILE or create it "
                "from config.example.toml",
                "config.unreadable",
            ) from None
        source = str(path.resolve())
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {source or '<embedded>'}: {exc}", "config.syntax") from None
    return build(data, source, text, environ)
