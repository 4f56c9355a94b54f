"""An OAuth2 provider's profile is made storable before anything of it is stored: what says which account
signs in is refused when PostgreSQL could not store it, what only describes it is cleaned."""

from __future__ import annotations

import json

import orjson
import pytest

from oneclick_auth.oauth2 import ProviderError, ProviderUser, storable_profile


def _profile(**changes: object) -> ProviderUser:
    fields: dict[str, object] = {
        "id": "101",
        "email": "octo@octo.example",
        "email_verified": True,
        "name": "Octo Cat",
        "username": "octo-cat",
        "avatar_url": "https://a.example/1",
        "raw": {"id": 101, "login": "octo-cat"},
    }
    fields.update(changes)
    return ProviderUser(**fields)  # type: ignore[arg-type]


def test_a_clean_profile_is_unchanged() -> None:
    assert storable_profile(_profile()) == _profile()


def test_descriptive_text_is_cleaned() -> None:
    raw = json.loads('{"id": 101, "name": "Octo\\u0000 Cat\\ud800", "bi\\u0000o": ["\\udfff"]}')
    profile = storable_profile(
        _profile(name="Octo\x00 Cat\ud800", username="octo\x00cat", avatar_url="https://a.example/\x00", raw=raw)
    )
    assert (profile.name, profile.username, profile.avatar_url) == ("Octo Cat", "octocat", "https://a.example/")
    assert profile.raw == {"id": 101, "name": "Octo Cat", "bio": [""]}
    orjson.dumps(profile.raw)  # the raw profile goes back to the client as JSON


@pytest.mark.parametrize(
    "changes", [{"id": "10\x001"}, {"email": "octo\x00@octo.example"}, {"email": "\ud800octo@octo.example"}]
)
def test_identifying_text_is_refused(changes: dict[str, str]) -> None:
    # Cleaned, "octo\x00@octo.example" would be someone else's verified address.
    with pytest.raises(ProviderError):
        storable_profile(_profile(**changes))
