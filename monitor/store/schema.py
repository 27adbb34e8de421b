"""The schema as a list of forward migrations; ``PRAGMA user_version`` is the version.

Each migration is a tuple of statements (one ``execute`` each, so triggers and FTS tables
with inner semicolons are safe), applied once, in order, inside a transaction. Later
releases append to ``MIGRATIONS``; never edit one that has shipped. docs/schema.md
describes the result.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: feeds and articles
    (
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            origin_url TEXT NOT NULL,
            title TEXT,
            site_url TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            lang TEXT,
            interval INTEGER,
            full_text INTEGER NOT NULL DEFAULT 0,
            paused INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL DEFAULT 'cli',
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            cache_ttl INTEGER,
            next_check_at TEXT,
            last_check_at TEXT,
            last_success_at TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            last_error_code TEXT,
            last_error TEXT,
            lang_agree INTEGER NOT NULL DEFAULT 0,
            lang_disagree INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        """
        CREATE INDEX feeds_next_check_at ON feeds (paused, next_check_at)
        """,
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            guid TEXT NOT NULL,
            url TEXT,
            canonical_url TEXT,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            lang TEXT NOT NULL,
            lang_confidence REAL NOT NULL,
            declared_lang TEXT,
            published_at TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            updated_at TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            content_hash TEXT NOT NULL,
            entry_hash TEXT NOT NULL,
            UNIQUE (feed_id, guid)
        )
        """,
        """
        CREATE INDEX articles_canonical_url ON articles (canonical_url)
        """,
        """
        CREATE INDEX articles_content_hash ON articles (content_hash)
        """,
        """
        CREATE INDEX articles_published_at ON articles (published_at)
        """,
    ),
    # 2: hits
    (
        """
        CREATE TABLE hits (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            rule_version TEXT NOT NULL,
            lang TEXT NOT NULL,
            captures TEXT NOT NULL DEFAULT '{}',
            snippet TEXT NOT NULL,
            spans TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            UNIQUE (article_id, rule_id)
        )
        """,
        """
        CREATE INDEX hits_rule_created ON hits (rule_id, created_at)
        """,
    ),
    # 3: the alert outbox
    (
        """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            rule_id TEXT,
            payload TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE INDEX messages_rule_channel ON messages (rule_id, channel, created_at)
        """,
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            hit_id INTEGER NOT NULL REFERENCES hits(id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            digest INTEGER NOT NULL DEFAULT 0,
            due_at TEXT NOT NULL,
            message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            UNIQUE (hit_id, channel)
        )
        """,
        """
        CREATE INDEX alerts_unsent ON alerts (message_id, due_at)
        """,
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            url_key TEXT NOT NULL,
            url_shown TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT,
            claimed_until TEXT,
            UNIQUE (message_id, url_key)
        )
        """,
        """
        CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)
        """,
        """
        ALTER TABLE feeds ADD COLUMN health TEXT NOT NULL DEFAULT 'ok'
        """,
        """
        ALTER TABLE feeds ADD COLUMN health_since TEXT
        """,
        """
        ALTER TABLE feeds ADD COLUMN failing_since TEXT
        """,
    ),
    # 4: stories (near-duplicates grouped)
    (
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )
        """,
        """
        CREATE INDEX stories_last_seen ON stories (last_seen)
        """,
        """
        ALTER TABLE articles ADD COLUMN story_id INTEGER REFERENCES stories(id)
        """,
        """
        CREATE INDEX articles_story ON articles (story_id)
        """,
        """
        CREATE TABLE story_sources (
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            lang TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            UNIQUE (story_id, feed_id, article_id)
        )
        """,
        """
        CREATE INDEX story_sources_article ON story_sources (article_id)
        """,
        """
        CREATE INDEX hits_created ON hits (created_at)
        """,
        """
        CREATE TABLE signatures (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            scheme TEXT NOT NULL,
            shingles INTEGER NOT NULL,
            full BLOB NOT NULL,
            lead BLOB NOT NULL,
            seen_at TEXT NOT NULL
        )
        """,
        """
        CREATE INDEX signatures_seen ON signatures (seen_at)
        """,
        """
        CREATE TABLE bands (
            key INTEGER NOT NULL,
            article_id INTEGER NOT NULL REFERENCES signatures(article_id) ON DELETE CASCADE,
            PRIMARY KEY (key, article_id)
        ) WITHOUT ROWID
        """,
        """
        CREATE INDEX bands_article ON bands (article_id)
        """,
    ),
    # 5: full-text search over articles, kept in sync by triggers
    (
        """
        CREATE VIRTUAL TABLE articles_fts USING fts5 (
            title, text, content='articles', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        )
        """,
        """
        CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END
        """,
        """
        CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END
        """,
        """
        CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END
        """,
        """
        INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')
        """,
    ),
    # 6: band keys kept with their signature; the lookup table over them lives in memory,
    # with a copy saved now and then so that a new process need not build it
    (
        """
        ALTER TABLE signatures ADD COLUMN bands BLOB
        """,
        """
        ALTER TABLE signatures ADD COLUMN seq INTEGER
        """,
        """
        CREATE INDEX signatures_seq ON signatures (seq)
        """,
        """
        DROP INDEX bands_article
        """,
        """
        DROP TABLE bands
        """,
        """
        CREATE TABLE band_snapshot (
            bucket INTEGER PRIMARY KEY,
            entries BLOB NOT NULL
        )
        """,
        """
        CREATE TABLE band_snapshot_info (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            layout TEXT NOT NULL,
            upto INTEGER NOT NULL,
            size INTEGER NOT NULL,
            stale INTEGER NOT NULL
        )
        """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the database; return the version reached.

    The version is read inside a write transaction, so two processes opening a new
    database at once do not both try to create it."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            from monitor.errors import StoreError

            raise StoreError(
                f"store: database schema version {current} is newer than this release knows "
                f"({SCHEMA_VERSION}); upgrade news-monitor",
                "store.schema_too_new",
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
