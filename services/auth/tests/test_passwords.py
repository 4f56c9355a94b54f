"""argon2id hashing, and the decoy that gives unknown accounts the same cost as wrong passwords."""

from __future__ import annotations

from argon2 import extract_parameters

from oneclick_auth.passwords import Passwords
from oneclick_auth.settings import AuthSettings

SETTINGS = AuthSettings(argon2_time_cost=2, argon2_memory_kib=1024, argon2_parallelism=1)


async def test_hashes_are_argon2id_with_the_configured_cost() -> None:
    passwords = Passwords(SETTINGS)
    hashed = await passwords.hash("a fine password")
    assert hashed.startswith("$argon2id$")
    parameters = extract_parameters(hashed)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (2, 1024, 1)
    assert await passwords.verify(hashed, "a fine password")
    assert not await passwords.verify(hashed, "a wrong password")
    assert not await passwords.verify("not a hash", "a fine password")


async def test_an_unknown_account_is_checked_against_a_decoy_of_the_same_cost() -> None:
    passwords = Passwords(SETTINGS)
    real = extract_parameters(await passwords.hash("x"))
    # The decoy is hashed with the very same parameters, so verifying against it costs what a real check costs.
    assert extract_parameters(passwords._decoy) == real
    assert not await passwords.verify(None, "anything")
    unusable = await passwords.unusable()
    assert not await passwords.verify(unusable, "")
