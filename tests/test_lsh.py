"""The in-memory band index and its life beside the database: lookups equal a plain
dictionary's, rows written by another connection are found, rows written before band keys
were stored are read, pruning rebuilds it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from monitor.dedup import lsh
from monitor.dedup.lsh import BandIndex
from monitor.dedup.near import BAND_KEYS, FULL_BANDS, band_keys, bands, signature
from monitor.models import Signature
from monitor.store import stories
from monitor.store.db import open_database

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
WEEK = NOW - timedelta(days=7)


def random_keys(rng: random.Random, count: int) -> list[int]:
    # a small key space, so that keys are shared and every bucket is used
    return [rng.choice([rng.getrandbits(32), rng.randrange(300) << 24 | 5])
            for _ in range(count)]


@pytest.mark.parametrize("pending", [3, 50, lsh.PENDING])
def test_lookups_equal_a_dictionary(monkeypatch: pytest.MonkeyPatch, pending: int) -> None:
    monkeypatch.setattr(lsh, "PENDING", pending)
    rng = random.Random(11)
    index, reference = BandIndex(), dict[int, set[int]]()
    for article in range(1, 400):
        keys = [key % 2**32 for key in random_keys(rng, 22)]
        index.add(article, keys)
        for key in keys:
            reference.setdefault(key, set()).add(article)
        probe = [*keys[:3], *(key % 2**32 for key in random_keys(rng, 5))]
        assert index.candidates(probe) == set().union(*(reference.get(k, set())
                                                        for k in probe))
    assert len(index) == 399 * 22


def test_extend_equals_one_by_one() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2**32, size=(300, BAND_KEYS), dtype=np.uint32)
    keys[100:110] = keys[0]  # ten copies of article 1
    ids = np.arange(1, 301, dtype=np.int64)
    one, many = BandIndex(), BandIndex()
    for article, row in zip(ids.tolist(), keys, strict=True):
        one.add(article, row.tolist())
    many.extend([(ids[:150], keys[:150]), (ids[150:200], keys[150:200])])
    many.add(201, keys[200].tolist())  # then one by one, then in bulk again
    many.extend([(ids[201:], keys[201:])])
    for row in keys[::7]:
        assert one.candidates(row.tolist()) == many.candidates(row.tolist())
    assert many.candidates(keys[0].tolist()) >= {1, *range(101, 111)}


def test_band_keys_of_many_equal_those_of_one() -> None:
    sigs = [sig for n in range(20) if (sig := signature("", text(n))) is not None]
    full = np.stack([np.frombuffer(s.full, dtype=np.uint32) for s in sigs])
    lead = np.stack([np.frombuffer(s.lead, dtype=np.uint32) for s in sigs])
    together = band_keys(full, lead)
    assert together.shape == (len(sigs), BAND_KEYS)
    assert [bands(s) for s in sigs] == [row.astype("<u4").tobytes() for row in together]
    # equal values in two bands still make two keys (the band's number is mixed in)
    same = np.zeros((1, 128), dtype=np.uint32)
    assert len(set(band_keys(same, same)[0].tolist())) == BAND_KEYS
    # a value changes the key of its band only: value 4 is in full band 1, lead value 5 in
    # lead band 1; values past the bands change nothing
    base = band_keys(full[:1], lead[:1])[0]
    for values, position, changed in (("full", 4, {1}), ("lead", 5, {FULL_BANDS + 1}),
                                      ("full", 127, set())):
        edited = {"full": full[:1].copy(), "lead": lead[:1].copy()}
        edited[values][0, position] += 1
        keys = band_keys(edited["full"], edited["lead"])[0]
        assert {i for i in range(BAND_KEYS) if keys[i] != base[i]} == changed


def text(seed: int, words: int = 120) -> str:
    rng = random.Random(seed)
    return " ".join("".join(rng.choices("abcdefghijklmnop", k=rng.randint(3, 8)))
                    for _ in range(words))


def store_article(db: object, number: int, body: str, when: datetime = NOW
                  ) -> tuple[int, int, bool]:
    """An article row plus its story: (article id, story id, joined)."""
    from sqlite_utils import Database

    assert isinstance(db, Database)
    feed = db.execute("INSERT OR IGNORE INTO feeds (url, origin_url, created_at, updated_at) "
                      "VALUES ('f:', 'f:', '', '')")
    feed_id = db.execute("SELECT id FROM feeds WHERE url = 'f:'").fetchone()[0]
    del feed
    article = int(db.execute(
        "INSERT INTO articles (feed_id, guid, title, text, lang, lang_confidence, "
        "published_at, fetched_at, content_hash, entry_hash) VALUES (?, ?, '', ?, 'en', 1, "
        "?, ?, ?, ?)", [feed_id, str(number), body, when.isoformat(), when.isoformat(),
                        str(number), str(number)]).lastrowid or 0)
    story, joined = stories.assign(db, article, feed_id, "", "en", signature("", body), when,
                                   when - timedelta(days=7))
    return article, story, joined


def test_rows_from_another_connection_are_found(tmp_path: Path) -> None:
    first, second = open_database(tmp_path / "s.db"), open_database(tmp_path / "s.db")
    _, story_a, _ = store_article(first, 1, text(1))
    _, copy_story, joined = store_article(second, 2, "LONDON (Reuters) - " + text(1))
    assert joined and copy_story == story_a  # built from the rows the first one wrote
    _, story_b, _ = store_article(second, 3, text(2))
    # the first connection's index was built before article 3: it catches up
    _, found, joined = store_article(first, 4, text(2)[:-20])
    assert joined and found == story_b


def test_rows_written_before_band_keys_were_stored_are_read(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.db")
    _, story, _ = store_article(db, 1, text(3))
    db.execute("UPDATE signatures SET bands = NULL")  # as schema 5 left them
    fresh = open_database(tmp_path / "s.db")
    _, found, joined = store_article(fresh, 2, text(3) + " and a last word or two")
    assert joined and found == story


def test_pruning_most_of_the_window_rebuilds_the_index(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.db")
    old = NOW - timedelta(days=3)
    for number in range(10):
        store_article(db, number, text(100 + number), old)
    assert len(stories.band_index(db, WEEK)) == 10 * BAND_KEYS
    store_article(db, 20, text(200))
    assert stories.prune(db, NOW - timedelta(days=1)) == 10
    index = stories.band_index(db, WEEK)
    assert len(index) == 1 * BAND_KEYS
    pruned = signature("", text(100))
    assert pruned is not None
    assert index.candidates(np.frombuffer(bands(pruned), dtype="<u4").tolist()) == set()


def test_an_updated_article_is_found_by_its_new_text(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.db")
    article, story, _ = store_article(db, 1, text(7))
    store_article(db, 2, text(8))  # the index is now past article 1
    new = signature("", text(9))
    assert isinstance(new, Signature)
    stories.refresh(db, article, new, NOW)
    _, found, joined = store_article(db, 3, "PARIS (AFP) - " + text(9))
    assert joined and found == story


def test_a_rolled_back_batch_leaves_no_hole_in_the_index(tmp_path: Path) -> None:
    from monitor.store.transaction import transaction

    db = open_database(tmp_path / "s.db")
    store_article(db, 1, text(30))
    with pytest.raises(RuntimeError), transaction(db):
        store_article(db, 2, text(31))
        store_article(db, 3, text(32))  # reads article 2 into the index
        raise RuntimeError("the batch fails")
    # the ids of the undone rows are given to new articles
    article, story, _ = store_article(db, 4, text(33))
    store_article(db, 5, text(34))
    assert article == 2
    _, found, joined = store_article(db, 6, "BERLIN (dpa) - " + text(33))
    assert joined and found == story


@pytest.mark.parametrize("few", [1_000, 2])
def test_a_new_process_builds_the_index_from_the_rows(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      few: int) -> None:
    monkeypatch.setattr(stories, "FEW", few)  # 2: read in bulk, three rows at a time
    monkeypatch.setattr(stories, "LOAD_ROWS", 3)
    db = open_database(tmp_path / "s.db")
    found_by = {store_article(db, n, text(50 + n))[1]: n for n in range(10)}
    db.execute("UPDATE signatures SET bands = NULL WHERE article_id % 3 = 0")  # schema 5
    fresh = open_database(tmp_path / "s.db")
    assert len(stories.band_index(fresh, WEEK)) == 10 * BAND_KEYS
    for story, n in found_by.items():
        _, joined_story, joined = store_article(fresh, 100 + n, text(50 + n) + " more words")
        assert joined and joined_story == story


def test_rows_older_than_the_window_stay_out_of_memory(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.db")
    for number in range(5):  # not pruned yet: the daemon was down
        store_article(db, number, text(60 + number), NOW - timedelta(days=10))
    fresh = open_database(tmp_path / "s.db")
    assert len(stories.band_index(fresh, WEEK)) == 0
    store_article(fresh, 10, text(70))
    assert len(stories.band_index(fresh, WEEK)) == BAND_KEYS


def test_a_new_process_starts_from_the_saved_copy(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories, "SNAPSHOT_MIN", 4)
    db = open_database(tmp_path / "s.db")
    story_of = {n: store_article(db, n, text(80 + n))[1] for n in range(12)}
    saved = db.execute("SELECT upto, size FROM band_snapshot_info").fetchone()
    assert saved is not None and saved[1] >= 4
    later = store_article(db, 40, text(90), NOW + timedelta(seconds=5))  # after the copy
    restubbed = signature("", text(91))
    assert restubbed is not None  # the first article (id 1) re-signed after the copy
    stories.refresh(db, 1, restubbed, NOW + timedelta(seconds=5))

    def no_build(*_: object) -> None:
        raise AssertionError("built from the rows although a copy was saved")

    monkeypatch.setattr(stories, "_build", no_build)
    fresh = open_database(tmp_path / "s.db")
    for n in range(3, 12, 3):
        _, found, joined = store_article(fresh, 100 + n, "ROME (ANSA) - " + text(80 + n))
        assert joined and found == story_of[n]
    _, found, joined = store_article(fresh, 200, text(90) + " said the minister")
    assert joined and found == later[1]
    _, found, joined = store_article(fresh, 201, text(91) + " said the minister")
    assert joined and found == story_of[0]


def test_pruning_drops_a_saved_copy_of_mostly_pruned_articles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories, "SNAPSHOT_MIN", 4)
    db = open_database(tmp_path / "s.db")
    for n in range(8):
        store_article(db, n, text(120 + n), NOW - timedelta(days=3))
    store_article(db, 9, text(140))
    assert db.execute("SELECT count(*) FROM band_snapshot").fetchone()[0] == 256
    stories.prune(db, NOW - timedelta(days=1))
    assert db.execute("SELECT count(*) FROM band_snapshot_info").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM band_snapshot").fetchone()[0] == 0
    fresh = open_database(tmp_path / "s.db")
    assert len(stories.band_index(fresh, WEEK)) == BAND_KEYS  # built from what is left


def test_the_highest_key_is_found() -> None:
    index = BandIndex()
    index.add(7, [2**32 - 1, 0])
    index.flush()
    assert index.candidates([2**32 - 1]) == {7} and index.candidates([0]) == {7}
    assert index.candidates([2**32 - 2, 1]) == set()


def test_an_article_re_signed_by_another_process_is_found(tmp_path: Path) -> None:
    daemon, other = open_database(tmp_path / "s.db"), open_database(tmp_path / "s.db")
    article, story, _ = store_article(daemon, 1, text(150))
    store_article(daemon, 2, text(151))  # the daemon's index is past article 1
    new = signature("", text(152))
    assert new is not None
    stories.refresh(other, article, new, NOW)  # e.g. `newsmon run --once` beside it
    _, found, joined = store_article(daemon, 3, "MADRID (EFE) - " + text(152))
    assert joined and found == story


def test_ids_used_again_after_a_feed_is_removed_are_read(tmp_path: Path) -> None:
    daemon, cli = open_database(tmp_path / "s.db"), open_database(tmp_path / "s.db")
    store_article(daemon, 1, text(160))
    last, _, _ = store_article(daemon, 2, text(161))
    cli.execute("DELETE FROM articles WHERE id = ?", [last])  # its signature goes with it
    again, story, _ = store_article(cli, 3, text(162))
    assert again == last  # SQLite gives the id out again
    _, found, joined = store_article(daemon, 4, text(162) + " the agency reported")
    assert joined and found == story
