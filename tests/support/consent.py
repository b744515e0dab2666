"""The sandbox's consent page driven as a browser would: choose the account, allow or deny."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit


class ConsentForm(HTMLParser):
    """The sandbox consent page's form: action, hidden fields, account choices."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: dict[str, str] = {}
        self.accounts: list[str] = []
        self.decisions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "radio" and a.get("name") == "account":
            self.accounts.append(a.get("value", ""))
        elif tag == "button" and a.get("name") == "decision":
            self.decisions.append(a.get("value", ""))


def consent(http: Any, authorize_url: str, email: str, decision: str = "allow") -> str:
    """Answer the consent page with ``http`` (requests or a requests.Session); the redirect back."""
    page = http.get(authorize_url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text
    form = ConsentForm()
    form.feed(page.text)
    assert email in form.accounts and decision in form.decisions, (form.accounts, form.decisions)
    data = dict(form.hidden, account=email, decision=decision)
    answer = http.post(urljoin(authorize_url, form.action or ""), data=data, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
