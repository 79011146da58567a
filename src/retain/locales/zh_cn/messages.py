"""Simplified Chinese (``zh-CN``): the sentences Retain writes, by section."""

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
    # A churn score's reasons: one input's value in words (``churn/reasons.py``).
    "churn_reasons": {
        "usage_fell": "使用量较其90天基线下降{percent}%",
        "usage_rose": "使用量较其90天基线上升{percent}%",
        "days_since_usage": "已{count}天未使用产品",
        "usage_7d": "近7天使用{count}次",
        "usage_30d": "近30天使用{count}次",
        "usage_90d": "近90天使用{count}次",
        "active_days_30d": "近30天活跃{count}天",
        "active_days_90d": "近90天活跃{count}天",
        "usage_falling": "近90天使用量持续下降",
        "usage_rising": "近90天使用量持续上升",
        "open_tickets": "{count}个未解决的工单",
        "open_tickets_one": "{count}个未解决的工单",
        "tickets_90d": "近90天提交{count}个工单",
        "tickets_90d_one": "近90天提交{count}个工单",
        "ticket_satisfaction": "工单满意度为{score:.1f}分（满分5分）",
        "last_nps": "最近一次NPS评分为{count}",
        "last_csat": "最近一次CSAT评分为{count}分（满分5分）",
        "mrr_down": "近90天MRR减少{amount:,.0f}",
        "mrr_up": "近90天MRR增加{amount:,.0f}",
        "mrr": "MRR为{amount:,.0f}",
        "contractions_180d": "近180天降级{count}次",
        "contractions_180d_one": "近180天降级{count}次",
        "expansions_180d": "近180天升级{count}次",
        "tenure_days": "成为客户{count}天",
        "days_since_order": "已{count}天未下单",
        "never_ordered": "从未下单",
        "orders_90d": "近90天下单{count}次",
        "orders_365d": "近一年下单{count}次",
        "spend_90d": "近90天消费{amount:,.0f}",
        "spend_down": "消费较前90天下降",
        "spend_up": "消费较前90天上升",
        "returns_180d": "近180天退货{count}次",
        "returns_180d_one": "近180天退货{count}次",
        "discount_share_365d": "近一年{percent}%的订单使用了折扣",
        "unknown": "{feature}未知",
        "is": "{feature}为{value}",
    },
    # The question a new survey asks until the business edits it.
    "survey_questions": {
        "NPS": "您有多大可能向朋友或同事推荐我们？",
        "CSAT": "您对我们的满意程度如何？",
        "CES": "完成您想做的事有多容易？",
    },
}
