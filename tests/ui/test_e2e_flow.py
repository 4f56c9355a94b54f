"""The web UI end to end, in Debian's headless Chromium against the whole platform started as processes.

One person who has never seen Kubernetes signs up, creates a project, deploys the nginx blueprint, watches
its pod come up on the live map, reads its logs, changes the image tag (a new rollout), rolls back, sees a
broken image reported as a failed rollout, saves the deployment as a blueprint and shares it with a second
person, who sees it, leaves it and joins again, and whom the owner (seeing only ids) then stops sharing it
with; a superuser checks the dashboard; the project is deleted. A second test, on the same running platform,
tours every view the flow does not need (scale, variables and secrets, volumes, network, settings with
rename and the delete dialog, project settings, each blueprint tab, profile, each tab of the superuser
dashboard) and restarts a pod. The login page offers exactly the OAuth2 providers the server lists: none on
the default platform, GitHub alone on one started with GitHub configured.

Every view is checked for a title, labelled controls and named buttons, no console error may occur, and a
screenshot of each view is kept in ``test-artifacts/`` for review.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    Route,
    async_playwright,
    expect,
)

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import SUPERUSER, Platform, running_platform, start_platform
from oneclick_testing.services import ServiceGroup
from oneclick_testing.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "frontend" / "build"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long enough password"
SERVICES = ["auth", "records", "k8s-executor", "streaming", "updater"]
FRONTEND_ENV = {"ONECLICK_FRONTEND_DIR": str(BUILD)}
LIVE = 60_000  # ms: the cluster is kubesim with fast timings; this bounds waiting, it is no performance claim

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(420),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(
        not (BUILD / "index.html").exists(),
        reason="the web UI is not built (make frontend: npm ci && npm run build in frontend/)",
    ),
]

# Every form control has a label, every button and link a name, the page a title of its own.
AUDIT = """() => {
  const describe = (el) => el.outerHTML.slice(0, 160);
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const label = [...(el.labels || [])].some((l) => l.textContent.trim())
      || (el.getAttribute("aria-label") || "").trim()
      || (el.getAttribute("aria-labelledby") || "").split(/\\s+/)
           .some((id) => document.getElementById(id)?.textContent.trim());
    if (!label) problems.push("unlabelled control: " + describe(el));
  }
  for (const el of document.querySelectorAll("button, a[href], [role=tab], [role=menuitem]")) {
    if (!visible(el)) continue;
    const name = (el.getAttribute("aria-label") || el.textContent || el.getAttribute("title") || "").trim();
    if (!name) problems.push("unnamed control: " + describe(el));
  }
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  return { title: document.title, problems };
}"""


@dataclass
class Browsing:
    """Pages opened during the flow, with what the audit and the console said about them."""

    browser: Browser
    base: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)
    prefix: str = ""  # of the screenshots' names: tests other than the main flow set one of their own

    async def context(self, **options: Any) -> BrowserContext:
        context = await self.browser.new_context(base_url=self.base, viewport={"width": 1280, "height": 900}, **options)
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        return context

    async def page(self, context: BrowserContext, who: str) -> Page:
        page = await context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.console_errors.append(f"{who} on {page.url}: {message.text} ({message.location.get('url')})")

        def on_response(response: Response) -> None:
            # Chromium reports failed requests without their address; this names them.
            if response.status >= 400:
                self.failed_requests.append(f"{who}: {response.request.method} {response.url} {response.status}")

        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda error: self.console_errors.append(f"{who} {page.url}: uncaught {error}"))
        return page

    async def check(self, page: Page, name: str, title: str) -> None:
        """Audit the view, then keep a screenshot of it."""
        await expect(page).to_have_title(re.compile(rf"^{re.escape(title)} · (.* · )?One-Click"))
        report = await page.evaluate(AUDIT)
        assert report["problems"] == [], f"{name}: {report['problems']}"
        self.audited.append(f"{name}: {report['title']}")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = f"{self.prefix}{len(self.audited):02d}-{name}.png"
        await page.screenshot(path=str(ARTIFACTS / shot), full_page=True)

    async def keep_what_the_pages_showed(self) -> None:
        """After a failure: a screenshot of every open page and, in the test's output, where each one was and
        what it said, so a failure in CI can be read without running it again."""
        ARTIFACTS.mkdir(exist_ok=True)
        for number, page in enumerate(page for context in self.contexts for page in context.pages):
            with contextlib.suppress(Exception):
                await page.screenshot(path=str(ARTIFACTS / f"{self.prefix}failed-{number}.png"), full_page=True)
            text = ""
            with contextlib.suppress(Exception):
                text = (await page.locator("body").inner_text(timeout=2_000))[:600]
            print(f"page {number} at {page.url}:", text.replace("\n", " | "), sep="\n  ")

    async def finish(self) -> None:
        """Close every page (errors while leaving count too), then require a console without errors."""
        for context in self.contexts:
            await context.close()
        self.contexts.clear()
        assert self.console_errors == [], "\n".join(
            ["console errors:", *self.console_errors, "failed requests:", *self.failed_requests]
        )


@pytest.fixture(scope="module")
async def platform(
    module_nats_url: str, module_database: Database, module_log_dir: Path, kubesim_cluster: KubesimProcess
) -> AsyncIterator[Platform]:
    """The whole platform serving the built UI, shared by this module's tests (each with users of its own)."""
    async with running_platform(
        nats_url=module_nats_url,
        database=module_database,
        log_dir=module_log_dir,
        kubeconfig=kubesim_cluster.kubeconfig,
        names=SERVICES,
        env={"edge": FRONTEND_ENV},
    ) as started:
        yield started


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@contextlib.asynccontextmanager
async def browsing_at(browser: Browser, base: str) -> AsyncIterator[Browsing]:
    browsing = Browsing(browser, base)
    try:
        yield browsing
    except BaseException:
        await browsing.keep_what_the_pages_showed()
        raise
    finally:
        for context in browsing.contexts:
            await context.close()
        # Shown with a failure: what the browser asked for that the platform refused.
        print("failed requests:", *browsing.failed_requests, sep="\n  ")
        print("console errors:", *browsing.console_errors, sep="\n  ")


