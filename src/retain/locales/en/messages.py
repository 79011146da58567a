"""English (``en``): the sentences Retain writes, by section."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    # The assistant's answers from the customer's own data.
    "assistant_answers": {
        "order": "Your order {order_id} of {ordered_at:%Y-%m-%d} is {status}.",
        "no_order": "I cannot find an order on your account yet.",
        "return": "You can start a return here: {url} (you need your order number and e-mail).",
        "renewal": "Your {plan} subscription renews on {renews_at:%Y-%m-%d}.",
        "no_renewal": "I cannot find an active subscription that renews on your account.",
        "sign_in": "Please open this chat from your account so that I can see your data.",
    },
    # The assistant's replies when it hands over or cites an article.
    "assistant_replies": {
        "handoff": (
            "I am not sure I can answer that well, so I have passed your conversation to our "
            "team (ticket #{ticket}). A person will reply to you by e-mail."
        ),
        "already": "Your conversation is with our team (ticket #{ticket}); a person will reply.",
        "email": "I cannot answer that myself. Leave your e-mail address and a person will reply.",
        "article": "This article should help: {title}\n{summary}\n{url}",
        "subject": "Assistant hand-off: {question}",
    },
    # A churn score's reasons: one input's value in words (``churn/reasons.py``).
    "churn_reasons": {
        "usage_fell": "usage fell {percent}% vs their 90-day baseline",
        "usage_rose": "usage up {percent}% vs their 90-day baseline",
        "days_since_usage": "no product usage for {count} days",
        "usage_7d": "{count} uses in the last 7 days",
        "usage_30d": "{count} uses in the last 30 days",
        "usage_90d": "{count} uses in the last 90 days",
        "active_days_30d": "active on {count} days in the last 30",
        "active_days_90d": "active on {count} days in the last 90",
        "usage_falling": "usage falling over the last 90 days",
        "usage_rising": "usage rising over the last 90 days",
        "open_tickets": "{count} unresolved tickets",
        "open_tickets_one": "{count} unresolved ticket",
        "tickets_90d": "{count} support tickets in the last 90 days",
        "tickets_90d_one": "{count} support ticket in the last 90 days",
        "ticket_satisfaction": "ticket satisfaction {score:.1f} of 5",
        "last_nps": "last NPS score {count}",
        "last_csat": "last CSAT score {count} of 5",
        "mrr_down": "MRR down {amount:,.0f} in the last 90 days",
        "mrr_up": "MRR up {amount:,.0f} in the last 90 days",
        "mrr": "MRR of {amount:,.0f}",
        "contractions_180d": "{count} downgrades in the last 180 days",
        "contractions_180d_one": "{count} downgrade in the last 180 days",
        "expansions_180d": "{count} upgrades in the last 180 days",
        "tenure_days": "a customer for {count} days",
        "days_since_order": "no order for {count} days",
        "never_ordered": "has never ordered",
        "orders_90d": "{count} orders in the last 90 days",
        "orders_365d": "{count} orders in the last year",
        "spend_90d": "spent {amount:,.0f} in the last 90 days",
        "spend_down": "spend down vs the 90 days before",
        "spend_up": "spend up vs the 90 days before",
        "returns_180d": "{count} returns in the last 180 days",
        "returns_180d_one": "{count} return in the last 180 days",
        "discount_share_365d": "{percent}% of orders discounted in the last year",
        "unknown": "{feature} unknown",
        "is": "{feature} is {value}",
    },
    # The question a new survey asks until the business edits it.
    "survey_questions": {
        "NPS": "How likely are you to recommend us to a friend or colleague?",
        "CSAT": "How satisfied are you with us?",
        "CES": "How easy was it to get what you needed?",
    },
}
