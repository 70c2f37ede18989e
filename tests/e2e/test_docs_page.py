"""/docs in a real browser: Swagger UI, served by the app from the npm package, renders the API's
operations and runs a request, with no Content-Security-Policy violation and no request to any
host but this machine's.

Violations are caught as in test_csp_journey.py: Chromium's console message and the page's
`securitypolicyviolation` event, recorded by a script injected before the page's own. Every
request is recorded where it leaves the page (and one to another host is aborted, so the test
never waits on the closed network).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page, Request, Route, expect

from tests.e2e.conftest import LiveApp

pytestmark = pytest.mark.e2e

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile || document.location.pathname}:${event.lineNumber}`
  );
});
"""


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True  # never leaves the browser
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Watch:
    requests: list[str] = field(default_factory=list)
    csp_console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        return [url for url in self.requests if not _is_loopback(url)]


@pytest.fixture
def watch(page: Page) -> Iterator[Watch]:
    watch = Watch()

    def note_request(request: Request) -> None:
        watch.requests.append(request.url)

    def note_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            watch.csp_console.append(message.text)
        elif message.type == "error":
            watch.errors.append(message.text)

    def only_this_machine(route: Route) -> None:
        if _is_loopback(route.request.url):
            route.continue_()
        else:
            watch.requests.append(route.request.url)
            route.abort()

    page.context.add_init_script(LISTEN)
    page.context.route("**/*", only_this_machine)
    page.on("request", note_request)
    page.on("console", note_console)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    yield watch


def _operation(page: Page, path: str) -> Locator:
    return (
        page.locator(".swagger-ui .opblock")
        .filter(has=page.locator(f'.opblock-summary-path[data-path="{path}"]'))
        .first
    )


def test_swagger_ui_renders_from_this_app_alone(
    live_app: LiveApp, page: Page, watch: Watch, artifacts_dir: Path
) -> None:
    page.goto(live_app.url("/docs"))
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() > 20  # the whole API, not a stub
    expect(_operation(page, "/api/v1/auth/login")).to_be_visible()
    # Its style sheet applied (a GET's method badge is blue, not the browser's default).
    badge = page.locator(".swagger-ui .opblock-get .opblock-summary-method").first
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(97, 175, 254)"

    # Try it out: the request goes to this app (connect-src 'self') and its answer is shown.
    health = _operation(page, "/healthz")
    health.locator(".opblock-summary").click()
    health.locator(".try-out__btn").click()
    with page.expect_response(live_app.url("/healthz")) as answer:
        health.locator(".execute").click()
    assert answer.value.status == 200
    status = health.locator(".live-responses-table tr.response .response-col_status")
    expect(status).to_have_text("200")
    page.screenshot(path=artifacts_dir / "docs-swagger-ui.png")

    # More of the UI under the policy: a request body's editor, a schema, the Authorize dialog.
    login = _operation(page, "/api/v1/auth/login")
    login.locator(".opblock-summary").click()
    login.locator(".try-out__btn").click()
    expect(login.locator("textarea.body-param__text")).to_be_visible()
    page.locator(".swagger-ui section.models .json-schema-2020-12-expand-deep-button").first.click()
    page.locator(".swagger-ui .auth-wrapper .authorize").click()
    expect(page.locator(".swagger-ui .dialog-ux .modal-ux")).to_be_visible()
    page.locator(".swagger-ui .dialog-ux .close-modal").click()

    page.wait_for_load_state("load")
    violations = page.evaluate("() => window.__cspViolations.splice(0)")
    assert not violations and not watch.csp_console, (violations, watch.csp_console)
    assert not watch.errors, watch.errors
    assert watch.requests, "no request was recorded at all"
    assert not watch.outside(), f"requests that left this machine: {watch.outside()}"
    requested = {urlsplit(url).path for url in watch.requests}
    for path in (
        "/docs",
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/docs.js",
        "/openapi.json",
    ):
        assert path in requested, (path, sorted(requested))

    # The control: an inline script and a style attribute are refused, and the listener hears
    # both (so "no violation" above means something).
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__ran = true";
          document.body.append(s);
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
        }"""
    )
    assert page.evaluate("() => window.__ran === undefined"), "an inline script ran"
    page.wait_for_timeout(200)  # the violation events are queued as tasks
    heard = page.evaluate("() => window.__cspViolations.splice(0)")
    assert any(found.startswith("script-src") for found in heard), heard
    assert any(found.startswith("style-src") for found in heard), heard
