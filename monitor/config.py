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
from monitor.models import ChannelSpec, FeedSpec

APP_NAME = "news-monitor"
ENV_PREFIX = "NEWSMON_"


def setting(default: Any, help: str, kind: str = "", minimum: float | None = None) -> Any:
    """A declared setting: default, one-line help, for durations/sizes its kind, and the
    smallest value that makes sense (a concurrency of 0 would hang every fetch)."""
    return field(default=default, metadata={"help": help, "kind": kind, "minimum": minimum})


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = setting(
        f"news-monitor/{__version__} (+feed monitor)", "User-Agent header sent with every request"
    )
    connect_timeout: int = setting(10, "time allowed to open a connection", "duration", 1)
    read_timeout: int = setting(
        30, "time allowed between two reads of a response", "duration", 1
    )
    deadline: int = setting(
        60, "total time allowed for one fetch, body included", "duration", 1
    )
    max_body_size: int = setting(
        10_000_000, "bytes downloaded at most per response", "size", 1
    )
    max_decompressed_size: int = setting(
        50_000_000, "bytes at most after gzip/deflate/brotli decoding", "size", 1
    )
    max_redirects: int = setting(5, "redirects followed at most per fetch", minimum=0)
    concurrency: int = setting(20, "fetches in flight at once, all hosts together", minimum=1)
    per_host: int = setting(4, "fetches in flight at once to one host", minimum=1)
    max_entries: int = setting(200, "entries taken at most from one feed document", minimum=1)
    allow_private_networks: bool = setting(
        True,
        "fetch from loopback and private addresses (false refuses them, checked on the "
        "resolved address after every redirect)",
    )


@dataclass(frozen=True)
class ScheduleSettings:
    tick: int = setting(30, "how often the daemon asks which feeds are due", "duration", 1)
    max_interval: int = setting(
        86400, "upper bound on a feed's interval, whatever <ttl> or max-age say", "duration", 60
    )
    max_backoff: int = setting(
        43200, "longest wait after repeated failures", "duration", 60
    )
    startup_spread: int = setting(
        60, "new feeds get their first poll spread over this window", "duration", 0
    )
    grace_period: int = setting(
        10, "on shutdown, time given to in-flight fetches before they are abandoned", "duration", 0
    )


@dataclass(frozen=True)
class LanguageSettings:
    detector: str = setting("py3langid", "language detector: py3langid or langdetect")
    prior_weight: float = setting(
        0.2, "weight of the declared language (item, channel, feed) added to the detector's score",
        minimum=0,
    )


@dataclass(frozen=True)
class StatusSettings:
    listen: str = setting(
        "", "host:port of the status endpoint (/healthz, /metrics), e.g. 127.0.0.1:9120; "
        "empty: none")


@dataclass(frozen=True)
class StoreSettings:
    retention: int = setting(
        0, "article text older than this is pruned once a day (hits and their snippets are "
        "kept); 0: keep everything", "duration", 0)


@dataclass(frozen=True)
class DedupSettings:
    window: int = setting(
        604800, "a new article joins the story of a near-identical one seen this recently",
        "duration", 3600)


@dataclass(frozen=True)
class NotifySettings:
    tick: int = setting(10, "how often the daemon sends the deliveries that are due",
                        "duration", 1)
    max_age: int = setting(
        172800, "articles older than this (published, else fetched) are matched but not "
        "alerted", "duration", 0)
    retry_first: int = setting(
        60, "wait before retrying a failed delivery; it doubles with each failure",
        "duration", 1)
    retry_max: int = setting(
        3600, "longest wait between two attempts (a delivery is never dropped)", "duration", 1)
    timeout: int = setting(20, "time allowed to one delivery to one URL", "duration", 1)
    once_wait: int = setting(
        60, "how long `run --once` goes on sending (and retrying) before it exits",
        "duration", 0)
    health_after: int = setting(
        21600, "a feed failing for longer than this is reported broken (health_channel)",
        "duration", 0)
    silence_factor: float = setting(
        10.0, "a feed is reported silent after this many times its usual gap between "
        "articles without a new one", minimum=1)
    silence_min: int = setting(
        86400, "...and never before this long without a new article", "duration", 0)


