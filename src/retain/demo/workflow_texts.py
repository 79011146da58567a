"""Words the workflow steps put in customers' mouths, in English and Simplified Chinese."""

from __future__ import annotations

# What customers ask the assistant: (English, Chinese) pairs. ``ANSWERABLE`` match its intents
# or an article; ``UNANSWERABLE`` are off its topics, so the assistant hands them to a person.
ANSWERABLE = (
    ("where is my order", "我的订单到哪了"),
    ("how long does shipping take", "配送要多久"),
    ("which payment methods do you accept", "支持哪些支付方式"),
    ("I forgot my password", "忘记密码了怎么办"),
    ("how do I cancel my subscription", "怎么取消订阅"),
    ("when does my subscription renew", "我的订阅什么时候续费"),
    ("I want to return an item", "我想退货"),
    ("what are your opening hours", "客服几点上班"),
    ("how do I get an invoice for my order", "如何开具发票"),
    ("how do I invite a colleague to my team", "如何邀请同事加入团队"),
    ("how do loyalty points work", "积分怎么使用"),
    ("hello", "你好"),
)
UNANSWERABLE = (
    ("what's the weather tomorrow", "明天天气怎么样"),
    ("recommend a movie", "推荐一部电影"),
    ("tell me a joke", "讲个笑话"),
    ("book a flight to paris", "帮我订机票"),
)

# Review clauses by aspect: (English positive, English negative, Chinese positive, Chinese
# negative). Each names its aspect with a word of retain/feedback/aspects.yaml.
REVIEW_CLAUSES = {
    "delivery": (
        "Delivery was fast and the package arrived in perfect shape",
        "Delivery was late and I waited two weeks for the parcel",
        "物流很快，包装完好",
        "物流太慢了，等了两个星期才到货",
    ),
    "quality": (
        "Great quality, the material feels durable",
        "Poor quality, it was broken after a week",
        "质量很好，材质很结实",
        "质量很差，用了一周就坏了",
    ),
    "price": (
        "Good value for money at this price",
        "Too expensive for what it is, not worth the money",
        "性价比很高，价格实惠",
        "价格太贵了，不划算",
    ),
    "support": (
        "Customer service was friendly and helpful",
        "Customer service was rude and never replied",
        "客服态度热情，回复很及时",
        "客服态度冷淡，一直不回复",
    ),
    "usability": (
        "The app is easy to use and the setup took minutes",
        "The interface is difficult to use and the setup is confusing",
        "界面简洁，操作方便",
        "界面难用，操作很不方便",
    ),
}
REVIEW_SOURCES = ("shop", "google", "trustpilot", "xiaohongshu")


def review_clause(aspect: str, *, language: str, positive: bool) -> str:
    """One clause about ``aspect`` in ``language`` (en or zh-CN), praising or complaining."""
    english_good, english_bad, chinese_good, chinese_bad = REVIEW_CLAUSES[aspect]
    if language == "en":
        return english_good if positive else english_bad
    return chinese_good if positive else chinese_bad


def join_clauses(clauses: list[str], *, language: str) -> str:
    """Clauses as one review: sentences in English, comma-joined with a full stop in Chinese."""
    if language == "en":
        return " ".join(f"{clause}." for clause in clauses)
    return "，".join(clauses) + "。"


# Agents' words on demo tickets.
AGENT_REPLY = {
    "en": "Thanks for getting in touch. I am looking into this and will update you shortly.",
    "zh-CN": "感谢您的联系，我们正在为您处理，稍后会给您答复。",
}
AGENT_QUESTION = {
    "en": "Could you send us your order number and a photo, please? We will take it from there.",
    "zh-CN": "请提供订单号和照片，我们收到后会尽快处理。",
}
AGENT_SOLVED = {
    "en": "This is sorted now. Let us know if anything else comes up.",
    "zh-CN": "问题已经解决，如有其他问题请随时联系我们。",
}
CUSTOMER_DETAIL = {
    "en": "Hello, {subject}. Could you help me, please?",
    "zh-CN": "您好，{subject}，请帮我处理一下。",
}
RETURN_COMMENT = {
    "en": "Please see the photos; the box was also dented.",
    "zh-CN": "请看照片，外包装也有压痕。",
}
