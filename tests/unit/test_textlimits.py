"""The free-text limits are rules of the pure core (``voting.textlimits``): an agenda item
longer than they allow is refused wherever it comes from (issue 15, item 6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting.errors import TextTooLong
from voting.items import ItemSpec
from voting.textlimits import LIMITS, TextField, check_length


def test_the_agreed_numbers() -> None:
    # another part of the project (the notice PDF's timing test) relies on these
    assert LIMITS[TextField.ASSEMBLY_TITLE] == LIMITS[TextField.ITEM_TITLE] == 200
    assert LIMITS[TextField.ASSEMBLY_DESCRIPTION] == LIMITS[TextField.ITEM_DESCRIPTION] == 20_000
    assert LIMITS[TextField.CANDIDATE_NAME] == 50
    assert LIMITS[TextField.UNIT_LABEL] == 64
    assert all(n > 0 for n in LIMITS.values()) and set(LIMITS) == set(TextField)


@given(field=st.sampled_from(list(TextField)), extra=st.integers(-3, 3))
def test_check_length_is_exactly_the_limit(field: TextField, extra: int) -> None:
    text = "业" * (LIMITS[field] + extra)
    if extra <= 0:
        check_length(field, text)
    else:
        with pytest.raises(TextTooLong) as caught:
            check_length(field, text, where="item 2")
        assert caught.value.field == field.value and caught.value.limit == LIMITS[field]
        assert "item 2" in str(caught.value)


@pytest.mark.parametrize("spec", [
    ItemSpec("议" * 201, 2),
    ItemSpec("修订管理规约", 2, "说" * 20_001),
    ItemSpec("选举", 3, kind="election", seats=1, candidates=("张三", "名" * 51)),
])
def test_an_item_over_a_limit_is_refused(spec: ItemSpec) -> None:
    with pytest.raises(TextTooLong):
        spec.check(1)


def test_an_item_at_the_limits_is_accepted() -> None:
    ItemSpec("议" * 200, 2, "说" * 20_000).check(1)
    ItemSpec("选举", 3, kind="election", seats=1, candidates=("名" * 50, "张三")).check(1)