@dataclass(frozen=True)
class Config:
    database: str = setting(
        "", "SQLite database file (default: news-monitor.db in the user data dir)"
    )
    rules_dir: str = setting(
        "", "folder of rule files (default: rules/ beside the config, else the packaged rules)"
    )
    default_interval: int = setting(
        900, "poll interval of feeds that set none", "duration", 60
    )
    log_level: str = setting("info", "debug, info, warning or error")
    watch_rules: bool = setting(
        False, "reload the rules when a file in rules_dir changes (checked every tick), "
        "as SIGHUP does")
    default_channel: str = setting(
        "", "channel of the rules that name none (a [channels.NAME] table); empty: none")
    health_channel: str = setting(
        "", "channel of feed health alerts (broken and recovered feeds); empty: none")
    fetch: FetchSettings = field(default_factory=FetchSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    status: StatusSettings = field(default_factory=StatusSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    feeds: tuple[FeedSpec, ...] = ()  # the [[feeds]] tables
    channels: tuple[ChannelSpec, ...] = ()  # the [channels.NAME] tables
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
    "store": StoreSettings,
    "status": StatusSettings,
    "dedup": DedupSettings,
    "notify": NotifySettings,
}


@dataclass(frozen=True)
class Setting:
    name: str  # dotted: "fetch.user_agent"
    type: str  # "str", "int", "float", "bool", "duration", "size"
    default: Any
    help: str
    minimum: float | None = None


def _settings_of(cls: type[Any], prefix: str) -> Iterator[Setting]:
    for f in dataclasses.fields(cls):
        if "help" not in f.metadata:
            continue
        kind = f.metadata["kind"] or str(f.type).split(" ")[0]
        yield Setting(prefix + f.name, kind, f.default, f.metadata["help"],
                      f.metadata["minimum"])


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
    """``value`` (from TOML or, as a string, from the environment) as the setting's type,
    within its minimum."""
    converted = _convert(spec, value)
    if spec.minimum is not None and converted < spec.minimum:
        smallest = f"{spec.minimum:g}" + ("s" if spec.type == "duration" else "")
        raise ValueError(f"{value!r} is below the smallest useful value, {smallest}")
    return converted


def _convert(spec: Setting, value: Any) -> Any:
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


def line_of(text: str, section: str, key: str, occurrence: int = 0) -> int:
    """The 1-based line where ``key`` is set in ``[section]`` (in its ``occurrence``-th
    table, for ``[[arrays]]``), or of the section's header when ``key`` is empty; 0 when
    not found."""
    current, seen = "", 0 if section == "" else -1
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"^\[\[?\s*([\w.-]+)\s*\]\]?", stripped)
        if header:
            current = header.group(1)
            seen += current == section
            if not key and current == section and seen == occurrence:
                return number
            continue
        if (current == section and seen == occurrence
                and re.match(rf"^{re.escape(key)}\s*=", stripped)):
            return number
    return 0


def _where(source: str, text: str, section: str, key: str) -> str:
    line = line_of(text, section, key)
    return f"{source}:{line}" if line else source


def _feed_value(key: str, value: Any) -> Any:
    """One ``[[feeds]]`` value checked and converted; ValueError says what is expected."""
    if key in ("url", "title"):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{key} must be a non-empty string, not {value!r}")
        return value.strip()
    if key == "tags":
        tags = [value] if isinstance(value, str) else value
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValueError(f'tags must be a list of strings like ["world", "fr"], not {value!r}')
        return tuple(tags)
    if key == "interval":
        return parse_duration(value)
    if key == "lang":
        from monitor.language import normalise_code

        code = normalise_code(value) if isinstance(value, str) else None
        if code is None:
            raise ValueError(f"{value!r} is not a language code (use e.g. fr, en-US)")
        return code
    if key == "full_text":
        if not isinstance(value, bool):
            raise ValueError(f"full_text must be true or false (no quotes), not {value!r}")
        return value
    raise ValueError(f"unknown key '{key}' (allowed: {', '.join(sorted(_FEED_KEYS))})")


