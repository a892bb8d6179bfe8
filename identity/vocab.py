"""The registry extract's vocabulary: columns, statuses, usages, co-ownership, ID types.

Each value is accepted in its English code or its Chinese registry wording and
stored as the English code.  The Chinese forms are those used in 不动产登记
exports and the 楼盘表 (building table).
"""

from __future__ import annotations

from types import MappingProxyType

#: Columns of an extract, in the documented order.
COLUMNS: tuple[str, ...] = (
    "building",
    "unit",
    "certificate_no",
    "owner_name",
    "id_type",
    "id_number",
    "co_ownership",
    "registered_area",
    "surveyed_area",
    "contract_area",
    "status",
    "usage",
)

#: Chinese header -> column.
CHINESE_HEADERS = MappingProxyType(
    {
        "楼栋": "building",
        "房号": "unit",
        "不动产权证号": "certificate_no",
        "权利人": "owner_name",
        "证件类型": "id_type",
        "证件号码": "id_number",
        "共有方式": "co_ownership",
        "登记面积": "registered_area",
        "实测面积": "surveyed_area",
        "合同面积": "contract_area",
        "状态": "status",
        "用途": "usage",
    }
)

#: Chinese header for each column (used by writers and messages).
HEADER_ZH = MappingProxyType({v: k for k, v in CHINESE_HEADERS.items()})

# Unit status -------------------------------------------------------------------------------
REGISTERED = "registered"
DELIVERED = "delivered"
UNSOLD = "unsold"
SOLD_UNDELIVERED = "sold_undelivered"

STATUSES = MappingProxyType(
    {
        "registered": REGISTERED,
        "已登记": REGISTERED,
        "delivered": DELIVERED,
        "已交付未登记": DELIVERED,
        "unsold": UNSOLD,
        "未售": UNSOLD,
        "sold_undelivered": SOLD_UNDELIVERED,
        "已售未交付": SOLD_UNDELIVERED,
    }
)
#: Statuses whose units the developer (建设单位) still holds: one head together.
DEVELOPER_STATUSES = frozenset({UNSOLD, SOLD_UNDELIVERED})
STATUS_ZH = MappingProxyType(
    {REGISTERED: "已登记", DELIVERED: "已交付未登记", UNSOLD: "未售",
     SOLD_UNDELIVERED: "已售未交付"}
)

# Usage (values are those of voting.heads.Usage) ---------------------------------------------
USAGES = MappingProxyType(
    {
        "residential": "residential",
        "住宅": "residential",
        "commercial": "commercial",
        "商业": "commercial",
        "office": "office",
        "办公": "office",
        "parking": "parking",
        "车位": "parking",
        "storage": "storage",
        "储藏室": "storage",
    }
)
USAGE_ZH = MappingProxyType(
    {"residential": "住宅", "commercial": "商业", "office": "办公", "parking": "车位",
     "storage": "储藏室"}
)

# Co-ownership ------------------------------------------------------------------------------
SOLE = "sole"
JOINT = "joint"
SHARES = "shares"
CO_OWNERSHIP = MappingProxyType(
    {
        "sole": SOLE,
        "单独所有": SOLE,
        "joint": JOINT,
        "共同共有": JOINT,
        "shares": SHARES,
        "按份共有": SHARES,
    }
)
CO_OWNERSHIP_ZH = MappingProxyType({SOLE: "单独所有", JOINT: "共同共有", SHARES: "按份共有"})

# Identity documents ------------------------------------------------------------------------
RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643)
USCC = "uscc"  # 统一社会信用代码 (GB 32100)
PASSPORT = "passport"  # 护照
HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证

ID_TYPES = MappingProxyType(
    {
        RESIDENT_ID: RESIDENT_ID,
        "居民身份证": RESIDENT_ID,
        "身份证": RESIDENT_ID,
        USCC: USCC,
        "统一社会信用代码": USCC,
        PASSPORT: PASSPORT,
        "护照": PASSPORT,
        HK_MACAO_PERMIT: HK_MACAO_PERMIT,
        "港澳居民来往内地通行证": HK_MACAO_PERMIT,
        TAIWAN_PERMIT: TAIWAN_PERMIT,
        "台湾居民来往大陆通行证": TAIWAN_PERMIT,
    }
)
ID_TYPE_ZH = MappingProxyType(
    {
        RESIDENT_ID: "居民身份证",
        USCC: "统一社会信用代码",
        PASSPORT: "护照",
        HK_MACAO_PERMIT: "港澳居民来往内地通行证",
        TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    }
)
#: ID types of organisations (legal persons); every other type is a natural person.
ORGANISATION_ID_TYPES = frozenset({USCC})
