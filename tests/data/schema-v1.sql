-- A database made by news-monitor 0.1.0 (schema version 1), kept to test upgrades.
PRAGMA user_version = 1;
BEGIN TRANSACTION;
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
        );
INSERT INTO "articles" VALUES(1,1,'g1','https://a.example/1','https://a.example/1','Norway pledges frigates','Norway has pledged two frigates as part of the security guarantees for Ukraine.','en',0.99,NULL,'2026-11-20T08:30:00+00:00','2026-11-20T09:00:00+00:00',NULL,1,'c1','e1');
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
        );
INSERT INTO "feeds" VALUES(1,'https://a.example/rss','https://a.example/rss','A wire',NULL,'["world"]','en',NULL,0,0,'cli',NULL,NULL,NULL,NULL,NULL,NULL,'2026-11-20T09:00:00+00:00',0,NULL,NULL,0,0,'2026-11-20T08:00:00+00:00','2026-11-20T08:00:00+00:00');
CREATE INDEX feeds_next_check_at ON feeds (paused, next_check_at)
        ;
CREATE INDEX articles_canonical_url ON articles (canonical_url)
        ;
CREATE INDEX articles_content_hash ON articles (content_hash)
        ;
CREATE INDEX articles_published_at ON articles (published_at)
        ;
COMMIT;