def _feed_from(table: Any, index: int, source: str, text: str) -> FeedSpec:
    if not isinstance(table, dict) or "url" not in table:
        raise ConfigError(f"config: {source}: [[feeds]] #{index + 1}: every [[feeds]] table "
                          'needs url = "https://..."', "config.feed_url")
    values: dict[str, Any] = {}
    for key, value in table.items():
        try:
            values[key] = _feed_value(key, value)
        except ValueError as exc:
            line = line_of(text, "feeds", key, occurrence=index)
            where = f"{source}:{line}" if line else f"{source}: [[feeds]] #{index + 1}"
            code = "config.bad_value" if key in _FEED_KEYS else "config.unknown_key"
            raise ConfigError(f"config: {where}: [[feeds]] {exc}", code) from None
    return FeedSpec(**values, source="config")


def _flatten(data: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(section, key, value) for every setting-like key; section "" is top level."""
    for key, value in data.items():
        if key in ("feeds", "channels"):
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
    channels = _channels_from(data.get("channels", {}), label, text)
    names = {channel.name for channel in channels}
    from_env = _env_overrides(os.environ if environ is None else environ)
    for key in ("default_channel", "health_channel"):
        if top.get(key) and top[key] not in names:
            where = (f"${ENV_PREFIX}{key.upper()}" if key in from_env
                     else _where(label, text, "", key))
            raise ConfigError(
                f"config: {where}: {key} = '{top[key]}' names no [channels.{top[key]}] "
                f"table (defined: {', '.join(sorted(names)) or 'none'})",
                "config.unknown_channel")
    return Config(**top, **sections, feeds=feeds, channels=channels, source=source)


_CHANNEL_KEYS = ("urls", "urls_file", "language")
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9_-]+\Z")


def _channels_from(data: Any, source: str, text: str) -> tuple[ChannelSpec, ...]:
    """The ``[channels.NAME]`` tables: ``urls`` (Apprise URLs), ``urls_file``, ``language``."""
    if not isinstance(data, dict):
        raise ConfigError(f"config: {source}: 'channels' must be [channels.NAME] tables",
                          "config.bad_value")
    channels = []
    for name, table in data.items():
        section = f"channels.{name}"

        def fail(key: str, message: str, code: str = "config.bad_value",
                 section: str = section) -> ConfigError:
            return ConfigError(f"config: {_where(source, text, section, key)}: [{section}] "
                               f"{message}", code)

        if not _CHANNEL_NAME.fullmatch(name) or not isinstance(table, dict):
            raise fail("", "a channel is a table named with letters, digits, - and _, "
                       'holding urls = ["mailto://...", "slack://..."]')
        for key in table:
            if key not in _CHANNEL_KEYS:
                raise fail(key, f"unknown key '{key}' (allowed: {', '.join(_CHANNEL_KEYS)})",
                           "config.unknown_key")
        urls = table.get("urls", [])
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not all(isinstance(u, str) and u.strip()
                                                 for u in urls):
            raise fail("urls", 'urls must be a list of Apprise URLs, like ["mailto://..."]')
        urls_file = table.get("urls_file")
        if urls_file is not None and (not isinstance(urls_file, str) or not urls_file):
            raise fail("urls_file", "urls_file must be the path of a file of URLs")
        if not urls and urls_file is None:
            raise fail("", "a channel needs urls = [...] or urls_file = \"...\"")
        language = table.get("language", "en")
        if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}", language):
            raise fail("language", f"language must be a language code like en or fr, "
                       f"not {language!r}")
        channels.append(ChannelSpec(name, tuple(u.strip() for u in urls), urls_file,
                                    language))
    return tuple(channels)


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
