"""The nine matters of Civil Code art. 278 and their double-majority thresholds.

Every threshold is tested on two dimensions at once — exclusive area and owner
headcount — with exact integer arithmetic on hundredths of a square metre and
heads (docs/law.md, section 2):

* quorum, per item: ``3·P_area ≥ 2·T_area`` and ``3·P_heads ≥ 2·T_heads``
  ("三分之二以上", which includes two thirds itself: Civil Code art. 1259);
* ordinary matters (1–5, 9): ``2·A_area > P_area`` and ``2·A_heads > P_heads``
  ("过半数" is strictly more than half);
* special matters (6–8): ``4·A_area ≥ 3·P_area`` and ``4·A_heads ≥ 3·P_heads``.

T is everybody in the item's scope, P those who took part (agree, oppose or
abstain — abstentions weigh against approval), A those who agreed.  Nothing
is approved without at least one participant, even where ``0 ≥ 0`` would
make the special inequality true.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from voting.errors import ItemError


class Threshold(StrEnum):
    """Which approval rule an item follows."""

    ORDINARY = "ordinary"  # 一般事项: more than half of participating area and heads
    SPECIAL = "special"  # 特别事项: at least three quarters of participating area and heads


class Matter(IntEnum):
    """The matters owners decide jointly (民法典 第278条), numbered as in the article."""

    RULES = 1
    COVENANT = 2
    COMMITTEE = 3
    PROPERTY_MANAGER = 4
    USE_FUND = 5
    RAISE_FUND = 6
    REBUILD = 7
    COMMON_PARTS = 8
    OTHER_MAJOR = 9

    @property
    def zh(self) -> str:
        """The Chinese wording of the article."""
        return _LABELS[self][0]

    @property
    def en(self) -> str:
        """A short English label."""
        return _LABELS[self][1]

    @property
    def threshold(self) -> Threshold:
        """Special for matters 6–8, ordinary for the others."""
        return Threshold.SPECIAL if self in _SPECIAL else Threshold.ORDINARY

    @classmethod
    def parse(cls, value: object, where: str = "matter") -> Matter:
        """Accept an int 1..9 (not a bool); raise :class:`ItemError` naming ``where``."""
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9:
            raise ItemError(
                f"{where}: matter must be an integer 1..9 (民法典 第278条), got {value!r}"
            )
        return cls(value)


_SPECIAL = frozenset({Matter.RAISE_FUND, Matter.REBUILD, Matter.COMMON_PARTS})

_LABELS: dict[Matter, tuple[str, str]] = {
    Matter.RULES: ("制定和修改业主大会议事规则", "adopt or amend the assembly rules"),
    Matter.COVENANT: ("制定和修改管理规约", "adopt or amend the management covenant"),
    Matter.COMMITTEE: (
        "选举业主委员会或者更换业主委员会成员",
        "elect the owners' committee or replace its members",
    ),
    Matter.PROPERTY_MANAGER: (
        "选聘和解聘物业服务企业或者其他管理人",
        "hire or dismiss the property manager",
    ),
    Matter.USE_FUND: (
        "使用建筑物及其附属设施的维修资金",
        "use the maintenance fund",
    ),
    Matter.RAISE_FUND: (
        "筹集建筑物及其附属设施的维修资金",
        "raise the maintenance fund",
    ),
    Matter.REBUILD: (
        "改建、重建建筑物及其附属设施",
        "renovate or rebuild buildings and facilities",
    ),
    Matter.COMMON_PARTS: (
        "改变共有部分的用途或者利用共有部分从事经营活动",
        "change the use of common parts or run business on them",
    ),
    Matter.OTHER_MAJOR: (
        "有关共有和共同管理权利的其他重大事项",
        "other major matters of common ownership and management",
    ),
}


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of a two-dimensional test, kept per dimension for reporting."""

    area_ok: bool
    heads_ok: bool

    @property
    def ok(self) -> bool:
        return self.area_ok and self.heads_ok


def quorum_check(p_area: int, p_heads: int, t_area: int, t_heads: int) -> Check:
    """Quorum: participants hold at least 2/3 of the scope's area and of its heads.

    Areas are integer hundredths.  Inclusive: exactly two thirds is enough.
    """
    return Check(3 * p_area >= 2 * t_area, 3 * p_heads >= 2 * t_heads)


def approval_check(
    threshold: Threshold, a_area: int, a_heads: int, p_area: int, p_heads: int
) -> Check:
    """Approval among participants: ordinary strictly > 1/2, special ≥ 3/4, both dimensions.

    With no participant at all nothing is approved.
    """
    if p_heads <= 0 or p_area <= 0:
        return Check(False, False)
    if threshold is Threshold.SPECIAL:
        return Check(4 * a_area >= 3 * p_area, 4 * a_heads >= 3 * p_heads)
    return Check(2 * a_area > p_area, 2 * a_heads > p_heads)


def min_to_reach_quorum(p: int, t: int) -> int:
    """Smallest x ≥ 0 with 3·(p + x) ≥ 2·t (one dimension, integers)."""
    return max(0, -((3 * p - 2 * t) // 3))


def min_agreeing_to_approve(threshold: Threshold, a: int, p: int) -> int:
    """Smallest x ≥ 0 of new *agreeing* participants so that ``a + x`` of ``p + x`` approves.

    Ordinary: 2(a+x) > p+x  ⇔  x > p − 2a  ⇔  x ≥ p − 2a + 1.
    Special:  4(a+x) ≥ 3(p+x) ⇔  x ≥ 3p − 4a.
    At least one participant is always required.
    """
    if threshold is Threshold.SPECIAL:
        x = 3 * p - 4 * a
    else:
        x = p - 2 * a + 1
    return max(x, 1 if p == 0 else 0)
