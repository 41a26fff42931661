"""JFW paging and sorting (chalicelib/http/paging.py)."""

from __future__ import annotations

import pytest

from chalicelib.http.errors import BadRequest
from chalicelib.http.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, cut, page

ROWS = [
    {"id": "a", "createdDate": "2024-01-01", "name": "Cherry", "zOrder": 3},
    {"id": "b", "createdDate": "2024-03-01", "name": "apple", "zOrder": None},
    {"id": "c", "createdDate": "2024-02-01", "name": "Banana split", "zOrder": 1},
    {"id": "d", "createdDate": "2024-02-01", "name": None, "zOrder": 2},
]


def ids(result: dict) -> list[str]:
    return [r["id"] for r in result["items"]]


def test_defaults_are_jfws_page_0_of_200_newest_first():
    result = page(ROWS, {}, sortable=[])
    assert (result["pageNumber"], result["pageSize"], result["totalItems"]) == \
        (0, DEFAULT_PAGE_SIZE, 4)
    assert ids(result) == ["b", "d", "c", "a"]  # createdDate desc; ties by id, desc too


def test_sorting_ascending_with_nulls_first():
    assert ids(page(ROWS, {"sortDataField": "zOrder", "sortOrder": "asc"},
                    sortable=["zOrder"])) == ["b", "c", "d", "a"]
    assert ids(page(ROWS, {"sortDataField": "name", "sortOrder": "asc"},
                    sortable=["name"]))[0] == "d"


def test_pages_cut_after_sorting_and_count_everything():
    q = {"sortDataField": "id", "sortOrder": "asc", "pageSize": 3}
    assert ids(page(ROWS, q, sortable=[])) == ["a", "b", "c"]
    second = page(ROWS, {**q, "pageNumber": 1}, sortable=[])
    assert ids(second) == ["d"] and second["totalItems"] == 4 and second["pageNumber"] == 1
    assert ids(page(ROWS, {**q, "pageNumber": 9}, sortable=[])) == []


def test_keywords_match_every_word_in_any_field_case_insensitively():
    fields = ["name", "id"]
    assert ids(page(ROWS, {"keywords": "BAN"}, sortable=[], keyword_fields=fields)) == ["c"]
    assert ids(page(ROWS, {"keywords": "split ban"}, sortable=[],
                    keyword_fields=fields)) == ["c"]
    assert ids(page(ROWS, {"keywords": "apple split"}, sortable=[],
                    keyword_fields=fields)) == []
    assert len(page(ROWS, {"keywords": "x"}, sortable=[])["items"]) == 4  # no fields: no filter


def test_the_input_is_not_modified():
    rows = [dict(r) for r in ROWS]
    page(rows, {"sortDataField": "name", "sortOrder": "asc"}, sortable=["name"])
    assert rows == ROWS


@pytest.mark.parametrize("query, field", [
    ({"pageNumber": -1}, "pageNumber"),
    ({"pageSize": 0}, "pageSize"),
    ({"pageSize": MAX_PAGE_SIZE + 1}, "pageSize"),
    ({"sortDataField": "secret"}, "sortDataField"),
])
def test_bad_values_are_400_naming_the_field(query, field):
    with pytest.raises(BadRequest) as e:
        page(ROWS, query, sortable=["name"])
    assert e.value.field == field and field in e.value.message


def test_max_page_size_is_allowed():
    assert page(ROWS, {"pageSize": MAX_PAGE_SIZE}, sortable=[])["pageSize"] == MAX_PAGE_SIZE


def test_cut_pages_a_plain_array_only_when_asked():
    rows = [{"id": str(i)} for i in range(5)]
    assert cut(rows, {}) == rows
    assert cut(rows, {"pageSize": 2}) == rows[:2]
    assert cut(rows, {"pageSize": 2, "pageNumber": 2}) == rows[4:]
    assert cut(rows, {"pageNumber": 1}) == []  # the default page size, 200
    assert cut(rows, {"pageSize": MAX_PAGE_SIZE}) == rows


@pytest.mark.parametrize("query, field", [
    ({"pageNumber": -1}, "pageNumber"),
    ({"pageSize": 0}, "pageSize"),
    ({"pageSize": MAX_PAGE_SIZE + 1}, "pageSize"),
])
def test_cut_has_the_bounds_of_page(query, field):
    with pytest.raises(BadRequest) as e:
        cut([{"id": "a"}], query)
    assert e.value.field == field and field in e.value.message