@pytest.fixture
async def browsing(platform: Platform, browser: Browser) -> AsyncIterator[Browsing]:
    async with browsing_at(browser, platform.url) as started:
        yield started


async def sign_up(page: Page, name: str, email: str) -> None:
    await page.goto("/login")
    await page.get_by_role("tab", name="I am new here").click()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirm password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Create account", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/app/projects$"))


async def create_project(
    page: Page, name: str, *, before_submit: Callable[[Page], Awaitable[None]] | None = None
) -> str:
    """From the project list: a new project named ``name``; its id (the page is then the project's)."""
    await page.get_by_role("button", name="+ New project").click()
    dialog = page.get_by_role("dialog", name="New project")
    await dialog.get_by_label("Project name", exact=True).fill(name)
    if before_submit is not None:
        await before_submit(page)
    await dialog.get_by_role("button", name="Create project").click()
    await expect(page).to_have_url(re.compile(r"/app/projects/[a-z0-9]{15}$"))
    await expect(page.get_by_text("Nothing deployed yet")).to_be_visible()
    return page.url.rsplit("/", 1)[1]


async def deploy_nginx(page: Page, name: str, *, before_submit: Callable[[Page], Awaitable[None]] | None = None) -> str:
    """From a project's page: the community nginx blueprint deployed as ``name``; the deployment's URL (the
    page is then its live map)."""
    await page.get_by_role("link", name="+ New deployment").click()
    await page.get_by_role("radio", name="Blueprint nginx").check()
    await page.get_by_label("Deployment name", exact=True).fill(name)
    if before_submit is not None:
        await before_submit(page)
    await page.get_by_role("button", name="Deploy nginx").click()
    await expect(page).to_have_url(re.compile(r"/deployments/[a-z0-9]{15}/map$"))
    return page.url.removesuffix("/map")


async def sign_in_as_superuser(admin: Page) -> None:
    await admin.goto("/_/")
    await admin.get_by_label("Email", exact=True).fill(SUPERUSER[0])
    await admin.get_by_label("Password", exact=True).fill(SUPERUSER[1])
    await admin.get_by_role("button", name="Sign in").click()
    await expect(admin.get_by_role("tablist", name="Dashboard sections")).to_be_visible()


async def stored_token(page: Page) -> str:
    stored = await page.evaluate("localStorage.getItem('pocketbase_auth')")
    token: str = json.loads(stored)["token"]
    return token


async def stored_user_id(page: Page) -> str:
    stored = await page.evaluate("localStorage.getItem('pocketbase_auth')")
    user_id: str = json.loads(stored)["record"]["id"]
    return user_id


async def open_deployment_page(page: Page, label: str) -> None:
    await page.get_by_role("navigation", name="Deployment").get_by_role("link", name=label, exact=True).click()


async def wait_until_running(page: Page) -> str:
    """Wait until the cluster runs the deployment's running rollout with every pod ready; its id."""
    banner = page.locator("[data-rollout-state]")
    await expect(banner).to_have_attribute("data-rollout-state", "running", timeout=LIVE)
    running = await banner.get_attribute("data-running-rollout")
    assert running
    await expect(banner).to_have_attribute("data-applied-rollout", running, timeout=LIVE)
    await expect(banner).to_have_attribute("data-rollout-state", "running", timeout=LIVE)
    return running


async def set_tag(page: Page, tag: str) -> None:
    await open_deployment_page(page, "Image")
    await page.get_by_label("Tag", exact=True).fill(tag)
    await page.get_by_role("button", name="Save & roll out").click()
    # The toast of an earlier save may still show; a new one joins it.
    await expect(page.get_by_text("Image saved: a new rollout started.").last).to_be_visible()


