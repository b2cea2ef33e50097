"""Re-indexing the whole catalog (`catalog.search.rebuild`): every entry's document written anew, chunk by chunk,
and the caller's own objects left in its session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text, update

from govdata.catalog import labels, search
from govdata.catalog.models import CatalogEntry, SearchDoc


def _found(db: Any, q: str) -> set[str]:
    ids = search.matching_ids(db, q)
    assert ids is not None
    return set(db.execute(select(CatalogEntry.name).where(CatalogEntry.id.in_(ids))).scalars())


def test_rebuild_indexes_every_entry_anew_in_chunks(database: Any) -> None:
    with database.write() as db:
        entries = db.execute(select(func.count()).select_from(CatalogEntry)).scalar_one()
        assert entries > 3  # more than one chunk below
        marriage = db.execute(select(CatalogEntry).where(CatalogEntry.name == "婚姻登记信息")).scalar_one()
        db.execute(text("DELETE FROM catalog_search"))  # an index lost (or made by an older way of indexing)
        # renamed behind the index's back, as a bulk load would
        db.execute(update(CatalogEntry).where(CatalogEntry.id == marriage.id).values(name="犬只登记信息"),
                   execution_options={"synchronize_session": False})
        assert _found(db, "婚姻登记") == set()

        assert search.rebuild(db, chunk=3) == entries

        assert db.execute(select(func.count()).select_from(SearchDoc)).scalar_one() == entries
        assert _found(db, "犬只") == {"犬只登记信息"}
        assert {"人口基础信息", "户籍人口信息"} <= _found(db, "公民身份号码")
        assert marriage in db  # the caller's object stays in its session
    with database.write() as db:  # and again over an index that is there: replaced, not doubled
        assert search.rebuild(db) == entries
        assert db.execute(select(func.count()).select_from(SearchDoc)).scalar_one() == entries
        assert _found(db, "犬只") == {"犬只登记信息"}


def test_a_document_holds_the_words_of_its_whole_text(database: Any) -> None:
    """Parts are cut one by one (and remembered): the same words, in the same order, as cutting them joined."""
    with database.read() as db:
        entries = list(db.execute(select(CatalogEntry)).unique().scalars())
        assert entries
        for entry in entries:
            parts = [entry.name, entry.summary, entry.code or "", entry.unit.name, entry.unit.region.name,
                     *(labels.label_of(name, getattr(entry, name))
                       for name in ("category", "format", "share_type", "open_type")),
                     *(f"{f.label} {f.name} {f.description}" for f in entry.fields)]
            assert search.document(entry) == " ".join(dict.fromkeys(search.words(" ".join(parts))))


def test_the_total_taken_from_the_facets_is_the_count(database: Any) -> None:
    """With facets the listing's total is their grouped counts' sum (one query fewer): it must equal a plain count,
    for a search, a filter, both, and a search that finds nothing."""
    from govdata.actor import Method
    from govdata.auth.models import User
    from govdata.auth.service import actor_for_user
    from govdata.catalog import browse

    with database.read() as db:
        steward = db.execute(select(User).where(User.username == "steward_mz")).scalar_one()
        actor = actor_for_user(steward, Method.WEB)
        asks = [{}, {"q": "信息"}, {"q": "公民身份号码"}, {"status": "registered"},
                {"q": "登记", "unit_id": steward.unit_id}, {"q": "没有这样的目录"}]
        for ask in asks:
            faceted = browse.list_entries(db, actor, query=browse.EntryQuery(**ask))
            counted = browse.list_entries(db, actor, query=browse.EntryQuery(**ask, with_facets=False))
            assert faceted.total == counted.total, ask
            assert faceted.total == sum(f.count for f in faceted.facets["status"]), ask
            assert counted.facets == {}
        assert browse.list_entries(db, actor, query=browse.EntryQuery(q="信息")).total > 3
