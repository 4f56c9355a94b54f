"""The web UI end to end, in Debian's headless Chromium against the whole platform started as processes.

One person who has never seen Kubernetes signs up, creates a project, deploys the nginx blueprint, watches
its pod come up on the live map, reads its logs, changes the image tag (a new rollout), rolls back, sees a
broken image reported as a failed rollout, saves the deployment as a blueprint and shares it with a second
person, who then sees it; a superuser checks the dashboard; the project is deleted. Along the way every view
is checked for a title, labelled controls and named buttons, no console error may occur, and a screenshot of
each main view is kept in ``test-artifacts/`` for review.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Response, async_playwright, expect

from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import SUPERUSER, Platform, start_platform
from oneclick_testing.services import ServiceGroup
from oneclick_testing.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "frontend" / "build"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "a long enough password"
LIVE = 60_000  # ms: the cluster is kubesim with fast timings; this bounds waiting, it is no performance claim

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(420),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (BUILD / "index.html").exists(),
                       reason="the web UI is not built (make frontend: npm ci && npm run build in frontend/)"),
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
    shots: int = 0

    async def context(self, **options: Any) -> BrowserContext:
        context = await self.browser.new_context(base_url=self.base, viewport={"width": 1280, "height": 900},
                                                 **options)
        context.set_default_timeout(20_000)
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
        self.shots += 1
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"{self.shots:02d}-{name}.png"), full_page=True)


@pytest.fixture
async def platform(services: ServiceGroup, database: Database) -> AsyncIterator[Platform]:
    started = await start_platform(services, database, ["auth", "records", "k8s-executor", "streaming", "updater"],
                                   env={"edge": {"ONECLICK_FRONTEND_DIR": str(BUILD)}})
    yield started
    await started.close()


@pytest.fixture
async def browsing(platform: Platform) -> AsyncIterator[Browsing]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        browsing = Browsing(browser, platform.url)
        try:
            yield browsing
        finally:
            await browser.close()
            # Shown with a failure: what the browser asked for that the platform refused.
            print("failed requests:", *browsing.failed_requests, sep="\n  ")
            print("console errors:", *browsing.console_errors, sep="\n  ")


async def sign_up(page: Page, name: str, email: str) -> None:
    await page.goto("/login")
    await page.get_by_role("tab", name="I am new here").click()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirm password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Create account", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/app/projects$"))


async def stored_token(page: Page) -> str:
    stored = await page.evaluate("localStorage.getItem('pocketbase_auth')")
    token: str = json.loads(stored)["token"]
    return token


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
        platform: Platform, browsing: Browsing) -> None:
    alice = await browsing.context(permissions=["clipboard-read", "clipboard-write"])
    page = await browsing.page(alice, "alice")

    # Sign up and land on an empty project list.
    await page.goto("/login")
    await browsing.check(page, "login", "Sign in")
    await sign_up(page, "Alice Newcomer", "alice@example.com")
    await expect(page.get_by_text("No projects yet")).to_be_visible()
    await browsing.check(page, "projects-empty", "Projects")

    # A project, with a tag.
    await page.get_by_role("button", name="+ New project").click()
    dialog = page.get_by_role("dialog", name="New project")
    await dialog.get_by_label("Project name", exact=True).fill("Shop")
    await dialog.get_by_label("Tags", exact=True).fill("web")
    await dialog.get_by_label("Tags", exact=True).press("Enter")
    await browsing.check(page, "project-create", "Projects")
    await dialog.get_by_role("button", name="Create project").click()
    await expect(page).to_have_url(re.compile(r"/app/projects/[a-z0-9]{15}$"))
    project_id = page.url.rsplit("/", 1)[1]
    await expect(page.get_by_text("Nothing deployed yet")).to_be_visible()
    await browsing.check(page, "project", "Shop")

    # Deploy the community nginx blueprint.
    await page.get_by_role("link", name="+ New deployment").click()
    await page.get_by_role("radio", name="Blueprint nginx").check()
    await page.get_by_label("Deployment name", exact=True).fill("website")
    await browsing.check(page, "new-deployment", "New deployment")
    await page.get_by_role("button", name="Deploy nginx").click()
    await expect(page).to_have_url(re.compile(r"/deployments/[a-z0-9]{15}/map$"))
    deployment_url = page.url.removesuffix("/map")

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

    # Alice sees whom it is shared with, and can stop sharing with Bob.
    await page.reload()
    await expect(card.get_by_text("Bob Second")).to_be_visible()
    await card.get_by_role("button", name="Stop sharing with Bob Second").click()
    await expect(card.get_by_text("Bob Second")).to_have_count(0)
    await bob.reload()
    await expect(bob.get_by_text("No blueprints here")).to_be_visible()

    # The superuser dashboard reports every service and lists Alice's project.
    admin_context = await browsing.context()
    admin = await browsing.page(admin_context, "admin")
    await admin.goto("/_/")
    await browsing.check(admin, "admin-login", "Superuser sign in")
    await admin.get_by_label("Email", exact=True).fill(SUPERUSER[0])
    await admin.get_by_label("Password", exact=True).fill(SUPERUSER[1])
    await admin.get_by_role("button", name="Sign in").click()
    for service in ("edge", "auth", "records", "k8s-executor", "streaming", "updater"):
        await expect(admin.locator(f'[data-service="{service}"]')).to_have_attribute("data-status", "ok")
    await browsing.check(admin, "admin-health", "Dashboard")
    await admin.get_by_role("tab", name="All projects").click()
    await expect(admin.get_by_role("cell", name=re.compile("^Shop"))).to_be_visible()

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
            listed = await root.client.get(f"/api/collections/{collection}/records",
                                           params={"filter": f'{key}="{project_id}"'})
            assert listed.status_code == 200, listed.text
            if listed.json()["totalItems"]:
                return False
        return True

    await eventually(nothing_left, message="the project's records were not all deleted")

    for context in (alice, bob_context, admin_context):
        await context.close()
    assert browsing.console_errors == [], "\n".join(["console errors:", *browsing.console_errors,
                                                     "failed requests:", *browsing.failed_requests])
    assert len(browsing.audited) >= 15, browsing.audited