async def expect_running_tag(page: Page, tag: str) -> None:
    """The rollout with ``tag`` is the one running. For a moment two rows may both show as running (the
    re-activated one is written, the one it ended not yet re-read), so both conditions are awaited as counts:
    a strict locator would fail at once on two rows instead of waiting."""
    with_tag = page.locator("td[data-tag]", has_text=re.compile(rf"^{re.escape(tag)}$"))
    await expect(page.locator("tr[data-running=true]", has=with_tag)).to_have_count(1, timeout=LIVE)
    await expect(page.locator("tr[data-running=true]")).to_have_count(1, timeout=LIVE)


async def roll_back_to(page: Page, tag: str) -> None:
    await open_deployment_page(page, "Rollouts")
    row = page.locator("tbody tr", has=page.locator("td[data-tag]", has_text=re.compile(rf"^{re.escape(tag)}$")))
    await row.get_by_role("button", name=re.compile("^Roll back to")).click()
    dialog = page.get_by_role("dialog", name="Roll back")
    await expect(dialog.get_by_role("table", name="Manifest differences")).to_be_visible()
    await dialog.get_by_role("button", name="Roll back now").click()
    await expect_running_tag(page, tag)


async def test_newcomer_deploys_watches_changes_rolls_back_shares_and_cleans_up(
    platform: Platform, browsing: Browsing
) -> None:
    alice = await browsing.context(permissions=["clipboard-read", "clipboard-write"])
    page = await browsing.page(alice, "alice")

    # Sign up and land on an empty project list.
    await page.goto("/login")
    await browsing.check(page, "login", "Sign in")
    await sign_up(page, "Alice Newcomer", "alice@example.com")
    await expect(page.get_by_text("No projects yet")).to_be_visible()
    await browsing.check(page, "projects-empty", "Projects")

    # A project, with a tag.
    async def tag_and_audit(page: Page) -> None:
        tags = page.get_by_role("dialog", name="New project").get_by_label("Tags", exact=True)
        await tags.fill("web")
        await tags.press("Enter")
        await browsing.check(page, "project-create", "Projects")

    project_id = await create_project(page, "Shop", before_submit=tag_and_audit)
    await browsing.check(page, "project", "Shop")

    # Deploy the community nginx blueprint.
    async def audit_new_deployment(page: Page) -> None:
        await browsing.check(page, "new-deployment", "New deployment")

    deployment_url = await deploy_nginx(page, "website", before_submit=audit_new_deployment)

    # Its pod comes up on the live map, beside its Deployment, ReplicaSet and Service.
    await expect(page.locator('[data-resource-map] [data-kind="pod"][data-health="ok"]')).to_have_count(1, timeout=LIVE)
    for kind in ("deployment", "replicaset", "service"):
        await expect(page.locator(f'[data-resource-map] [data-kind="{kind}"]')).to_have_count(1)
    first_rollout = await wait_until_running(page)
    await browsing.check(page, "map", "Map")
    await page.locator('[data-resource-map] [data-kind="pod"]').click()
    await expect(page.locator("[data-object-panel]")).to_be_visible()
    await page.get_by_role("tab", name="events").click()
    await expect(page.locator("[data-object-panel]").get_by_text("Scheduled")).to_be_visible(timeout=LIVE)
    await browsing.check(page, "map-pod-events", "Map")

    # Live logs: lines arrive, search highlights, pause holds the view.
    await open_deployment_page(page, "Logs")
    log = page.get_by_role("log")
    await expect(page.locator("[data-log-state]")).to_have_attribute("data-log-state", "open", timeout=LIVE)
    await expect(log.locator("div").first).to_be_visible(timeout=LIVE)
    await page.get_by_label("Search the log").fill("GET")
    await expect(log.locator("mark").first).to_be_visible(timeout=LIVE)
    await page.get_by_role("button", name="Pause").click()
    await expect(page.get_by_role("button", name="Resume")).to_be_visible()
    await browsing.check(page, "logs", "Logs")
    # Download keeps the lines received so far in a file named after the pod (the view is paused, the buffer
    # not: the file holds at least what the view shows).
    pod = await page.get_by_label("Pod", exact=True).input_value()
    shown_lines = await log.locator("div > span:not([aria-hidden])").all_inner_texts()
    assert shown_lines
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download", exact=True).click()
    download = await downloading.value
    assert re.fullmatch(rf"{re.escape(pod)}-\d{{8}}-\d{{6}}\.log", download.suggested_filename)
    downloaded = await asyncio.to_thread(Path(await download.path()).read_text)
    assert downloaded.endswith("\n")
    assert set(shown_lines) <= set(downloaded.splitlines())
    assert re.search(r"^(INFO|DEBUG|WARN) GET /", downloaded, re.MULTILINE), downloaded[:500]

    # The overview shows the pod with a restart action and the usage charts.
    await open_deployment_page(page, "Overview")
    await expect(page.locator("tr[data-pod]")).to_have_count(1, timeout=LIVE)
    await expect(page.get_by_role("img", name=re.compile(r"^CPU: .* now"))).to_be_visible(timeout=LIVE)
    await browsing.check(page, "overview", "Overview")

    # A new tag is a new rollout; the cluster converges to it.
    await set_tag(page, "1.27")
    await browsing.check(page, "image", "Image")
    second_rollout = await wait_until_running(page)
    assert second_rollout != first_rollout
    await open_deployment_page(page, "Rollouts")
    await expect(page.locator("tbody tr[data-rollout]")).to_have_count(2)
    await expect_running_tag(page, "1.27")

    # Any two rollouts compare; the diff names the tag change.
    for rollout in (first_rollout, second_rollout):
        await page.locator(f'tr[data-rollout="{rollout}"] input[type=checkbox]').check()
    await page.get_by_role("button", name="Compare selected (2/2)").click()
    diff = page.get_by_role("dialog")
    await expect(diff.get_by_role("row").filter(has_text='tag: "1.27"')).to_have_count(1)
    await browsing.check(page, "rollouts-diff", "Rollouts")
    await diff.get_by_role("button", name="Close dialog").click()

    # Roll back to the first rollout: it runs again, in the cluster too.
    await roll_back_to(page, "latest")
    assert await wait_until_running(page) == first_rollout
    await browsing.check(page, "rollouts", "Rollouts")

    # An image that cannot be pulled shows as a failed rollout with the reason and what to do.
    await set_tag(page, "does-not-exist")
    banner = page.locator("[data-rollout-state]")
    await expect(banner).to_have_attribute("data-rollout-state", "failed", timeout=LIVE)
    await expect(banner).to_contain_text(re.compile(r"Rollout failed: (ErrImagePull|ImagePullBackOff)"))
    await expect(banner).to_contain_text("Image page")
    await browsing.check(page, "rollout-failed", "Image")
    await roll_back_to(page, "latest")
    assert await wait_until_running(page) == first_rollout

    # Auto-update: on, with its webhook URL, and the webhook secret shown exactly once.
    await open_deployment_page(page, "Image")
    await page.get_by_label("Enabled").check()
    await page.get_by_label("Tag pattern (regular expression)").fill(r"^1\.\d+$")
    await page.get_by_role("button", name="Save auto-update").click()
    await expect(page.get_by_text("Auto-update on: new tags roll out by themselves.")).to_be_visible()
    webhook = re.compile(rf"^{re.escape(platform.url)}/pb/auto-update/[a-z0-9]{{15}}$")
    await expect(page.get_by_label("Webhook URL")).to_have_value(webhook)
    await page.get_by_role("button", name="Reveal secret").click()
    await expect(page.get_by_label("Webhook secret")).to_have_value(re.compile(r"^ocwh_"))
    await browsing.check(page, "image-auto-update", "Image")
    await page.get_by_role("button", name="Reveal secret").click()
    await expect(page.get_by_text("The secret was already shown once.")).to_be_visible()

    # Save it as a private blueprint and share its link.
    await open_deployment_page(page, "Settings")
    await page.get_by_label("Blueprint name", exact=True).fill("Alice's nginx")
    await browsing.check(page, "deployment-settings", "Settings")
    await page.get_by_role("button", name="Create blueprint").click()
    await expect(page).to_have_url(re.compile(r"/app/blueprints$"))
    card = page.locator('article[data-blueprint="Alice\'s nginx"]')
    await expect(card).to_be_visible()
    await expect(card.get_by_text("Private")).to_be_visible()
    blueprint_id = await card.get_attribute("data-id")
    await card.get_by_role("button", name="Copy share link of Alice's nginx").click()
    share_link = await page.evaluate("navigator.clipboard.readText()")
    assert share_link == f"{platform.url}/app/blueprints/shared/{blueprint_id}"
    await browsing.check(page, "blueprints", "Blueprints")

    # A second person (in dark mode) opens the link, adds it, and sees it among the blueprints shared with them.
    bob_context = await browsing.context(color_scheme="dark")
    bob = await browsing.page(bob_context, "bob")
    await sign_up(bob, "Bob Second", "bob@example.com")
    await bob.goto(share_link)
    await bob.get_by_role("button", name="Add to my blueprints").click()
    await expect(bob.get_by_text("It is in your blueprints.")).to_be_visible()
    await browsing.check(bob, "shared-link", "Shared blueprint")
    await bob.goto("/app/blueprints?tab=shared")
    await expect(bob.locator('article[data-blueprint="Alice\'s nginx"]')).to_be_visible()
    await expect(bob.locator("html")).to_have_class(re.compile("dark"))
    await browsing.check(bob, "blueprints-shared-dark", "Blueprints")
    # Sharing a blueprint shares nothing else: Alice's project is a 404 to Bob.
    async with httpx.AsyncClient(base_url=platform.url, headers={"Authorization": await stored_token(bob)}) as as_bob:
        assert (await as_bob.get(f"/api/collections/projects/records/{project_id}")).status_code == 404
        assert (await as_bob.get(f"/pb/{project_id}/{deployment_url.rsplit('/', 1)[1]}/status")).status_code == 404

    # Alice sees whom it is shared with: Bob's id, never his name (other users are private).
    bob_id = await stored_user_id(bob)
    shared_with = card.get_by_role("list", name=re.compile("^Shared with"))
    await page.reload()
    await expect(shared_with.get_by_role("listitem")).to_have_text([re.compile(rf"a user\s*{bob_id}")])
    await expect(card.get_by_text("Bob Second")).to_have_count(0)
    await browsing.check(page, "blueprints-shared-with", "Blueprints")

    # Bob leaves it (after confirming): it is gone from his list, and from whom Alice shares it with.
    shared_card = bob.locator('article[data-blueprint="Alice\'s nginx"]')
    await shared_card.get_by_role("button", name="Leave Alice's nginx").click()
    leave = bob.get_by_role("dialog", name="Leave Alice's nginx")
    await expect(leave).to_contain_text("you will need its share link")
    await browsing.check(bob, "blueprint-leave-dark", "Blueprints")
    await leave.get_by_role("button", name="Leave blueprint").click()
    await expect(bob.get_by_text('You left "Alice\'s nginx".')).to_be_visible()
    await expect(bob.get_by_text("No blueprints here")).to_be_visible()
    await bob.reload()
    await expect(bob.get_by_text("No blueprints here")).to_be_visible()
    await page.reload()
    await expect(card).to_be_visible()
    await expect(shared_with).to_have_count(0)

    # The link brings it back; then Alice stops sharing with Bob's id.
    await bob.goto(share_link)
    await bob.get_by_role("button", name="Add to my blueprints").click()
    await expect(bob.get_by_text("It is in your blueprints.")).to_be_visible()
    await page.reload()
    await expect(shared_with.get_by_text(bob_id)).to_be_visible()
    await card.get_by_role("button", name=f"Stop sharing with {bob_id}").click()
    await expect(shared_with).to_have_count(0)
    await expect(card.get_by_text(bob_id)).to_have_count(0)
    await bob.goto("/app/blueprints?tab=shared")
    await expect(bob.get_by_text("No blueprints here")).to_be_visible()

    # The superuser dashboard reports every service and lists Alice's project.
    admin = await browsing.page(await browsing.context(), "admin")
    await admin.goto("/_/")
    await browsing.check(admin, "admin-login", "Superuser sign in")
    await sign_in_as_superuser(admin)
    for service in ("edge", "auth", "records", "k8s-executor", "streaming", "updater"):
        await expect(admin.locator(f'[data-service="{service}"]')).to_have_attribute("data-status", "ok")
    await browsing.check(admin, "admin-health", "Dashboard")
    await admin.get_by_role("tab", name="All projects").click()
    await expect(admin.get_by_role("cell", name=re.compile("^Shop"))).to_be_visible()
    # The tenancy policy in force, read-only.
    await admin.get_by_role("tab", name="Tenancy policy").click()
    policy = admin.get_by_role("table", name="Tenancy policy")
    await expect(policy.get_by_role("row", name=re.compile("Pod Security level"))).to_contain_text("baseline")
    await expect(policy.get_by_role("row", name=re.compile("Quota pods"))).to_contain_text("40")

    # Deleting the project (typed confirmation) removes it with its deployment and rollouts.
    await page.goto(f"/app/projects/{project_id}/settings")
    await page.get_by_role("button", name="Delete project…").click()
    confirm = page.get_by_role("dialog", name="Delete project")
    await expect(confirm.get_by_role("button", name="Delete project")).to_be_disabled()
    await confirm.get_by_label("Name of the project").fill("Shop")
    await browsing.check(page, "project-delete", "Settings")
    await confirm.get_by_role("button", name="Delete project").click()
    await expect(page).to_have_url(re.compile(r"/app/projects$"))
    await expect(page.get_by_text("No projects yet")).to_be_visible()
    await browsing.check(page, "projects-after-delete", "Projects")
    root = await platform.superuser()

    async def nothing_left() -> bool:
        for collection, key in (("projects", "id"), ("deployments", "project"), ("rollouts", "project")):
            listed = await root.client.get(
                f"/api/collections/{collection}/records", params={"filter": f'{key}="{project_id}"'}
            )
            assert listed.status_code == 200, listed.text
            if listed.json()["totalItems"]:
                return False
        return True

    await eventually(nothing_left, message="the project's records were not all deleted")

    await browsing.finish()
    assert len(browsing.audited) >= 15, browsing.audited


