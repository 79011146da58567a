"""Simplified Chinese (``zh-CN``): the sentences Retain writes to customers, by section."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    # The assistant's answers from the customer's own data.
    "assistant_answers": {
        "order": "您的订单 {order_id}（{ordered_at:%Y-%m-%d}）状态：{status}。",
        "no_order": "您的账户中暂时没有订单。",
        "return": "您可以在这里申请退货：{url}（需要订单号和邮箱）。",
        "renewal": "您的 {plan} 订阅将于 {renews_at:%Y-%m-%d} 续费。",
        "no_renewal": "您的账户中没有需要续费的有效订阅。",
        "sign_in": "请从您的账户页面打开此对话，以便我查看您的信息。",
    },
    # The assistant's replies when it hands over or cites an article.
    "assistant_replies": {
        "handoff": (
            "这个问题我可能回答不好，已将对话转给我们的团队（工单 #{ticket}），"
            "工作人员会通过邮件回复您。"
        ),
        "already": "您的对话已转给我们的团队（工单 #{ticket}），工作人员会回复您。",
        "email": "这个问题我无法回答。请留下您的邮箱，工作人员会回复您。",
        "article": "这篇文章可能有帮助：{title}\n{summary}\n{url}",
        "subject": "助手转人工：{question}",
    },
    # The question a new survey asks until the business edits it.
    "survey_questions": {
        "NPS": "您有多大可能向朋友或同事推荐我们？",
        "CSAT": "您对我们的满意程度如何？",
        "CES": "完成您想做的事有多容易？",
    },
}
