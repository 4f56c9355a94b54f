"""PocketBase's field checks, codes and messages."""

from __future__ import annotations

import base64
import hashlib

import pytest

from oneclick_auth.accounts import avatar_filename, sniff_image
from oneclick_auth.oauth2 import s256
from oneclick_auth.validation import FieldErrors, check_email, check_new_password, check_username
from oneclick_core.errors import ApiError


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("", "validation_required"),
        ("plain", "validation_is_email"),
        ("a@b", "validation_is_email"),
        ("a b@example.com", "validation_is_email"),
        ("x" * 250 + "@example.com", "validation_length_out_of_range"),
        ("ada@example.com", None),
        ("first.last+tag@sub.example.co", None),
    ],
)
def test_email(email: str, code: str | None) -> None:
    errors = FieldErrors()
    check_email(errors, email)
    assert errors.data.get("email", {}).get("code") == code


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("ab", "validation_length_out_of_range"),
        ("has space", "validation_match_invalid"),
        (".dot", "validation_match_invalid"),
        ("ok_name-1.x", None),
        ("ünïcode", "validation_match_invalid"),
    ],
)
def test_username(username: str, code: str | None) -> None:
    errors = FieldErrors()
    check_username(errors, username, required=True)
    assert errors.data.get("username", {}).get("code") == code


def test_new_password_rules_and_one_error_with_all_fields() -> None:
    errors = FieldErrors()
    check_new_password(errors, "short", "other", 8)
    assert errors.data == {
        "password": {"code": "validation_length_out_of_range", "message": "The length must be between 8 and 72."},
        "passwordConfirm": {"code": "validation_values_mismatch", "message": "Values don't match."},
    }
    with pytest.raises(ApiError) as raised:
        errors.raise_if_any("Failed to create record.")
    assert raised.value.to_dict() == {"status": 400, "message": "Failed to create record.", "data": errors.data}


def test_images_are_recognised_by_their_bytes() -> None:
    assert sniff_image(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff_image(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_image(b"GIF89a...") == "image/gif"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    name = avatar_filename("../../etc/My Pic!.PNG", "image/png")
    assert name.startswith("my_pic_")
    assert name.endswith(".png")
    assert "/" not in name


def test_s256_is_unpadded_base64url_of_sha256() -> None:
    verifier = "a" * 43
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert s256(verifier) == expected
    assert "=" not in s256(verifier)
