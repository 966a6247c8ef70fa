"""Pure identity rules and the crypto box."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.crypto import DecryptionFailed, SecretBox
from shared.domain.errors import InvalidInput
from shared.domain.identity import Session, hash_secret, new_session_id, safe_next, tokens_match


@pytest.mark.parametrize(
    "good",
    [
        "/",
        "/projects/contoso/0aa00000-0000-4000-8000-000000000001",
        "/launch?id=%7Babc%7D&orgname=contoso",
        "/api/me",
    ],
)
def test_safe_next_keeps_local_paths(good: str) -> None:
    assert safe_next(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\nLocation: x",
        "http:/evil",
        " /x",
    ],
)
def test_safe_next_refuses_everything_else(bad: str) -> None:
    with pytest.raises(InvalidInput):
        safe_next(bad)


def test_safe_next_defaults_to_home() -> None:
    assert safe_next(None) == "/" and safe_next("") == "/"


def session(now: datetime) -> Session:
    return Session(
        id_hash="h",
        tenant_id="t",
        object_id="o",
        roles=frozenset(),
        home_account_id="o.t",
        csrf_token="c",
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=12),
    )


def test_session_idle_and_absolute_expiry() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    idle = timedelta(minutes=60)
    s = session(t0)
    assert s.is_valid(now=t0 + timedelta(minutes=59), idle=idle)
    assert not s.is_valid(now=t0 + timedelta(minutes=61), idle=idle)
    assert not s.needs_touch(now=t0 + timedelta(minutes=5), idle=idle)
    assert s.needs_touch(now=t0 + timedelta(minutes=6), idle=idle)
    touched = s.touched(t0 + timedelta(minutes=50))
    assert touched.is_valid(now=t0 + timedelta(minutes=100), idle=idle)
    late = s.touched(t0 + timedelta(hours=11, minutes=59))
    assert not late.is_valid(now=t0 + timedelta(hours=12, minutes=1), idle=idle)  # absolute wins


def test_session_ids_are_256_bit_and_hashed_for_storage() -> None:
    a, b = new_session_id(), new_session_id()
    assert a != b and len(a) >= 43
    assert hash_secret(a) != a and len(hash_secret(a)) == 64


def test_token_comparison() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("abc", "abd")
    assert not tokens_match(None, None) and not tokens_match("", "")


def test_secret_box_round_trip_and_binding() -> None:
    box = SecretBox(bytes(range(32)))
    sealed = box.seal(b"cache", associated="t:o")
    assert b"cache" not in sealed
    assert box.open(sealed, associated="t:o") == b"cache"
    with pytest.raises(DecryptionFailed):
        box.open(sealed, associated="t:other")  # copied into another user's row
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        box.open(bytes(tampered), associated="t:o")
    with pytest.raises(DecryptionFailed):
        SecretBox(bytes(32)).open(sealed, associated="t:o")  # another key
    with pytest.raises(ValueError):
        SecretBox(b"short")
