"""The lookup gateway reads its query without Starlette's `QueryParams` (one multi-dict fewer per call): it must
read every query string exactly as `request.query_params.multi_items()` does, or a key could differ between the
gateway and the routed path that the API documents."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from govdata.sharing.lookup.gateway import _query_items

# Bytes as clients send them: names and values with escapes, '+', '&', '=', empty parts, UTF-8 and stray bytes.
_PART = st.lists(st.sampled_from(["sfzh", "xm", "3508", "%20", "+", "=", "&", "%E5%BC%A0", "%zz", "%", "张", ";",
                                  "\xe9", "", "a b"]), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PART, max_size=6).map("&".join))
def test_the_query_is_read_as_starlette_reads_it(query: str) -> None:
    raw = query.encode("utf-8")
    assert _query_items({"query_string": raw}) == QueryParams(raw.decode("latin-1")).multi_items()


def test_repeated_and_blank_keys_keep_their_order() -> None:
    raw = b"sfzh=1&sfzh=&xm=%E5%BC%A0+%E4%B8%89&sfzh=3"
    assert _query_items({"query_string": raw}) == [("sfzh", "1"), ("sfzh", ""), ("xm", "张 三"), ("sfzh", "3")]
