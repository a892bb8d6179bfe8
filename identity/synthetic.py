"""Synthetic registry extracts for the demo, the benchmark and tests (fake people only).

:func:`demo_extract` builds ~300 units of a community in 漳平市: five
residential buildings, shops, an underground car park and storage rooms; some
owners hold several units, some units are co-owned (共同共有 / 按份共有), the
developer still holds unsold and sold-but-undelivered units (some listed with
the developer as owner, some with no owner), delivered units are known only
by their surveyed or contract area.  Every ID number passes its check.  The
output is deterministic for a seed.  :func:`large_extract` makes an extract
of an exact number of rows for the benchmark.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections.abc import Iterable, Iterator
from decimal import Decimal

from identity import vocab
from identity.idnumbers import USCC_ALPHABET, resident_check_char, uscc_check_char

DEMO_COMMUNITY = "漳平市菁城街道九鹏花园"
DEVELOPER_NAME = "漳平市九鹏房地产开发有限公司"

SURNAMES = ("陈林黄张李王吴刘蔡杨郑许谢郭洪邱曾廖赖徐周叶苏庄吕江何罗高潘简朱钟彭游詹胡施沈余"
            "卢梁赵颜柯翁魏孙戴范方宋邓杜傅侯曹温薛丁马蒋唐")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉梅文斌鹏辉燕萍"
         "婷雪琳晨宇浩然子涵欣怡俊杰思远嘉伟佳琪雨萱晓东海峰春生秋菊金水荣发")
#: Region codes (GB/T 2260) for the first six digits: 漳平 and its neighbours mostly.
REGIONS = ("350881",) * 6 + ("350802", "350821", "350203", "350206", "350102", "350583",
                             "440304", "330106")


def resident_id(rng: random.Random, region: str | None = None) -> str:
    region = region or rng.choice(REGIONS)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 52))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + resident_check_char(body)


def uscc(rng: random.Random, region: str = "350881") -> str:
    body = "91" + region + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_char(body)


def person_name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))


def _person(rng: random.Random) -> tuple[str, str, str]:
    roll = rng.random()
    if roll < 0.01:
        return person_name(rng), "护照", f"E{rng.randrange(10**8):08d}"
    if roll < 0.02:
        return person_name(rng), "港澳居民来往内地通行证", f"H{rng.randrange(10**8):08d}"
    return person_name(rng), "居民身份证", resident_id(rng)


def _area(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)).scaleb(-2)


class _Builder:
    def __init__(self, rng: random.Random, community_code: str = "漳平市") -> None:
        self.rng = rng
        self.rows: list[dict[str, str]] = []
        self.people: list[tuple[str, str, str]] = []
        self.issued: set[str] = set()
        self.cert = 0
        self.city = community_code
        self.developer = (DEVELOPER_NAME, "统一社会信用代码", uscc(rng))

    def owner(self, reuse: float) -> tuple[str, str, str]:
        if self.people and self.rng.random() < reuse:
            return self.rng.choice(self.people)
        p = _person(self.rng)
        while p[2] in self.issued:
            p = _person(self.rng)
        self.issued.add(p[2])
        self.people.append(p)
        return p

    def unit(self, building: str, number: str, usage: str, size: tuple[int, int],
             reuse: float = 0.04) -> None:
        rng = self.rng
        roll = rng.random()
        status = ("已登记" if roll < 0.80 else "已交付未登记" if roll < 0.88
                  else "未售" if roll < 0.95 else "已售未交付")
        area = _area(rng, *size)
        reg = sur = con = ""
        if status == "已登记":
            reg = str(area)
            sur = str(area) if rng.random() < 0.5 else ""
        elif rng.random() < 0.6:
            sur = str(area)
            con = str(area + Decimal("0.50")) if rng.random() < 0.5 else ""
        else:
            con = str(area)
        cert = ""
        if status == "已登记":
            self.cert += 1
            cert = f"闽({rng.randrange(2015, 2025)}){self.city}不动产权第{self.cert:07d}号"
        if status in ("未售", "已售未交付"):
            owners = [self.developer] if rng.random() < 0.5 else [("", "", "")]
            co = "单独所有" if owners[0][0] else ""
        else:
            n = 2 if rng.random() < 0.15 else 1
            if n == 2 and rng.random() < 0.1:
                n = 3
            owners = []
            while len(owners) < n:
                o = self.owner(reuse if not owners else 0.0)
                if o not in owners:
                    owners.append(o)
            co = "单独所有" if n == 1 else rng.choice(("共同共有", "共同共有", "按份共有"))
        for name, id_type, id_number in owners:
            self.rows.append({
                "building": building, "unit": number, "certificate_no": cert,
                "owner_name": name, "id_type": id_type, "id_number": id_number,
                "co_ownership": co, "registered_area": reg, "surveyed_area": sur,
                "contract_area": con, "status": status, "usage": usage})

    def same_owner(self, building: str, number: str, like: dict[str, str], usage: str,
                   size: tuple[int, int]) -> None:
        """A further unit of an existing registered owner (a flat and its parking space)."""
        area = str(_area(self.rng, *size))
        self.cert += 1
        self.rows.append(like | {
            "building": building, "unit": number, "usage": usage, "status": "已登记",
            "certificate_no": f"闽(2020){self.city}不动产权第{self.cert:07d}号",
            "co_ownership": "单独所有", "registered_area": area, "surveyed_area": "",
            "contract_area": ""})


def demo_extract(seed: int = 2024) -> list[dict[str, str]]:
    """~300 units of :data:`DEMO_COMMUNITY`, one row per (unit, owner); deterministic."""
    b = _Builder(random.Random(seed))
    for building in ("1幢", "2幢", "3幢", "5幢", "6幢"):
        for floor in range(2 if building == "1幢" else 1, 12):
            for door in range(1, 5):
                b.unit(building, f"{floor}{door:02d}", "住宅", (68, 145))
    for n in range(1, 9):
        b.unit("1幢", f"商铺{n:02d}", "商业", (30, 120))
    for n in range(1, 5):
        b.unit("综合楼", f"{n}01", "办公", (80, 200))
    sole_flats = [r for r in b.rows if r["usage"] == "住宅" and r["status"] == "已登记"
                  and r["co_ownership"] == "单独所有"]
    buyers = b.rng.sample(sole_flats, 24)
    for n in range(1, 61):
        if n <= len(buyers):
            b.same_owner("地下车库", f"B1-{n:03d}", buyers[n - 1], "车位", (11, 16))
        else:
            b.unit("地下车库", f"B1-{n:03d}", "车位", (11, 16), reuse=0.3)
    for n in range(1, 13):
        b.unit("地下车库", f"储{n:02d}", "储藏室", (4, 9), reuse=0.3)
    return b.rows


def large_extract(rows: int, seed: int = 7) -> list[dict[str, str]]:
    """Exactly ``rows`` rows: residential buildings of 30 floors × 6 units, as many as needed."""
    b = _Builder(random.Random(seed))
    building = 0
    while len(b.rows) < rows:
        building += 1
        for floor in range(1, 31):
            for door in range(1, 7):
                if len(b.rows) < rows:
                    b.unit(f"{building}幢", f"{floor}{door:02d}", "住宅", (60, 160), reuse=0.01)
    # a co-owned last unit may overshoot: drop its extra rows; a lone co-owner row is fine
    del b.rows[rows:]
    return b.rows


# --- writers --------------------------------------------------------------------------------


def _header(chinese: bool) -> list[str]:
    return [vocab.HEADER_ZH[c] if chinese else c for c in vocab.COLUMNS]


def to_csv(rows: Iterable[dict[str, str]], *, chinese: bool = False) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_header(chinese))
    for row in rows:
        writer.writerow([row.get(c, "") for c in vocab.COLUMNS])
    return out.getvalue()


def to_json(rows: Iterable[dict[str, str]], *, chinese: bool = False) -> str:
    keys = dict(zip(vocab.COLUMNS, _header(chinese), strict=True))
    lines = (json.dumps({keys[c]: row.get(c, "") for c in vocab.COLUMNS}, ensure_ascii=False)
             for row in rows)
    return "[\n" + ",\n".join(lines) + "\n]\n"


def encode(text: str, encoding: str) -> bytes:
    """``utf-8``, ``utf-8-sig`` (with BOM) or ``gb18030``."""
    return text.encode(encoding)


def iter_units(rows: Iterable[dict[str, str]]) -> Iterator[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for r in rows:
        seen.setdefault((r["building"], r["unit"]), None)
    return iter(seen)
