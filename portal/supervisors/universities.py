"""The programme's nine universities: the portal's own copy of the reference data."""

from __future__ import annotations

UNIVERSITIES: tuple[dict[str, str], ...] = (
    {
        "code": "TUC",
        "country": "DE",
        "city": "Clausthal-Zellerfeld",
        "name_de": "Technische Universität Clausthal",
        "name_en": "Clausthal University of Technology",
        "name_zh": "克劳斯塔尔工业大学",
    },
    {
        "code": "UGOE",
        "country": "DE",
        "city": "Göttingen",
        "name_de": "Georg-August-Universität Göttingen",
        "name_en": "University of Göttingen",
        "name_zh": "哥廷根大学",
    },
    {
        "code": "LUH",
        "country": "DE",
        "city": "Hannover",
        "name_de": "Leibniz Universität Hannover",
        "name_en": "Leibniz University Hannover",
        "name_zh": "汉诺威莱布尼茨大学",
    },
    {
        "code": "TUBS",
        "country": "DE",
        "city": "Braunschweig",
        "name_de": "Technische Universität Braunschweig",
        "name_en": "Technische Universität Braunschweig",
        "name_zh": "不伦瑞克工业大学",
    },
    {
        "code": "UOS",
        "country": "DE",
        "city": "Osnabrück",
        "name_de": "Universität Osnabrück",
        "name_en": "Osnabrück University",
        "name_zh": "奥斯纳布吕克大学",
    },
    {
        "code": "SCU",
        "country": "CN",
        "city": "Chengdu",
        "name_de": "Sichuan-Universität",
        "name_en": "Sichuan University",
        "name_zh": "四川大学",
    },
    {
        "code": "ZZU",
        "country": "CN",
        "city": "Zhengzhou",
        "name_de": "Universität Zhengzhou",
        "name_en": "Zhengzhou University",
        "name_zh": "郑州大学",
    },
    {
        "code": "BUAA",
        "country": "CN",
        "city": "Beijing",
        "name_de": "Beihang-Universität",
        "name_en": "Beihang University",
        "name_zh": "北京航空航天大学",
    },
    {
        "code": "TONGJI",
        "country": "CN",
        "city": "Shanghai",
        "name_de": "Tongji-Universität",
        "name_en": "Tongji University",
        "name_zh": "同济大学",
    },
)
