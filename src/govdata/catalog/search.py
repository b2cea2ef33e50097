"""Chinese full-text search: jieba words in `catalog_search`, FTS5 on SQLite, tsvector on PostgreSQL."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

import jieba
from sqlalchemy import Select, delete, insert, select, text
from sqlalchemy.orm import Session

from govdata.catalog import labels
from govdata.catalog.models import CatalogEntry, SearchDoc

jieba.setLogLevel(logging.WARNING)
_WORD = re.compile(r"\w", re.UNICODE)
_initialised = False


def _ensure_jieba() -> None:
    """Load the dictionary once, up front, rather than inside the first request that searches."""
    global _initialised
    if not _initialised:
        jieba.initialize()
        _initialised = True


def words(text_: str) -> list[str]:
    """Index words: every word and its dictionary sub-words (search-engine mode), lower-cased."""
    _ensure_jieba()
    return [w.lower() for w in jieba.cut_for_search(text_) if _WORD.search(w)]


@lru_cache(maxsize=50_000)
def _part_words(part: str) -> tuple[str, ...]:
    """`words` of one part of a document, remembered: a catalog repeats most parts (unit and region names, the
    labels, common 信息项 such as 姓名 or 公民身份号码), and jieba is most of what indexing costs. Cutting the parts
    one by one gives the words of cutting them joined by spaces, as jieba never joins across a space."""
    return tuple(words(part))


def document(entry: CatalogEntry) -> str:
    parts = [entry.name, entry.summary, entry.code or "", entry.unit.name, entry.unit.region.name,
             labels.label_of("category", entry.category), labels.label_of("format", entry.format),
             labels.label_of("share_type", entry.share_type), labels.label_of("open_type", entry.open_type)]
    for f in entry.fields:
        parts += [f.label, f.name, f.description]
    return " ".join(dict.fromkeys(w for part in parts for w in _part_words(part)))


def _replace(db: Session, entries: list[CatalogEntry]) -> None:
    """The entries' index rows written anew. The delete leaves the session alone (synchronize_session=False): no
    SearchDoc is ever loaded as an object, and matching it against every object the session holds made an import
    or a re-index of n entries cost n² (2,000 entries: most of two minutes)."""
    db.execute(delete(SearchDoc).where(SearchDoc.entry_id.in_([e.id for e in entries]))
               .execution_options(synchronize_session=False))
    db.execute(insert(SearchDoc), [{"entry_id": e.id, "body": document(e)} for e in entries])


def index_entry(db: Session, entry: CatalogEntry) -> None:
    db.flush()
    _replace(db, [entry])


def _groups(q: str) -> list[list[str]]:
    """For each word of the query: the word itself, else all of its sub-words (both indexed)."""
    _ensure_jieba()
    groups: list[list[str]] = []
    for word in jieba.cut(q):
        word = word.strip().lower()
        if not _WORD.search(word):
            continue
        subs = [w.lower() for w in jieba.cut_for_search(word) if w.lower() != word and _WORD.search(w)]
        groups.append([word, *subs])
    return groups


def _fts5_query(groups: list[list[str]]) -> str:
    def quote(w: str) -> str:
        return '"' + w.replace('"', '""') + '"'

    terms = []
    for word, *subs in groups:
        terms.append(f"({quote(word)} OR ({' AND '.join(quote(s) for s in subs)}))" if subs else quote(word))
    return " AND ".join(terms)


def _tsquery(groups: list[list[str]]) -> str:
    def lexeme(w: str) -> str:
        return "'" + w.replace("'", "''").replace("\\", "\\\\") + "'"

    terms = []
    for word, *subs in groups:
        terms.append(f"({lexeme(word)} | ({' & '.join(lexeme(s) for s in subs)}))" if subs else lexeme(word))
    return " & ".join(terms)


def matching_ids(db: Session, q: str) -> Select[Any] | None:
    """A subquery of the ids of entries whose text holds every word of `q`; None when `q` has no words."""
    groups = _groups(q)
    if not groups:
        return None
    if db.get_bind().dialect.name == "sqlite":
        fts = text("SELECT rowid AS entry_id FROM catalog_fts WHERE catalog_fts MATCH :q").bindparams(
            q=_fts5_query(groups)).columns(entry_id=SearchDoc.entry_id.type)
        return select(fts.subquery().c.entry_id)
    # Written out so that the expression is exactly the GIN index's (a bound 'simple' would not match it).
    match = text("to_tsvector('simple'::regconfig, catalog_search.body) @@ to_tsquery('simple'::regconfig, :q)")
    return select(SearchDoc.entry_id).where(match.bindparams(q=_tsquery(groups)))


def rebuild(db: Session, chunk: int = 500) -> int:
    """Re-index every entry (after a bulk load or a change in how documents are made), `chunk` entries at a time
    in id order: each chunk is loaded with its units and fields, written in two statements and let go, so memory
    stays flat however large the catalog."""
    db.flush()
    held = {obj for obj in db.identity_map.values() if isinstance(obj, CatalogEntry)}  # the caller's: kept
    count, last = 0, 0
    while True:
        # as the database has them (the caller's changes are flushed; one it holds is read again, not trusted)
        entries = list(db.execute(select(CatalogEntry).where(CatalogEntry.id > last).order_by(CatalogEntry.id)
                                  .limit(chunk).execution_options(populate_existing=True)).unique().scalars())
        if not entries:
            return count
        _replace(db, entries)
        count, last = count + len(entries), entries[-1].id
        for entry in entries:
            if entry not in held:
                db.expunge(entry)  # with its fields (cascade)
