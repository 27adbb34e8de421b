"""Dedup: keys that say two entries are the same article (exact layer; near-duplicate
stories come later). The lookups against stored articles happen in the store."""
