"""The pages customers open, without a Retain account: each is reached through a signed link,
a code, or is public by nature (the help centre, the chat widget)."""

from __future__ import annotations

from fastapi import APIRouter

from retain.web.public import chat, help, loyalty, preferences, reorder, return_portal, survey

router = APIRouter()
for page in (loyalty, reorder, preferences, survey, return_portal, help, chat):
    router.include_router(page.router)
