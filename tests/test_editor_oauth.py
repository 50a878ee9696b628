"""The web editor's sign-in (inbox/oauth.py) against a fake GitHub on loopback.

The fake answers the token endpoint and the repository endpoint as GitHub
does and records what it was sent, so the tests see the secret go to GitHub
and nowhere else, the state checked, and the handshake addressed to the site.
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.testclient import TestClient
from support import GITHUB_CLIENT_ID as CLIENT_ID
from support import GITHUB_CLIENT_SECRET as CLIENT_SECRET
from support import GITHUB_CODE as CODE
from support import GITHUB_REPO as REPO
from support import GITHUB_TOKEN as TOKEN
from support import INBOX, SITE_ORIGIN, FakeGitHub, fake_github, settings

from inbox import oauth
from inbox.app import create_app

pytestmark = pytest.mark.slow  # a fake GitHub server on loopback

@pytest.fixture
def github() -> Iterator[str]:
    with fake_github() as url:
        yield url


@contextlib.contextmanager
def client_for(tmp_path: Path, **overrides: object) -> Iterator[TestClient]:
    app = create_app(settings(f"sqlite:///{tmp_path / 'inbox.sqlite3'}", None, **overrides))
    with TestClient(app, base_url=INBOX, follow_redirects=False) as client:
        yield client


@pytest.fixture
def editor(tmp_path: Path, github: str) -> Iterator[TestClient]:
    with client_for(tmp_path, github_client_id=CLIENT_ID, github_client_secret=CLIENT_SECRET, github_repo=REPO,
                    github_url=github, github_api_url=github) as client:
        yield client


def begin(client: TestClient, **query: str) -> str:
    """Start the sign-in as Decap does; the state GitHub is asked to send back."""
    response = client.get("/oauth/github/auth", params={"provider": "github", "site_id": "127.0.0.1",
                                                        "scope": "repo", **query})
    assert response.status_code == 302
    target = urllib.parse.urlsplit(response.headers["location"])
    assert target.path == "/login/oauth/authorize"
    asked = urllib.parse.parse_qs(target.query)
    assert asked["client_id"] == [CLIENT_ID] and asked["scope"] == ["repo"]
    assert asked["redirect_uri"] == [f"{INBOX}/oauth/github/callback"]
    assert oauth.STATE_COOKIE in response.cookies
    return asked["state"][0]


def handshake(response) -> tuple[str, str]:
    """The site origin the popup talks to and the message it hands over, from the popup's page."""
    node = HTMLParser(response.text).css_first("#oauth")
    return node.attributes["data-site"], node.attributes["data-message"]


def every_byte(response) -> str:
    return response.text + "".join(f"{name}: {value}" for name, value in response.headers.items())


def test_the_right_state_gets_the_token_for_the_site_only(editor: TestClient) -> None:
    state = begin(editor)
    response = editor.get("/oauth/github/callback", params={"code": CODE, "state": state})
    assert response.status_code == 200
    site, message = handshake(response)
    assert site == SITE_ORIGIN
    assert message.startswith("authorization:github:success:")
    assert json.loads(message.removeprefix("authorization:github:success:")) == {"token": TOKEN, "provider": "github"}
    # The secret went to GitHub's token endpoint, once, and the token to the repository check.
    [exchange, check] = FakeGitHub.seen
    assert exchange["body"]["client_secret"] == [CLIENT_SECRET]
    assert check == {"path": f"/repos/{REPO}", "authorization": f"Bearer {TOKEN}"}
    # The popup's one script is the handshake, allowed by its hash; postMessage names the site's origin.
    scripts = HTMLParser(response.text).css("script")
    assert [script.text() for script in scripts] == [oauth.HANDSHAKE]
    assert f"script-src {oauth.HANDSHAKE_HASH};" in response.headers["content-security-policy"]
    assert "'*'" not in oauth.HANDSHAKE and "postMessage(data.message, data.site)" in oauth.HANDSHAKE
    assert "Max-Age=0" in response.headers["set-cookie"]  # the state is used up


def test_a_state_is_used_once(editor: TestClient) -> None:
    state = begin(editor)
    assert editor.get("/oauth/github/callback", params={"code": CODE, "state": state}).status_code == 200
    again = editor.get("/oauth/github/callback", params={"code": CODE, "state": state})
    assert again.status_code == 400
    assert handshake(again)[1].startswith("authorization:github:error:")
    assert len([seen for seen in FakeGitHub.seen if seen["path"].startswith("/login")]) == 1


@pytest.mark.parametrize("wrong", ["forged", "tampered", "other_browser", "missing"])
def test_a_wrong_state_is_refused_before_github_is_asked(editor: TestClient, wrong: str) -> None:
    state = begin(editor)
    given = {"forged": "abc.123.def", "tampered": state[:-2] + ("AA" if not state.endswith("AA") else "BB"),
             "other_browser": state, "missing": ""}[wrong]
    if wrong == "other_browser":
        editor.cookies.clear()  # the state was started in another browser
    response = editor.get("/oauth/github/callback", params={"code": CODE, "state": given})
    assert response.status_code == 400
    site, message = handshake(response)
    assert site == SITE_ORIGIN
    assert json.loads(message.removeprefix("authorization:github:error:"))["message"].startswith(
        "Innloggingen kunne ikke bekreftes")
    assert FakeGitHub.seen == []
    assert TOKEN not in response.text


def test_a_state_from_another_sign_in_is_refused(editor: TestClient) -> None:
    first = begin(editor)
    begin(editor)  # a second popup: its cookie replaces the first one's
    assert editor.get("/oauth/github/callback", params={"code": CODE, "state": first}).status_code == 400


def test_an_account_without_write_access_gets_no_token(editor: TestClient) -> None:
    FakeGitHub.push = False
    response = editor.get("/oauth/github/callback", params={"code": CODE, "state": begin(editor)})
    assert response.status_code == 400
    assert TOKEN not in every_byte(response)
    assert "skrivetilgang" in json.loads(handshake(response)[1].removeprefix("authorization:github:error:"))["message"]


def test_a_bad_code_gets_no_token(editor: TestClient) -> None:
    response = editor.get("/oauth/github/callback", params={"code": "stale", "state": begin(editor)})
    assert response.status_code == 400 and TOKEN not in every_byte(response)
    assert [seen["path"] for seen in FakeGitHub.seen] == ["/login/oauth/access_token"]


def test_the_secret_is_in_no_answer_to_the_browser(editor: TestClient) -> None:
    answers = []
    start = editor.get("/oauth/github/auth", params={"provider": "github", "scope": "repo"})
    answers.append(start)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(start.headers["location"]).query)["state"][0]
    answers.append(editor.get("/oauth/github/callback", params={"code": CODE, "state": state}))
    answers.append(editor.get("/oauth/github/callback", params={"code": CODE, "state": "x"}))
    answers.append(editor.get("/oauth/github/callback", params={"error": "access_denied", "state": state}))
    FakeGitHub.push = False
    answers.append(editor.get("/oauth/github/callback", params={"code": CODE, "state": begin(editor)}))
    assert FakeGitHub.seen  # GitHub did get the secret
    for answer in answers:
        assert CLIENT_SECRET not in every_byte(answer)
        assert not re.search(r"client_secret", every_byte(answer))


def test_without_an_oauth_app_the_routes_say_so(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        for path in ("/oauth/github/auth", "/oauth/github/callback"):
            response = client.get(path)
            assert response.status_code == 404
            assert "Innlogging til editoren er ikke satt opp" in response.text