async def test_every_other_view_passes_the_audit_and_a_restarted_pod_is_replaced(
    platform: Platform, browsing: Browsing
) -> None:
    browsing.prefix = "tour-"
    carol = await browsing.context()
    page = await browsing.page(carol, "carol")
    await sign_up(page, "Carol Tour", "carol@example.com")
    project_id = await create_project(page, "Tour")
    deployment_url = await deploy_nginx(page, "tour-site")
    await wait_until_running(page)

    # Overview: restarting the pod deletes it and the cluster replaces it with a pod of another name.
    await open_deployment_page(page, "Overview")
    pods = page.locator("tr[data-pod]")
    await expect(pods).to_have_count(1, timeout=LIVE)
    old_pod = await pods.get_attribute("data-pod")
    assert old_pod
    await page.get_by_role("button", name=f"Restart pod {old_pod}").click()
    await expect(page.get_by_text(f"Pod {old_pod} is restarting: a new one replaces it.")).to_be_visible()
    await expect(page.locator(f'tr[data-pod="{old_pod}"]')).to_have_count(0, timeout=LIVE)
    replacement = page.locator("tr[data-pod]")
    await expect(replacement).to_have_count(1, timeout=LIVE)
    new_pod = await replacement.get_attribute("data-pod")
    assert new_pod
    assert new_pod != old_pod
    await expect(replacement.get_by_text("Running")).to_be_visible(timeout=LIVE)
    await browsing.check(page, "overview-restarted", "Overview")

    # Scale, plain and with autoscaling's extra fields shown.
    await open_deployment_page(page, "Scale")
    await expect(page.get_by_role("spinbutton", name="Replicas", exact=True)).to_have_value("1")
    await browsing.check(page, "scale", "Scale")
    await page.get_by_label("Autoscale on CPU load").check()
    await expect(page.get_by_label("Maximum replicas", exact=True)).to_be_visible()
    await expect(page.get_by_label("Target CPU utilization (%)", exact=True)).to_be_visible()
    await browsing.check(page, "scale-autoscale", "Scale")
    await page.get_by_role("button", name="Discard changes").click()
    await expect(page.get_by_label("Maximum replicas", exact=True)).to_have_count(0)

    # Variables and secrets: one of each saved (a new rollout); the secret's value stays masked.
    await open_deployment_page(page, "Envs & Secrets")
    await page.get_by_role("button", name="+ Add variable").click()
    await page.get_by_label("Name of variable 1", exact=True).fill("GREETING")
    await page.get_by_label("Value of variable GREETING", exact=True).fill("hello")
    await page.get_by_role("button", name="+ Add secret").click()
    await page.get_by_label("Name of secret 1", exact=True).fill("API_KEY")
    await page.get_by_label("Value of secret API_KEY", exact=True).fill("s3cret")
    await browsing.check(page, "envs", "Envs & Secrets")
    await page.get_by_role("button", name="Save & roll out").click()
    await expect(page.get_by_text("You have unsaved changes.")).to_have_count(0)
    secret_value = page.get_by_label("Value of secret API_KEY", exact=True)
    await expect(secret_value).to_have_attribute("type", "password")
    await page.get_by_role("button", name="Show value of API_KEY").click()
    await expect(secret_value).to_have_attribute("type", "text")
    await expect(secret_value).to_have_value("s3cret")

    # Rollouts: that save ended the first rollout. Hiding it takes it out of the history (its record says
    # hide=true) until "Show hidden"; shown again through the API, it reappears by itself (realtime, no reload).
    await open_deployment_page(page, "Rollouts")
    await expect(page.locator("tbody tr[data-rollout]")).to_have_count(2, timeout=LIVE)
    await expect(page.locator("tbody tr[data-running=true]")).to_have_count(1, timeout=LIVE)
    ended = page.locator("tbody tr[data-running=false]")
    ended_id = await ended.get_attribute("data-rollout")
    assert ended_id
    hidden_row = page.locator(f'tbody tr[data-rollout="{ended_id}"]')
    await ended.get_by_role("button", name=f"Hide rollout {ended_id[:7]}").click()
    await expect(page.get_by_text(f"Rollout {ended_id[:7]} hidden.")).to_be_visible()
    await expect(hidden_row).to_have_count(0)
    await expect(page.locator("tbody tr[data-rollout]")).to_have_count(1)
    token = await stored_token(page)
    async with httpx.AsyncClient(base_url=platform.url, headers={"Authorization": token}) as as_carol:
        record = await as_carol.get(f"/api/collections/rollouts/records/{ended_id}")
        assert record.status_code == 200, record.text
        assert record.json()["hide"] is True
        await page.get_by_label("Show hidden").check()
        await expect(hidden_row.get_by_text("Ended · hidden")).to_be_visible()
        await browsing.check(page, "rollouts-hidden-shown", "Rollouts")
        await page.get_by_label("Show hidden").uncheck()
        await expect(hidden_row).to_have_count(0)
        shown = await as_carol.patch(f"/api/collections/rollouts/records/{ended_id}", json={"hide": False})
        assert shown.status_code == 200, shown.text
    await expect(hidden_row.get_by_role("button", name=f"Hide rollout {ended_id[:7]}")).to_be_visible()
    await expect(page.locator("tbody tr[data-rollout]")).to_have_count(2)

    # Volumes and network, with the fields a new volume and a public interface bring.
    await open_deployment_page(page, "Volumes")
    await expect(page.get_by_text("No volumes: files the container writes are lost when it restarts.")).to_be_visible()
    await page.get_by_role("button", name="+ Add volume").click()
    await expect(page.get_by_label("Mount path", exact=True)).to_have_value("/data")
    await browsing.check(page, "volumes", "Volumes")
    await page.get_by_role("button", name="Discard changes").click()
    await open_deployment_page(page, "Network")
    await expect(page.get_by_label("Interface name", exact=True)).to_have_value("http")
    await page.get_by_label("Reachable from the internet (ingress)").check()
    await page.get_by_label("Host", exact=True).fill("tour.example.com")
    await page.get_by_label("HTTPS (TLS)").check()
    await expect(page.get_by_label("TLS secret name (optional)", exact=True)).to_be_visible()
    await browsing.check(page, "network-ingress", "Network")
    await page.get_by_role("button", name="Discard changes").click()

    # Image settings with the credentials and auto-update fields.
    await open_deployment_page(page, "Image")
    await expect(page.get_by_label("Repository", exact=True)).to_have_value("library/nginx")
    await page.get_by_label("Enabled").check()
    await expect(page.get_by_label("Check", exact=True)).to_be_visible()
    await browsing.check(page, "image-settings", "Image")

    # Deployment settings: rename, then the delete dialog (cancelled).
    await open_deployment_page(page, "Settings")
    await page.get_by_label("Deployment name", exact=True).fill("tour-site-renamed")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_test_id("deployment-name")).to_have_text("tour-site-renamed")
    await expect(page).to_have_title(re.compile(r"^Settings · tour-site-renamed · "))
    await browsing.check(page, "deployment-settings-renamed", "Settings")
    await page.get_by_role("button", name="Delete deployment…").click()
    confirm = page.get_by_role("dialog", name="Delete deployment")
    await expect(confirm.get_by_role("button", name="Delete deployment")).to_be_disabled()
    await browsing.check(page, "deployment-delete-dialog", "Settings")
    await confirm.get_by_role("button", name="Cancel").click()
    await expect(confirm).to_have_count(0)
    assert page.url == f"{deployment_url}/settings"

    # Project settings: rename.
    await page.goto(f"/app/projects/{project_id}/settings")
    await page.get_by_label("Project name", exact=True).fill("Tour renamed")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_text("Project saved.")).to_be_visible()
    await expect(page).to_have_title(re.compile(r"^Settings · Tour renamed · "))
    await browsing.check(page, "project-settings", "Settings")

    # Each blueprint tab: the community's nginx, and (for Carol) nothing of her own or shared with her yet.
    await page.goto("/app/blueprints")
    for tab, shows in (
        ("Community", 'article[data-blueprint="nginx"]'),
        ("My blueprints", "text=No blueprints here"),
        ("Shared with me", "text=No blueprints here"),
    ):
        await page.get_by_role("tab", name=re.compile(rf"^{re.escape(tab)} ")).click()
        await expect(page.get_by_role("tab", name=re.compile(rf"^{re.escape(tab)} "))).to_have_attribute(
            "aria-selected", "true"
        )
        await expect(page.get_by_role("tabpanel", name=tab).locator(shows)).to_be_visible()
        await browsing.check(page, f"blueprints-{tab.lower().replace(' ', '-')}", "Blueprints")

    # Profile, reached through the account menu; a new display name is saved.
    await page.get_by_role("button", name="Account menu").click()
    await browsing.check(page, "account-menu", "Blueprints")
    await page.get_by_role("menuitem", name="Profile").click()
    await expect(page).to_have_url(re.compile(r"/app/profile$"))
    await page.get_by_label("Display name", exact=True).fill("Carol Renamed")
    await page.get_by_role("button", name="Save profile").click()
    await expect(page.get_by_text("Profile saved.")).to_be_visible()
    await browsing.check(page, "profile", "Profile")

    # The project list follows the records: a project made through the API appears by itself (no reload).
    # Searching narrows the cards, and so does a tag.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/app/projects$"))
    cards = page.locator("a[data-project]")
    await expect(cards).to_have_count(1)
    async with httpx.AsyncClient(base_url=platform.url, headers={"Authorization": token}) as as_carol:
        notes = await as_carol.post("/api/collections/projects/records", json={"name": "Notes", "tags": "docs"})
        assert notes.status_code == 200, notes.text
    await expect(page.locator('a[data-project="Notes"]')).to_be_visible()
    await expect(cards).to_have_count(2)
    search = page.get_by_role("searchbox", name="Search projects")
    await search.fill("note")
    await expect(cards).to_have_count(1)
    await expect(page.locator('a[data-project="Notes"]')).to_be_visible()
    await search.fill("tour")
    await expect(cards).to_have_count(1)
    await expect(page.locator('a[data-project="Tour renamed"]')).to_be_visible()
    await search.fill("no such project")
    await expect(cards).to_have_count(0)
    await expect(page.get_by_text("No project matches your search.")).to_be_visible()
    await browsing.check(page, "projects-search", "Projects")
    await search.fill("")
    tags = page.get_by_role("group", name="Filter by tag")
    await tags.get_by_role("button", name="#docs").click()
    await expect(tags.get_by_role("button", name="#docs")).to_have_attribute("aria-pressed", "true")
    await expect(cards).to_have_count(1)
    await expect(page.locator('a[data-project="Notes"]')).to_be_visible()
    await tags.get_by_role("button", name="All").click()
    await expect(cards).to_have_count(2)

    # The superuser dashboard, every tab: health, users (Carol among them), all projects (hers among them).
    admin = await browsing.page(await browsing.context(), "admin")
    await sign_in_as_superuser(admin)
    await expect(admin.locator('[data-service="records"]')).to_have_attribute("data-status", "ok")
    await browsing.check(admin, "admin-health", "Dashboard")
    await admin.get_by_role("tab", name="Users").click()
    await expect(admin.get_by_role("cell", name="carol@example.com", exact=True)).to_be_visible()
    await browsing.check(admin, "admin-users", "Dashboard")
    await admin.get_by_role("tab", name="All projects").click()
    await expect(admin.get_by_role("cell", name=re.compile("^Tour renamed"))).to_be_visible()
    await browsing.check(admin, "admin-projects", "Dashboard")

    await browsing.finish()


