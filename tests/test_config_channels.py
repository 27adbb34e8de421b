"""Channels in the config: ``[channels.NAME]`` tables, ``default_channel`` and
``health_channel`` checked against them, errors naming file, line and key; the ``[notify]``
settings as durations."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import line_of, load
from monitor.errors import ConfigError
from monitor.models import ChannelSpec


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    return path


def refused(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path, environ=environ or {})
    return caught.value


def where(tmp_path: Path, line: int) -> str:
    return f"{(tmp_path / 'config.toml').resolve()}:{line}:"


# -- tables that parse -----------------------------------------------------------------------


def test_channel_tables_parse_lists_single_strings_files_and_languages(tmp_path: Path) -> None:
    config = load(write(tmp_path, (
        'default_channel = "desk"\n'
        'health_channel = "ops"\n'
        "\n"
        "[channels.desk]\n"
        'urls = ["json://127.0.0.1/a", " mailto://u:p@example.org "]\n'
        "\n"
        "[channels.analysts]\n"
        'urls = "slack://T1/B2/C3"\n'
        'language = "fr"\n'
        "\n"
        "[channels.ops]\n"
        'urls_file = "ops-urls"\n')), environ={})
    assert config.channels == (
        ChannelSpec("desk", ("json://127.0.0.1/a", "mailto://u:p@example.org"), None, "en"),
        ChannelSpec("analysts", ("slack://T1/B2/C3",), None, "fr"),
        ChannelSpec("ops", (), "ops-urls", "en"),
    )
    assert (config.default_channel, config.health_channel) == ("desk", "ops")


def test_urls_and_urls_file_together(tmp_path: Path) -> None:
    config = load(write(tmp_path, '[channels.both]\nurls = ["json://h/x"]\n'
                                  'urls_file = "/etc/news-monitor/urls"\nlanguage = "uk"\n'),
                  environ={})
    [channel] = config.channels
    assert channel.urls == ("json://h/x",)
    assert channel.urls_file == "/etc/news-monitor/urls"
    assert channel.language == "uk"


def test_no_channels_and_no_defaults_is_fine(tmp_path: Path) -> None:
    config = load(write(tmp_path, 'log_level = "info"\n'), environ={})
    assert config.channels == ()
    assert config.default_channel == "" and config.health_channel == ""


def test_channel_names_may_hold_digits_dashes_and_underscores(tmp_path: Path) -> None:
    config = load(write(tmp_path, '[channels.ops-2_b]\nurls = ["json://h/x"]\n'), environ={})
    assert [c.name for c in config.channels] == ["ops-2_b"]


# -- what is refused -------------------------------------------------------------------------


def test_unknown_key_in_a_channel_names_file_line_and_key(tmp_path: Path) -> None:
    error = refused(tmp_path, (
        'log_level = "info"\n'
        "\n"
        "[channels.desk]\n"
        'urls = ["json://h/x"]\n'
        'token = "abc"\n'))
    assert error.code == "config.unknown_key"
    assert where(tmp_path, 5) in str(error)
    assert "'token'" in str(error) and "[channels.desk]" in str(error)
    assert "urls_file" in str(error)  # the allowed keys are listed


def test_unknown_key_line_is_the_one_in_the_right_channel(tmp_path: Path) -> None:
    error = refused(tmp_path, (
        "[channels.a]\n"
        'urls = ["json://h/x"]\n'
        "[channels.ab]\n"
        'urls = ["json://h/y"]\n'
        "[channels.b]\n"
        'urls = ["json://h/z"]\n'
        "colour = 1\n"))
    assert error.code == "config.unknown_key"
    assert where(tmp_path, 7) in str(error) and "[channels.b]" in str(error)


@pytest.mark.parametrize("body", ["", "urls = []\n", 'language = "fr"\n'])
def test_a_channel_needs_urls_or_a_urls_file(tmp_path: Path, body: str) -> None:
    error = refused(tmp_path, f'log_level = "info"\n[channels.empty]\n{body}')
    assert error.code == "config.bad_value"
    assert where(tmp_path, 2) in str(error)  # the table's header
    assert "[channels.empty]" in str(error) and "urls" in str(error)


@pytest.mark.parametrize("value", ['"French"', '"EN"', '"en-US"', '"e"', "3"])
def test_bad_language_names_its_line(tmp_path: Path, value: str) -> None:
    error = refused(tmp_path, f'[channels.desk]\nurls = ["json://h/x"]\nlanguage = {value}\n')
    assert error.code == "config.bad_value"
    assert where(tmp_path, 3) in str(error) and "language" in str(error)


@pytest.mark.parametrize("value", ['[""]', '["  "]', "[1]", "3", '{a = "b"}'])
def test_urls_must_be_non_empty_strings(tmp_path: Path, value: str) -> None:
    error = refused(tmp_path, f'[channels.desk]\nurls = {value}\n')
    assert error.code == "config.bad_value"
    assert where(tmp_path, 2) in str(error) and "urls" in str(error)


@pytest.mark.parametrize("value", ['""', "3", '["a"]'])
def test_urls_file_must_be_a_path(tmp_path: Path, value: str) -> None:
    error = refused(tmp_path, f'[channels.desk]\nurls = ["json://h/x"]\nurls_file = {value}\n')
    assert error.code == "config.bad_value"
    assert where(tmp_path, 3) in str(error) and "urls_file" in str(error)


def test_channels_must_be_tables(tmp_path: Path) -> None:
    error = refused(tmp_path, "channels = 3\n")
    assert error.code == "config.bad_value" and "[channels.NAME]" in str(error)
    error = refused(tmp_path, '[channels]\ndesk = "json://h/x"\n')
    assert error.code == "config.bad_value" and "[channels.desk]" in str(error)


def test_channel_name_with_a_space_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, '[channels."two words"]\nurls = ["json://h/x"]\n')
    assert error.code == "config.bad_value"
    assert "letters, digits, - and _" in str(error)


@pytest.mark.parametrize("key", ["default_channel", "health_channel"])
def test_undefined_channel_names_the_line(tmp_path: Path, key: str) -> None:
    error = refused(tmp_path, (
        'log_level = "info"\n'
        f'{key} = "nowhere"\n'
        "\n"
        "[channels.desk]\n"
        'urls = ["json://h/x"]\n'
        "[channels.ops]\n"
        'urls = ["json://h/y"]\n'))
    assert error.code == "config.unknown_channel"
    assert where(tmp_path, 2) in str(error)
    assert key in str(error) and "[channels.nowhere]" in str(error)
    assert "desk, ops" in str(error)  # what is defined


def test_default_channel_without_any_channel_says_none_is_defined(tmp_path: Path) -> None:
    error = refused(tmp_path, 'default_channel = "desk"\n')
    assert error.code == "config.unknown_channel"
    assert where(tmp_path, 1) in str(error) and "none" in str(error)


# -- environment overrides -------------------------------------------------------------------


def test_env_default_channel_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'default_channel = "desk"\n[channels.desk]\nurls = ["json://h/x"]\n'
                           '[channels.ops]\nurls = ["json://h/y"]\n')
    assert load(path, environ={}).default_channel == "desk"
    assert load(path, environ={"NEWSMON_DEFAULT_CHANNEL": "ops"}).default_channel == "ops"
    assert load(path, environ={"NEWSMON_HEALTH_CHANNEL": "ops"}).health_channel == "ops"
    assert load(path, environ={"NEWSMON_DEFAULT_CHANNEL": ""}).default_channel == ""


def test_env_default_channel_is_checked_too(tmp_path: Path) -> None:
    error = refused(tmp_path, '[channels.desk]\nurls = ["json://h/x"]\n',
                    environ={"NEWSMON_DEFAULT_CHANNEL": "nowhere"})
    assert error.code == "config.unknown_channel" and "nowhere" in str(error)


def test_env_default_channel_error_names_the_variable(tmp_path: Path) -> None:
    error = refused(tmp_path, 'default_channel = "desk"\n[channels.desk]\nurls = ["json://h/x"]\n',
                    environ={"NEWSMON_DEFAULT_CHANNEL": "nowhere"})
    assert error.code == "config.unknown_channel"
    assert "NEWSMON_DEFAULT_CHANNEL" in str(error)


# -- [notify] settings -----------------------------------------------------------------------


def test_notify_settings_parse_durations(tmp_path: Path) -> None:
    config = load(write(tmp_path, (
        "[notify]\n"
        'tick = "2s"\n'
        'max_age = "3h"\n'
        'retry_first = "30s"\n'
        'retry_max = "2h"\n'
        "timeout = 5\n"
        'once_wait = "0s"\n')), environ={})
    notify = config.notify
    assert (notify.tick, notify.max_age, notify.retry_first, notify.retry_max, notify.timeout,
            notify.once_wait) == (2, 3 * 3600, 30, 2 * 3600, 5, 0)


def test_notify_defaults() -> None:
    notify = load(None, environ={}).notify
    assert (notify.tick, notify.max_age, notify.retry_first, notify.retry_max, notify.timeout,
            notify.once_wait) == (10, 2 * 86400, 60, 3600, 20, 60)


def test_notify_env_override(tmp_path: Path) -> None:
    config = load(write(tmp_path, '[notify]\nmax_age = "1d"\n'),
                  environ={"NEWSMON_NOTIFY__MAX_AGE": "6h", "NEWSMON_NOTIFY__RETRY_MAX": "10m"})
    assert (config.notify.max_age, config.notify.retry_max) == (6 * 3600, 600)


@pytest.mark.parametrize(("body", "line"), [
    ('[notify]\nretry_first = "0s"\n', 2),
    ('[notify]\ntick = "soon"\n', 2),
    ('log_level = "info"\n[notify]\ntimeout = "0s"\n', 3),
])
def test_bad_notify_durations_name_their_line(tmp_path: Path, body: str, line: int) -> None:
    error = refused(tmp_path, body)
    assert error.code == "config.bad_value"
    assert where(tmp_path, line) in str(error) and "notify." in str(error)


def test_unknown_notify_setting(tmp_path: Path) -> None:
    error = refused(tmp_path, '[notify]\nretries = 3\n')
    assert error.code == "config.unknown_key"
    assert where(tmp_path, 2) in str(error) and "notify.retries" in str(error)


# -- line_of ---------------------------------------------------------------------------------


def test_line_of_with_an_empty_key_is_the_section_header() -> None:
    text = ('default_channel = "a"\n'
            "[channels.a]\n"
            'urls = ["x"]\n'
            "\n"
            "[ channels.b ]\n"
            'urls = ["y"]\n')
    assert line_of(text, "channels.a", "") == 2
    assert line_of(text, "channels.b", "") == 5
    assert line_of(text, "channels.b", "urls") == 6
    assert line_of(text, "channels.c", "") == 0
    assert line_of(text, "", "default_channel") == 1
    assert line_of(text, "", "") == 0  # the top level has no header


def test_line_of_does_not_confuse_urls_and_urls_file() -> None:
    text = '[channels.a]\nurls_file = "f"\nurls = ["x"]\n'
    assert line_of(text, "channels.a", "urls") == 3
    assert line_of(text, "channels.a", "urls_file") == 2
