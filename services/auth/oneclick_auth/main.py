"""The auth service: users, superusers, sign-in and tokens (schema ``auth``)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from oneclick_auth import store
from oneclick_auth.accounts import Accounts
from oneclick_auth.context import AuthContext
from oneclick_auth.keyring import Keyring
from oneclick_auth.mail import Mailer
from oneclick_auth.oauth2 import OAuth2
from oneclick_auth.passwords import Passwords
from oneclick_auth.recovery import Recovery
from oneclick_auth.sessions import Sessions
from oneclick_auth.settings import AuthSettings
from oneclick_core.contracts import auth as contract
from oneclick_core.runtime.migrations import Migration, core_migrations, load_migrations
from oneclick_core.runtime.service import ServiceRuntime, ServiceSpec


def migrations() -> list[Migration]:
    return core_migrations("event_inbox", "event_outbox") + load_migrations("oneclick_auth.migrations")


async def setup(runtime: ServiceRuntime[AuthSettings]) -> None:
    settings = runtime.settings
    keyring = Keyring(runtime.pool, settings)
    await keyring.load()
    http = httpx.AsyncClient(timeout=settings.oauth2_timeout, follow_redirects=False)
    runtime.on_shutdown(http.aclose)
    ctx = AuthContext(
        settings=settings,
        pool=runtime.pool,
        keyring=keyring,
        passwords=await asyncio.to_thread(Passwords, settings),
        mailer=Mailer(settings),
        http=http,
    )
    accounts, sessions, oauth2, recovery = Accounts(ctx), Sessions(ctx), OAuth2(ctx), Recovery(ctx)
    await sessions.bootstrap()

    rpc = runtime.rpc
    rpc.register(contract.CREATE_USER, accounts.create_user)
    rpc.register(contract.GET_USER, accounts.get_user)
    rpc.register(contract.UPDATE_USER, accounts.update_user)
    rpc.register(contract.DELETE_USER, accounts.delete_user)
    rpc.register(contract.LOGOUT_ALL, accounts.logout_all)
    rpc.register(contract.GET_AVATAR, accounts.get_avatar)
    rpc.register(contract.AUTH_WITH_PASSWORD, sessions.auth_with_password)
    rpc.register(contract.AUTH_REFRESH, sessions.auth_refresh)
    rpc.register(contract.TOKEN_STATE, sessions.token_state)
    rpc.register(contract.CREATE_SUPERUSER, sessions.create_superuser)
    rpc.register(contract.AUTH_METHODS, oauth2.auth_methods)
    rpc.register(contract.AUTH_WITH_OAUTH2, oauth2.auth_with_oauth2)
    rpc.register(contract.REQUEST_PASSWORD_RESET, recovery.request_password_reset)
    rpc.register(contract.CONFIRM_PASSWORD_RESET, recovery.confirm_password_reset)
    rpc.register(contract.REQUEST_VERIFICATION, recovery.request_verification)
    rpc.register(contract.CONFIRM_VERIFICATION, recovery.confirm_verification)
    rpc.register(contract.JWKS, keyring.jwks)
    rpc.register(contract.ROTATE_KEYS, keyring.rotate_now)
    runtime.add_worker("key-rotation", keyring.run, keyring.stop)

    stopping = asyncio.Event()

    async def sweep_counters() -> None:
        # Expired rate-limit windows are reset on the next hit anyway; this only keeps the table small.
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=max(settings.login_limit_window, 60.0))
            with contextlib.suppress(Exception):
                async with runtime.pool.acquire() as conn:
                    await store.forget_old_hits(conn, settings.login_limit_window)

    async def stop_sweeping() -> None:
        stopping.set()

    runtime.add_worker("rate-limit-sweeper", sweep_counters, stop_sweeping)


SERVICE = ServiceSpec(
    name="auth",
    settings=AuthSettings,
    setup=setup,
    distribution="oneclick-auth",
    schema="auth",
    migrations=migrations,
    outbox=True,
)
