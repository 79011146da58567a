"""Words and numbers the demo generator draws from: countries, names, products, texts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Country:
    """A country customers come from, with its time zones and phone numbers."""

    code: str
    share: float
    chinese_share: float
    # (IANA name, UTC offset in hours without daylight saving, share within the country)
    time_zones: tuple[tuple[str, float, float], ...]
    phone_prefixes: tuple[str, ...]
    phone_digits: int
    phone_low: int = 0


_US_AREAS = ("+1212", "+1312", "+1415", "+1646", "+1617", "+1206", "+1303", "+1512", "+1713")
COUNTRIES = (
    Country(
        "CN", 0.36, 1.0, (("Asia/Shanghai", 8, 1),), ("+86138", "+86139", "+86150", "+86186"), 8
    ),
    Country("TW", 0.03, 1.0, (("Asia/Taipei", 8, 1),), ("+8869",), 8),
    Country("HK", 0.03, 1.0, (("Asia/Hong_Kong", 8, 1),), ("+8525", "+8526", "+8529"), 7),
    Country("SG", 0.05, 0.6, (("Asia/Singapore", 8, 1),), ("+658", "+659"), 7),
    Country(
        "US",
        0.22,
        0.03,
        (
            ("America/New_York", -5, 0.45),
            ("America/Chicago", -6, 0.25),
            ("America/Denver", -7, 0.08),
            ("America/Los_Angeles", -8, 0.22),
        ),
        _US_AREAS,
        7,
        2_000_000,
    ),
    Country("GB", 0.09, 0.02, (("Europe/London", 0, 1),), ("+447",), 9),
    Country("DE", 0.06, 0.0, (("Europe/Berlin", 1, 1),), ("+4915", "+4916", "+4917"), 9),
    Country(
        "AU",
        0.06,
        0.04,
        (
            ("Australia/Sydney", 10, 0.5),
            ("Australia/Melbourne", 10, 0.35),
            ("Australia/Perth", 8, 0.15),
        ),
        ("+614",),
        8,
    ),
    Country(
        "CA",
        0.05,
        0.05,
        (("America/Toronto", -5, 0.6), ("America/Vancouver", -8, 0.4)),
        ("+1416", "+1604", "+1514"),
        7,
        2_000_000,
    ),
    Country("JP", 0.02, 0.0, (("Asia/Tokyo", 9, 1),), ("+8190", "+8180"), 8),
    Country("FR", 0.03, 0.0, (("Europe/Paris", 1, 1),), ("+336", "+337"), 8),
)
CN = 0
TIME_ZONES = tuple(zone for country in COUNTRIES for zone in country.time_zones)
# (channel, share, factor on the monthly churn hazard)
CHANNELS = (
    ("organic", 0.30, 0.9),
    ("paid_search", 0.22, 1.2),
    ("social", 0.18, 1.2),
    ("referral", 0.12, 0.7),
    ("email", 0.08, 1.0),
    ("marketplace", 0.10, 1.1),
)
LANGUAGES = ("en", "zh-CN")
PLANS = ("basic", "pro", "team")
CHANGE_KINDS = ("new", "expansion", "contraction", "churn", "reactivation")
NEW, EXPANSION, CONTRACTION, CHURN, REACTIVATION = range(5)
RETURN_REASONS = ("damaged", "wrong_item", "not_as_described", "changed_mind", "too_late")
TICKET_CHANNELS = ("email", "chat", "phone")
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_KINDS = ("opened", "replied", "resolved", "closed", "reopened")
OPENED, REPLIED, RESOLVED, CLOSED, REOPENED = range(5)
# Life cycles of a ticket: (event kind, mean hours since the previous event).
TICKET_TEMPLATES: tuple[tuple[tuple[int, float], ...], ...] = (
    ((OPENED, 0), (REPLIED, 4), (RESOLVED, 20), (CLOSED, 36)),
    ((OPENED, 0), (REPLIED, 4), (REPLIED, 12), (RESOLVED, 20), (CLOSED, 36)),
    (
        (OPENED, 0),
        (REPLIED, 4),
        (RESOLVED, 20),
        (CLOSED, 36),
        (REOPENED, 72),
        (REPLIED, 6),
        (RESOLVED, 24),
        (CLOSED, 36),
    ),
    ((OPENED, 0), (CLOSED, 8)),
)
# Local hours weighted by how busy they are: quiet nights, busy late mornings and evenings.
HOUR_WEIGHTS = np.array(
    [3, 2, 1, 1, 1, 2, 5, 10, 16, 20, 22, 22, 20, 19, 19, 18, 17, 17, 19, 23, 26, 25, 18, 9],
    dtype=np.float64,
)

# (category, English name, Chinese name, USD price); CNY prices are derived at about 7 per USD.
CATALOGUE = (
    ("tea", "Green tea", "绿茶", 12.90),
    ("tea", "Oolong tea", "乌龙茶", 16.50),
    ("tea", "Pu'er tea cake", "普洱茶饼", 38.00),
    ("tea", "Jasmine tea", "茉莉花茶", 9.90),
    ("tea", "Black tea", "红茶", 11.50),
    ("tea", "White tea", "白茶", 24.00),
    ("tea", "Tea gift box", "茶叶礼盒", 59.00),
    ("tea", "Chrysanthemum tea", "菊花茶", 6.50),
    ("coffee", "Coffee beans", "咖啡豆", 14.90),
    ("coffee", "Drip coffee bags", "挂耳咖啡", 8.90),
    ("coffee", "Cold brew concentrate", "冷萃咖啡液", 18.00),
    ("coffee", "Espresso capsules", "浓缩咖啡胶囊", 7.50),
    ("coffee", "Coffee grinder", "咖啡磨豆机", 89.00),
    ("coffee", "Pour-over kettle", "手冲壶", 45.00),
    ("snacks", "Dried mango", "芒果干", 4.90),
    ("snacks", "Mixed nuts", "每日坚果", 13.50),
    ("snacks", "Seaweed snacks", "海苔脆片", 3.90),
    ("snacks", "Pineapple cakes", "凤梨酥", 10.90),
    ("snacks", "Beef jerky", "牛肉干", 8.50),
    ("snacks", "Dark chocolate", "黑巧克力", 5.90),
    ("snacks", "Mooncake gift box", "月饼礼盒", 32.00),
    ("snacks", "Rice crackers", "米饼", 3.50),
    ("kitchen", "Ceramic teapot", "陶瓷茶壶", 28.00),
    ("kitchen", "Glass tea cups", "玻璃茶杯", 15.00),
    ("kitchen", "Bamboo chopsticks", "竹筷", 6.90),
    ("kitchen", "Rice cooker", "电饭煲", 129.00),
    ("kitchen", "Carbon steel wok", "炒锅", 49.00),
    ("kitchen", "Chef's knife", "厨师刀", 65.00),
    ("kitchen", "Cutting board", "砧板", 19.90),
    ("kitchen", "Thermos bottle", "保温杯", 22.00),
    ("kitchen", "Lunch box", "便当盒", 16.90),
    ("kitchen", "Bamboo steamer", "蒸笼", 21.00),
    ("home", "Scented candle", "香薰蜡烛", 17.50),
    ("home", "Linen cushion", "亚麻抱枕", 24.90),
    ("home", "Desk lamp", "台灯", 39.00),
    ("home", "Silk pillowcase", "真丝枕套", 35.00),
    ("home", "Cotton towels", "纯棉毛巾", 12.00),
    ("home", "Storage basket", "收纳篮", 18.50),
    ("home", "Wall clock", "挂钟", 27.00),
    ("home", "Throw blanket", "毛毯", 55.00),
    ("home", "Air purifier", "空气净化器", 199.00),
    ("home", "Humidifier", "加湿器", 59.90),
    ("beauty", "Sheet mask set", "面膜套装", 19.90),
    ("beauty", "Hand cream", "护手霜", 7.90),
    ("beauty", "Sunscreen", "防晒霜", 16.00),
    ("beauty", "Lip balm", "润唇膏", 4.50),
    ("beauty", "Face serum", "精华液", 42.00),
    ("beauty", "Facial cleanser", "洗面奶", 11.90),
    ("beauty", "Hair oil", "护发精油", 21.50),
    ("beauty", "Perfume", "香水", 78.00),
    ("electronics", "Phone case", "手机壳", 9.90),
    ("electronics", "USB-C cable", "数据线", 6.00),
    ("electronics", "Power bank", "充电宝", 29.90),
    ("electronics", "Wireless earbuds", "无线耳机", 69.00),
    ("electronics", "Bluetooth speaker", "蓝牙音箱", 49.90),
    ("electronics", "Smart watch", "智能手表", 159.00),
    ("electronics", "Mechanical keyboard", "机械键盘", 89.90),
    ("electronics", "Wireless mouse", "无线鼠标", 24.00),
    ("electronics", "Phone stand", "手机支架", 8.00),
    ("electronics", "Tablet", "平板电脑", 299.00),
)

# (character, pinyin, weight): the most common surnames first.
SURNAMES = (
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.7), ("刘", "liu", 5.4),
    ("陈", "chen", 4.5), ("杨", "yang", 3.1), ("黄", "huang", 2.2), ("赵", "zhao", 2.0),
    ("吴", "wu", 1.9), ("周", "zhou", 1.9), ("徐", "xu", 1.3), ("孙", "sun", 1.3),
    ("马", "ma", 1.2), ("朱", "zhu", 1.2), ("胡", "hu", 1.1), ("郭", "guo", 1.1),
    ("何", "he", 0.9), ("高", "gao", 0.9), ("林", "lin", 0.9), ("罗", "luo", 0.9),
    ("郑", "zheng", 0.8), ("梁", "liang", 0.8), ("谢", "xie", 0.6), ("宋", "song", 0.5),
    ("唐", "tang", 0.5), ("许", "xu", 0.5), ("韩", "han", 0.5), ("冯", "feng", 0.5),
    ("邓", "deng", 0.5), ("曹", "cao", 0.5), ("彭", "peng", 0.4), ("曾", "zeng", 0.4),
    ("肖", "xiao", 0.4), ("田", "tian", 0.4), ("董", "dong", 0.4), ("袁", "yuan", 0.3),
    ("潘", "pan", 0.3), ("于", "yu", 0.3), ("蒋", "jiang", 0.3), ("蔡", "cai", 0.3),
)  # fmt: skip
GIVEN_CHARACTERS = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("华", "hua"), ("英", "ying"), ("玲", "ling"),
    ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("宇", "yu"), ("浩", "hao"), ("欣", "xin"),
    ("佳", "jia"), ("怡", "yi"), ("晨", "chen"), ("子", "zi"), ("梓", "zi"), ("涵", "han"),
    ("轩", "xuan"), ("博", "bo"), ("文", "wen"), ("嘉", "jia"),
)  # fmt: skip
FIRST_NAMES = (
    "Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper",
    "Evelyn", "Grace", "Chloe", "Lucy", "Hannah", "Sarah", "Laura", "Anna", "Julia", "Emily",
    "Kate", "Liam", "Noah", "Oliver", "James", "William", "Benjamin", "Lucas", "Henry", "Jack",
    "Daniel", "Matthew", "David", "Thomas", "Samuel", "Joseph", "Ryan", "Adam", "Max", "Leo",
    "Michael",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Walker", "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green", "Baker",
    "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans",
    "Turner", "Parker", "Collins",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# Comments by language (en, zh-CN) and sentiment (negative, neutral, positive).
COMMENTS: dict[tuple[int, int], tuple[str, ...]] = {
    (0, 0): (
        "Delivery took two weeks.",
        "Poor quality, not as described.",
        "Support never replied to me.",
        "Too expensive for what it is.",
        "Exports keep failing.",
        "The refund took forever, very disappointed.",
        "The app is so slow, thinking of switching.",
        "My item arrived damaged.",
    ),
    (0, 1): (
        "Okay, but a bit pricey.",
        "Good overall, shipping was a little slow.",
        "Does the job; I'd like more templates.",
        "Fine, nothing special.",
        "Please support more payment methods.",
        "An average experience.",
    ),
    (0, 2): (
        "Fast delivery and great packaging.",
        "Great quality, will buy again.",
        "Support was patient and fixed it quickly.",
        "Really useful, I recommended it to friends.",
        "Great value for money.",
        "The reports save me hours every week.",
        "Clean interface, easy to get started.",
        "Always happy with it.",
    ),
    (1, 0): (
        "物流太慢了，等了两个星期",
        "质量很差，和描述不符",
        "客服一直不回复",
        "价格太贵，不值",
        "导出总是失败",
        "退款太慢了，很失望",
        "系统太卡了，考虑换别家",
        "收到的商品有破损",
    ),
    (1, 1): (
        "还可以，价格有点贵",
        "整体不错，但发货有点慢",
        "功能够用，希望有更多模板",
        "一般般，没有特别惊喜",
        "希望支持更多支付方式",
        "中规中矩",
    ),
    (1, 2): (
        "物流很快，包装很好",
        "产品质量很好，会再买",
        "客服很耐心，问题很快解决了",
        "非常好用，推荐给朋友了",
        "性价比很高",
        "报表功能很实用，节省了很多时间",
        "界面简洁，上手很快",
        "一直很满意",
    ),
}
# Ticket subjects by language (en, zh-CN) and topic (shop, subscription).
SUBJECTS: dict[tuple[int, int], tuple[str, ...]] = {
    (0, 0): (
        "Refund not received",
        "Order has not shipped yet",
        "Item arrived damaged",
        "Received the wrong item",
        "Change my delivery address",
        "Coupon code not working",
        "Invoice request",
        "Update my account details",
    ),
    (0, 1): (
        "Cannot log in",
        "Report export fails",
        "How do I upgrade my plan?",
        "I want to cancel my subscription",
        "I was charged the wrong amount",
        "How do I invite a colleague?",
        "Invoice request",
        "Update my account details",
    ),
    (1, 0): (
        "退款还没到账",
        "订单一直没有发货",
        "收到的商品有破损",
        "发错货了",
        "想修改收货地址",
        "优惠券无法使用",
        "发票开具问题",
        "修改账户信息",
    ),
    (1, 1): (
        "无法登录账号",
        "导出报表失败",
        "如何升级套餐",
        "想取消订阅",
        "账单金额不对",
        "如何邀请同事",
        "发票开具问题",
        "修改账户信息",
    ),
}
