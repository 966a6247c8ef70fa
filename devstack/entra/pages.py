"""The browser-facing HTML: the sign-in page, error page, form_post page and signed-out page.

Plain string templates with every value escaped; the pages are for people running the demo and
for tests that drive the flow like a browser, so they stay small and dependency-free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["UserChoice", "error_page", "form_post_page", "sign_in_page", "signed_out_page"]

_STYLE = """
body { font-family: "Segoe UI", system-ui, sans-serif; background: #f2f2f2; margin: 0; }
main { max-width: 440px; margin: 48px auto; background: #fff; padding: 32px 40px;
       box-shadow: 0 2px 6px rgba(0,0,0,.2); }
h1 { font-size: 24px; font-weight: 600; margin: 0 0 8px; }
p.sub { color: #555; margin: 0 0 20px; }
form.user { margin: 0 0 8px; }
form.user button { width: 100%; text-align: left; padding: 10px 12px; font-size: 15px;
       background: #fff; border: 1px solid #8a8886; cursor: pointer; }
form.user button:hover, form.user button:focus { background: #f3f2f1; }
form.user.hinted button { border: 2px solid #0067b8; background: #eff6fc; }
small { color: #605e5c; display: block; }
.tag { color: #0067b8; font-size: 12px; font-weight: 600; }
.error { color: #a80000; word-break: break-word; }
.muted { color: #605e5c; font-size: 13px; }
button.secondary { background: #e1dfdd; border: 0; padding: 8px 16px; cursor: pointer; }
"""


@dataclass(frozen=True)
class UserChoice:
    oid: str
    name: str
    username: str
    tenant_name: str
    hinted: bool


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body><main>{body}</main></body></html>\n"
    )


def sign_in_page(
    *,
    action: str,
    pending_id: str,
    app_name: str,
    users: Sequence[UserChoice],
    signed_in_as: str | None,
) -> str:
    """One button per seeded user (a form POST each); the ``login_hint`` user is highlighted."""
    items = []
    for user in users:
        hinted = " hinted" if user.hinted else ""
        autofocus = " autofocus" if user.hinted else ""
        tag = '<span class="tag">Suggested by the app (login_hint)</span>' if user.hinted else ""
        items.append(
            f'<form class="user{hinted}" method="post" action="{escape(action)}" '
            f'data-oid="{escape(user.oid)}" data-username="{escape(user.username)}">'
            f'<input type="hidden" name="flow" value="{escape(pending_id)}">'
            f'<input type="hidden" name="oid" value="{escape(user.oid)}">'
            f'<input type="hidden" name="action" value="sign_in">'
            f'<button type="submit"{autofocus}>{tag}{escape(user.name)}'
            f"<small>{escape(user.username)} &middot; {escape(user.tenant_name)}</small>"
            "</button></form>"
        )
    if not items:
        items.append('<p class="error">No seeded user can sign in to this app here.</p>')
    current = (
        f'<p class="muted">Currently signed in as {escape(signed_in_as)}.</p>'
        if signed_in_as
        else ""
    )
    body = (
        "<h1>Pick an account</h1>"
        f'<p class="sub">to continue to <b>{escape(app_name)}</b> '
        "(Entra ID simulator &mdash; no password needed)</p>"
        f"{current}{''.join(items)}"
        f'<form class="cancel" method="post" action="{escape(action)}">'
        f'<input type="hidden" name="flow" value="{escape(pending_id)}">'
        '<input type="hidden" name="action" value="cancel">'
        '<button class="secondary" type="submit">Cancel</button></form>'
    )
    return _page(f"Sign in to {app_name}", body)


def error_page(*, error: str, description: str) -> str:
    """The page Entra shows when it cannot send the error back to the app."""
    body = (
        "<h1>Sorry, but we&rsquo;re having trouble signing you in.</h1>"
        f'<p class="error" data-error="{escape(error)}">{escape(description)}</p>'
        '<p class="muted">Entra ID simulator: fix the request (or the seed) and try again.</p>'
    )
    return _page("Sign in error", body)


def form_post_page(*, action: str, fields: Mapping[str, str]) -> str:
    """response_mode=form_post: a form that posts the response to the redirect URI."""
    inputs = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    body = (
        f'<form method="post" action="{escape(action)}" id="response">{inputs}'
        "<noscript><p>Script is disabled. Click Submit to continue.</p>"
        '<button type="submit">Submit</button></noscript></form>'
        "<script>document.getElementById('response').submit();</script>"
    )
    return _page("Working...", body)


def signed_out_page() -> str:
    body = (
        "<h1>You signed out of your account</h1>"
        '<p class="sub">It&rsquo;s a good idea to close all browser windows.</p>'
        '<p class="muted">Entra ID simulator: the simulator session was cleared.</p>'
    )
    return _page("Signed out", body)
