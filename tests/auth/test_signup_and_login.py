"""Sign-up and password sign-in through the edge, in PocketBase's shapes and with its field errors."""

from __future__ import annotations

import jwt

from oneclick_testing.platform import PASSWORD

from .stack import Stack


async def test_sign_up_then_sign_in_by_email_and_by_username(stack: Stack) -> None:
    record = await stack.sign_up("ada@example.com", username="ada_l")
    assert set(record) == {
        "id",
        "collectionId",
        "collectionName",
        "created",
        "updated",
        "email",
        "emailVisibility",
        "username",
        "verified",
        "name",
        "avatar",
    }
    assert record["collectionName"] == "users"
    assert record["collectionId"] == "_pb_users_auth_"
    assert record["username"] == "ada_l"
    assert record["verified"] is False
    assert record["avatar"] == ""

    token, logged_in = await stack.login("ADA@example.com")
    assert logged_in == record
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["kid"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == claims["id"] == record["id"]
    assert claims["type"] == "auth"
    assert claims["collectionId"] == "_pb_users_auth_"
    assert claims["exp"] - claims["iat"] == 14 * 86400

    by_username, _ = await stack.login("ada_l")
    assert jwt.decode(by_username, options={"verify_signature": False})["sub"] == record["id"]


async def test_sign_up_validation_errors_per_field(stack: Stack) -> None:
    response = await stack.client.post(
        "/api/collections/users/records",
        json={"email": "not-an-email", "password": "short", "passwordConfirm": "different", "username": "a b"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["message"] == "Failed to create record."
    assert body["data"] == {
        "email": {"code": "validation_is_email", "message": "Must be a valid email address."},
        "password": {"code": "validation_length_out_of_range", "message": "The length must be between 8 and 72."},
        "passwordConfirm": {"code": "validation_values_mismatch", "message": "Values don't match."},
        "username": {"code": "validation_match_invalid", "message": "Must be in a valid format."},
    }

    empty = await stack.client.post("/api/collections/users/records", json={})
    assert empty.status_code == 400
    assert set(empty.json()["data"]) == {"email", "password", "passwordConfirm"}
    assert empty.json()["data"]["email"]["code"] == "validation_required"

    garbage = await stack.client.post(
        "/api/collections/users/records", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 400
    assert set(garbage.json()) == {"status", "message", "data"}


async def test_duplicate_email_and_username_are_field_errors_and_nothing_is_written(stack: Stack) -> None:
    first = await stack.sign_up("grace@example.com", username="grace")
    again = await stack.client.post(
        "/api/collections/users/records",
        json={"email": "Grace@Example.com", "password": PASSWORD, "passwordConfirm": PASSWORD, "username": "GRACE"},
    )
    assert again.status_code == 400
    assert again.json()["data"] == {
        "email": {"code": "validation_invalid_email", "message": "The email is invalid or already in use."},
        "username": {"code": "validation_invalid_username", "message": "The username is invalid or already in use."},
    }
    # The first account is untouched and still the only one with that email.
    _, record = await stack.login("grace@example.com")
    assert record["id"] == first["id"]


async def test_wrong_password_and_unknown_user_get_the_same_answer(stack: Stack) -> None:
    await stack.sign_up("alan@example.com")
    wrong = await stack.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "alan@example.com", "password": "not the password"},
    )
    unknown = await stack.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "nobody@example.com", "password": "not the password"},
    )
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == {"status": 400, "message": "Failed to authenticate.", "data": {}}

    blank = await stack.client.post("/api/collections/users/auth-with-password", json={})
    assert blank.status_code == 400
    assert set(blank.json()["data"]) == {"identity", "password"}


async def test_public_routes_ignore_a_stale_token_the_client_still_holds(stack: Stack) -> None:
    stale = {"Authorization": "eyJhbGciOiJFZERTQSJ9.eyJleHAiOjF9.c2ln"}
    signed_up = await stack.client.post(
        "/api/collections/users/records",
        headers=stale,
        json={"email": "stale@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD},
    )
    assert signed_up.status_code == 200, signed_up.text
    logged_in = await stack.client.post(
        "/api/collections/users/auth-with-password",
        headers=stale,
        json={"identity": "stale@example.com", "password": PASSWORD},
    )
    assert logged_in.status_code == 200
    methods = await stack.client.get("/api/collections/users/auth-methods", headers=stale)
    assert methods.status_code == 200
    assert methods.json()["authProviders"] == []  # no OAuth2 provider is configured in this stack
    assert methods.json()["oauth2"] == {"enabled": False, "providers": []}
