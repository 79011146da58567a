"""English (``en``): the sentences Retain writes to customers, by section."""

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
    # The question a new survey asks until the business edits it.
    "survey_questions": {
        "NPS": "How likely are you to recommend us to a friend or colleague?",
        "CSAT": "How satisfied are you with us?",
        "CES": "How easy was it to get what you needed?",
    },
}
