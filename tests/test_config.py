"""Settings: the table, TOML, environment overrides, errors naming key and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor import config
from monitor.config import SETTINGS, build, find_config_file, load
from monitor.durations import format_duration, parse_duration, parse_point_in_time
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config.example.toml"


def test_every_setting_is_documented_in_the_example() -> None:
    text = EXAMPLE.read_text("utf-8")
    for spec in SETTINGS:
        section, _, key = spec.name.rpartition(".")
        assert config.line_of(text, section, key), f"{spec.name} missing from config.example.toml"


def test_example_defaults_equal_the_declared_defaults() -> None:
    loaded = load(EXAMPLE, environ={})
    for spec in SETTINGS:
        value: object = loaded
        for part in spec.name.split("."):
            value = getattr(value, part)
        if spec.name != "fetch.user_agent":
            assert value == spec.default, spec.name


def test_embedded_defaults_are_the_example_file() -> None:
    embedded = load(None, environ={})
    assert embedded.source == ""
    assert len(embedded.feeds) >= 11
    assert {f.lang for f in embedded.feeds} >= {"en", "fr", "de", "es", "it", "pl", "uk", "ru",
                                                "ar", "ja", "zh"}


def test_durations_and_sizes_parse() -> None:
    loaded = build({"default_interval": "2h", "fetch": {"deadline": "90s",
                                                          "max_body_size": "2MB"}}, environ={})
    assert loaded.default_interval == 7200
    assert loaded.fetch.deadline == 90
    assert loaded.fetch.max_body_size == 2_000_000


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('database = "x.db"\n\n[fetch]\nuser_agent = "a"\ntimout = "5s"\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load(path, environ={})
    assert f"{path.resolve()}:5" in str(err.value)
    assert "fetch.timout" in str(err.value)
    assert err.value.code == "config.unknown_key"


def test_bad_value_names_setting_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[schedule]\ntick = "soon"\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load(path, environ={})
    assert ":2:" in str(err.value) and "schedule.tick" in str(err.value)
    assert "15m" in str(err.value)  # says what is accepted


def test_toml_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("database = \n", "utf-8")
    with pytest.raises(ConfigError, match="line 1"):
        load(path, environ={})


def test_feeds_tables(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[feeds]]\nurl = "https://a.example/rss"\ninterval = "30m"\n'
                    'tags = ["x", "y"]\nlang = "fr"\nfull_text = true\n'
                    '[[feeds]]\nurl = "https://b.example/rss"\n', "utf-8")
    loaded = load(path, environ={})
    first, second = loaded.feeds
    assert (first.interval, first.tags, first.lang, first.full_text) == (1800, ("x", "y"),
                                                                         "fr", True)
    assert second.interval is None and second.tags == ()


def test_feed_without_url_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[feeds]]\ntitle = "no url"\n', "utf-8")
    with pytest.raises(ConfigError, match="needs url"):
        load(path, environ={})


def test_environment_overrides() -> None:
    env = {"NEWSMON_DATABASE": "/tmp/x.db", "NEWSMON_FETCH__USER_AGENT": "bot/1",
           "NEWSMON_SCHEDULE__TICK": "1m", "NEWSMON_FETCH__ALLOW_PRIVATE_NETWORKS": "false"}
    loaded = build({"database": "other.db"}, environ=env)
    assert loaded.database == "/tmp/x.db"
    assert loaded.fetch.user_agent == "bot/1"
    assert loaded.schedule.tick == 60
    assert loaded.fetch.allow_private_networks is False


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$NEWSMON_SCHEDULE__TICK"):
        build({}, environ={"NEWSMON_SCHEDULE__TICK": "often"})


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = tmp_path / "explicit.toml"
    from_env = tmp_path / "env.toml"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text("", "utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert find_config_file(str(explicit), environ={"NEWSMON_CONFIG": str(from_env)}) == explicit
    assert find_config_file(None, environ={"NEWSMON_CONFIG": str(from_env)}) == from_env
    assert find_config_file(None, environ={}) == Path("config.toml")
    (tmp_path / "config.toml").unlink()
    systemd_dir = tmp_path / "etc"
    systemd_dir.mkdir()
    (systemd_dir / "config.toml").write_text("", "utf-8")
    env = {"CONFIGURATION_DIRECTORY": str(systemd_dir)}
    assert find_config_file(None, environ=env) == systemd_dir / "config.toml"
    assert find_config_file(None, environ={}) is None


def test_relative_database_is_beside_the_config(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('database = "data/news.db"\n', "utf-8")
    assert load(path, environ={}).database_path() == (tmp_path / "data" / "news.db").resolve()


def test_rules_dir_defaults_to_rules_beside_the_config(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("", "utf-8")
    (tmp_path / "rules").mkdir()
    assert load(path, environ={}).rules_path() == tmp_path / "rules"


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200),
                                               ("7d", 604800), (" 1w ", 604800), (45, 45)])
def test_duration_grammar(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["15", "15 minutes", "1.5h", "-3m", "", True])
def test_duration_grammar_refuses(bad: str | bool) -> None:
    with pytest.raises(ValueError, match="30s, 15m, 2h, 7d"):
        parse_duration(bad)


def test_format_duration_round_trips() -> None:
    for seconds in (30, 90, 900, 7200, 86400, 604800):
        assert parse_duration(format_duration(seconds)) == seconds


def test_point_in_time() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert parse_point_in_time("7d", now) == datetime(2026, 11, 19, 12, tzinfo=UTC)
    assert parse_point_in_time("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_point_in_time("2026-11-01T08:00:00+01:00", now).hour == 7
    with pytest.raises(ValueError, match="point in time"):
        parse_point_in_time("yesterday", now)


def test_every_command_has_an_example_and_is_in_the_readme() -> None:
    import click

    from monitor.cli import cli

    readme = (REPO / "README.md").read_text("utf-8")

    def walk(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
        found = []
        for name, command in group.commands.items():
            full = f"{prefix} {name}".strip()
            if isinstance(command, click.Group):
                found += walk(command, full)
            else:
                found.append((full, command))
        return found

    for name, command in walk(cli, ""):
        assert "Example:" in (command.help or ""), f"`newsmon {name}` has no Example: block"
        assert re.search(rf"newsmon {re.escape(name)}\b", readme), f"`newsmon {name}` not in README"


def test_config_check_command(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    good = tmp_path / "good.toml"
    good.write_text('[[feeds]]\nurl = "https://a.example/rss"\nlang = "en-US"\n', "utf-8")
    out = CliRunner().invoke(cli, ["config", "check", str(good)])
    assert out.exit_code == 0 and "OK (1 feed(s)" in out.output
    assert load(good, environ={}).feeds[0].lang == "en"
    bad = tmp_path / "bad.toml"
    bad.write_text('[fetch]\nconcurrency = "many"\n', "utf-8")
    out = CliRunner().invoke(cli, ["config", "check", str(bad)])
    assert out.exit_code == 1
    assert f"{bad.resolve()}:2: fetch.concurrency" in out.output
    assert "[config.bad_value]" in out.output


@pytest.mark.parametrize(("body", "line", "needle"), [
    ('[fetch]\nconcurrency = 0\n', 2, "smallest useful value, 1"),
    ('[fetch]\nper_host = -3\n', 2, "smallest useful value"),
    ('[schedule]\ntick = "0s"\n', 2, "1s"),
])
def test_settings_below_their_minimum_are_refused(tmp_path: Path, body: str, line: int,
                                                  needle: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(body, "utf-8")
    with pytest.raises(ConfigError) as err:
        load(path, environ={})
    assert f"{path.resolve()}:{line}:" in str(err.value) and needle in str(err.value)


@pytest.mark.parametrize(("value", "needle"), [
    ('full_text = "false"', "true or false (no quotes)"),
    ("tags = 5", "list of strings"),
    ("title = 5", "non-empty string"),
    ('lang = "english"', "not a language code"),
])
def test_feed_values_are_type_checked_at_their_own_table(tmp_path: Path, value: str,
                                                         needle: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[feeds]]\nurl = "https://a.example/rss"\ntitle = "A"\n\n'
                    f'[[feeds]]\nurl = "https://b.example/rss"\n{value}\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load(path, environ={})
    assert f"{path.resolve()}:7:" in str(err.value) and needle in str(err.value)