async def login_providers(page: Page) -> list[str]:
    """The provider buttons the login page shows once the server's auth-methods answer has arrived."""
    await page.goto("/login")
    await expect(page.locator("[data-auth-methods]")).to_have_attribute("data-auth-methods", "loaded")
    return [text.strip() for text in await page.locator("button[data-provider]").all_inner_texts()]


async def test_login_shows_no_provider_buttons_without_oauth2(platform: Platform, browsing: Browsing) -> None:
    browsing.prefix = "login-default-"
    page = await browsing.page(await browsing.context(), "guest")
    assert await login_providers(page) == []
    await expect(page.get_by_role("button", name=re.compile("^Continue with"))).to_have_count(0)
    await browsing.check(page, "login", "Sign in")
    # The sign-up tab (the flow fills it in without auditing it).
    await page.get_by_role("tab", name="I am new here").click()
    await expect(page.get_by_label("Confirm password", exact=True)).to_be_visible()
    await browsing.check(page, "sign-up", "Create account")
    await browsing.finish()


async def test_login_shows_github_and_not_microsoft_when_only_github_is_configured(
    services: ServiceGroup, database: Database, browser: Browser
) -> None:
    # Only what the login page needs: auth (with GitHub's client credentials) behind the edge.
    github = {
        "ONECLICK_OAUTH2_GITHUB_CLIENT_ID": "oneclick-ui-test",
        "ONECLICK_OAUTH2_GITHUB_CLIENT_SECRET": "not-a-real-secret",
    }
    started = await start_platform(services, database, ["auth"], env={"auth": github, "edge": FRONTEND_ENV})
    try:
        async with browsing_at(browser, started.url) as browsing:
            browsing.prefix = "login-github-"
            context = await browsing.context()
            page = await browsing.page(context, "guest")
            assert await login_providers(page) == ["Continue with GitHub"]
            await expect(page.get_by_role("button", name="Continue with Microsoft")).to_have_count(0)
            await browsing.check(page, "login", "Sign in")

            # The button starts GitHub's authorization (answered here: the test has no GitHub to reach).
            authorizations: list[str] = []

            async def at_github(route: Route) -> None:
                authorizations.append(route.request.url)
                await route.fulfill(
                    status=200,
                    content_type="text/html",
                    body="<!doctype html><html lang=en><title>GitHub</title></html>",
                )

            await context.route("https://github.com/**", at_github)
            async with page.expect_popup() as opened:
                await page.get_by_role("button", name="Continue with GitHub").click()
            popup = await opened.value
            # The SDK opens the window first (so it is not blocked), then sends it to the provider.
            await popup.wait_for_url(re.compile(r"^https://github\.com/"))
            [authorization] = authorizations
            query = parse_qs(urlsplit(authorization).query)
            assert authorization.startswith("https://github.com/login/oauth/authorize?")
            assert query["client_id"] == ["oneclick-ui-test"]
            assert query["redirect_uri"] == [f"{started.url}/api/oauth2-redirect"]
            await popup.close()
            await browsing.finish()
    finally:
        await started.close()
