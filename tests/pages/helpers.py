"""Driving the HTML pages as a browser would: log in through the form, read a page's form
controls, post them back with the CSRF token from the cookie."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx

from app.core.cookies import CSRF_COOKIE, CSRF_FORM_FIELD
from tests.conftest import PASSWORD
from tests.lms.helpers import MATCH_PAIRS, ORDER_ITEMS

FormData = list[tuple[str, str]]


async def browser_login(client: httpx.AsyncClient, email: str) -> None:
    """The login form, as a person fills it in (no API headers on the client afterwards)."""
    page = await client.get("/auth/login")
    assert page.status_code == 200
    response = await client.post(
        "/auth/login",
        data={"email": email, "password": PASSWORD, CSRF_FORM_FIELD: client.cookies[CSRF_COOKIE]},
    )
    assert response.status_code == 303, response.text


async def api(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    """A JSON API call from a browser session (scripts send the CSRF token in a header)."""
    headers = {"x-csrf-token": client.cookies[CSRF_COOKIE]}
    response = await client.request(method, url, headers=headers, **kwargs)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def post_form(
    client: httpx.AsyncClient, url: str, data: FormData, **kwargs: Any
) -> httpx.Response:
    """A form post: the token travels in the hidden field, taken from the cookie."""
    fields = [(name, value) for name, value in data if name != CSRF_FORM_FIELD]
    fields.append((CSRF_FORM_FIELD, client.cookies[CSRF_COOKIE]))
    headers = {"content-type": "application/x-www-form-urlencoded", **kwargs.pop("headers", {})}
    return await client.post(url, content=urlencode(fields), headers=headers, **kwargs)


@dataclass
class Control:
    tag: str
    name: str
    type: str = "text"
    value: str = ""
    checked: bool = False
    disabled: bool = False
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # value, text, selected
    label: str = ""


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[Control] = []
        self._select: Control | None = None
        self._option: list[Any] | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name") or ""
        if tag == "input":
            self.controls.append(
                Control(
                    "input",
                    name,
                    type=attributes.get("type") or "text",
                    value=attributes.get("value") or "",
                    checked="checked" in attributes,
                    label=attributes.get("aria-label") or "",
                )
            )
        elif tag == "select":
            self._select = Control("select", name)
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [attributes.get("value") or "", "", "selected" in attributes]
        elif tag == "textarea":
            self._textarea = Control("textarea", name, type="textarea")
            self.controls.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] += data
        elif self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            self._select.options.append((self._option[0], self._option[1].strip(), self._option[2]))
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def controls(html: str) -> list[Control]:
    parser = _Controls()
    parser.feed(html)
    return parser.controls


def named(html: str, prefix: str) -> list[Control]:
    return [control for control in controls(html) if control.name.startswith(prefix)]


def option_value(html: str, name: str, text: str) -> str:
    """The value of the option showing `text` in the select called `name`."""
    for control in controls(html):
        if control.name == name:
            return next(value for value, shown, _ in control.options if shown == text)
    raise AssertionError(f"no select {name}")


def form_values(html: str) -> FormData:
    """What the page's form sends as it stands (checked boxes, selected options, texts)."""
    data: FormData = []
    for control in controls(html):
        if not control.name:
            continue
        if control.tag == "select":
            chosen = [value for value, _, selected in control.options if selected]
            data.append((control.name, chosen[0] if chosen else control.options[0][0]))
        elif control.type in ("radio", "checkbox"):
            if control.checked:
                data.append((control.name, control.value or "on"))
        else:
            data.append((control.name, control.value))
    return data


def answer_fields(html: str) -> FormData:
    """The player form's own fields as they stand (answers and the attempt number)."""
    return [
        (name, value)
        for name, value in form_values(html)
        if name.startswith("answer.") or name == "attempt_no"
    ]


async def lesson_for_student(
    people: Any, make_client: Any, lesson: dict[str, Any], **assignment: Any
) -> tuple[httpx.AsyncClient, httpx.AsyncClient, int]:
    """A teacher's lesson assigned to one student; both signed in through the login form.

    Returns the teacher's browser, the student's browser and the assignment id."""
    teacher = await people.teacher()
    student = await people.student(teacher)
    teacher_browser, student_browser = make_client(), make_client()
    await browser_login(teacher_browser, teacher.email)
    await browser_login(student_browser, student.email)
    created = await api(teacher_browser, "POST", "/api/v1/lessons", json=lesson)
    assigned = await api(
        teacher_browser,
        "POST",
        "/api/v1/assignments",
        json={"lesson_id": created["id"], "student_ids": [student.id], **assignment},
    )
    return teacher_browser, student_browser, assigned["assignment_ids"][0]


def every_answer(html: str) -> list[tuple[str, str]]:
    """A full set of answers, typed into the page's own inputs."""
    data = [(name, value) for name, value in answer_fields(html) if name == "attempt_no"]
    data += [
        ("answer.sc", "o4"),
        ("answer.mc", "m2"),
        ("answer.mc", "m5"),
        ("answer.tf", "false"),
        ("answer.sa", "Paris"),
        ("answer.num", "3,5"),
    ]
    for pair_id, _, right in MATCH_PAIRS[:3]:
        name = f"answer.mat.{pair_id}"
        data.append((name, option_value(html, name, right)))
    # The items are shown shuffled; the student types each one's place.
    for position, (item_id, _) in enumerate(reversed(ORDER_ITEMS), start=1):
        data.append((f"answer.ord.{item_id}", str(position)))
    data += [("answer.fb.g1", "am"), ("answer.fb.g2", " "), ("answer.es", "My day")]
    return data
