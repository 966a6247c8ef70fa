"""Every text a person reads, in English and German, by key — assembled from the area catalogues
(errors, pages, the rep's cockpit, the admin console). Error keys are the ``code`` values of the
domain error tree (``shared/domain/errors.py``); a missing German text falls back to English (a
test keeps both complete)."""

from __future__ import annotations

from typing import Literal

from functions.messages_admin import ADMIN_MESSAGES
from functions.messages_admin_health import ADMIN_HEALTH_MESSAGES
from functions.messages_admin_ops import ADMIN_OPS_MESSAGES
from functions.messages_errors import ERROR_MESSAGES
from functions.messages_pages import PAGE_MESSAGES
from functions.messages_rep import REP_MESSAGES

Lang = Literal["en", "de"]

MESSAGES: dict[str, dict[Lang, str]] = {}
for catalogue in (
    ERROR_MESSAGES,
    PAGE_MESSAGES,
    REP_MESSAGES,
    ADMIN_MESSAGES,
    ADMIN_HEALTH_MESSAGES,
    ADMIN_OPS_MESSAGES,
):
    for key in catalogue.keys() & MESSAGES.keys():
        raise ValueError(f"message {key!r} is defined twice")
    MESSAGES.update(catalogue)
