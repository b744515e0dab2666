"""Failure paths of connect (issue 14, points 5-8), through real HTTP against the emulators and the
sandbox with its fault injection: a revoke Google does not confirm, a calendar list that cannot be
read right after the code exchange, another Google account after reconnect, another OAuth client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from functions.config import get_settings
from tests.integration.conftest import CLIENT_ID, CLIENT_SECRET, Api, ConnectFlow, SignedIn, query_of
from tests.integration.test_connect_flow import raw_documents, stored_tokens
from tests.integration.test_firestore_rules import RestClient

REVOKE = "/revoke"
CALENDAR_LIST = "calendarList"


def google_refresh(refresh_token: str, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> int:
    """Whether Google still honours the grant: the token endpoint's status for a refresh."""
    answer = requests.post(
        get_settings().oauth_token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        },
        timeout=10,
    )
    return answer.status_code


def pending_documents(firestore_db: Any, uid: str) -> dict[str, dict[str, Any]]:
    return {
        s.id: s.to_dict()
        for s in firestore_db.collection(f"users/{uid}/secrets").stream()
        if s.id.startswith("pending_revocation")
    }


def run_scheduled_job(functions_url: str) -> dict[str, Any]:
    answer = requests.post(functions_url + "renew_channels", json={}, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


def make_due(firestore_db: Any, uid: str) -> None:
    """Time passes: every pending revocation of the user is due now."""
    for doc_id in pending_documents(firestore_db, uid):
        firestore_db.document(f"users/{uid}/secrets/{doc_id}").update(
            {"next_attempt_at": datetime.now(UTC) - timedelta(seconds=1)}
        )


def link(api: Api, user: SignedIn, activity_type: str, calendar_id: str) -> requests.Response:
    return api.call("PUT", f"links/{activity_type}", user.token, {"calendar_id": calendar_id, "export": True})


# --- 5. a revoke Google does not confirm ------------------------------------------------------
def test_a_failed_revoke_keeps_the_grant_encrypted_and_the_scheduled_job_retries_until_google_confirms(
    api: Api, connected_user: SignedIn, sandbox: Any, firestore_db: Any, functions_url: str, stack: Any
) -> None:
    refresh_token = stored_tokens(firestore_db, connected_user.uid)["refresh_token"]
    sandbox.inject_fault(status=503, rate=1.0, path_contains=REVOKE)

    answer = api.call("POST", "disconnect", connected_user.token)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["connection"]["status"], body["revoked"], body["revocation_pending"]) == (
        "disconnected", False, True)
    me = api.call("GET", "me", connected_user.token).json()
    (pending,) = me["pending_revocations"]
    assert pending["google_email"] == connected_user.email
    assert pending["attempts"] == 1 and "503" in pending["last_error"]
    assert datetime.fromisoformat(pending["next_attempt_at"]) > datetime.now(UTC)
    assert google_refresh(refresh_token) == 200  # the grant is still alive at Google
    # Kept encrypted, beside (not in) the user's tokens, which are gone; no client reads it.
    assert not firestore_db.document(f"users/{connected_user.uid}/secrets/google").get().exists
    (doc_id,) = pending_documents(firestore_db, connected_user.uid)
    assert refresh_token not in raw_documents(firestore_db)
    as_user = RestClient(stack.processes["firestore"].address, stack.project_id,
                         {"sub": connected_user.uid, "user_id": connected_user.uid})
    assert as_user.get(f"users/{connected_user.uid}").status_code == 200
    assert as_user.get(f"users/{connected_user.uid}/secrets/{doc_id}").status_code == 403
    assert as_user.list(f"users/{connected_user.uid}/secrets").status_code == 403

    # The hourly job: not due yet, nothing sent to Google; no channel expires soon.
    revokes = sandbox.request_counts().get("oauth.revoke", 0)
    summary = run_scheduled_job(functions_url)
    assert summary["revocations"] == {"due": 0, "revoked": 0, "failed": 0, "dropped": 0}
    assert summary["channels"] == {"due": 0, "renewed": 0, "failed": 0, "stopped": 0}
    assert sandbox.request_counts().get("oauth.revoke", 0) == revokes

    # Due, Google still down: another attempt, later next time.
    make_due(firestore_db, connected_user.uid)
    assert run_scheduled_job(functions_url)["revocations"]["failed"] == 1
    (again,) = api.call("GET", "me", connected_user.token).json()["pending_revocations"]
    assert again["attempts"] == 2
    assert datetime.fromisoformat(again["next_attempt_at"]) > datetime.fromisoformat(pending["next_attempt_at"])

    # Due, Google back: revoked, and it is forgotten.
    sandbox.clear_faults()
    make_due(firestore_db, connected_user.uid)
    assert run_scheduled_job(functions_url)["revocations"] == {"due": 1, "revoked": 1, "failed": 0, "dropped": 0}
    assert google_refresh(refresh_token) == 400
    assert api.call("GET", "me", connected_user.token).json()["pending_revocations"] == []
    assert pending_documents(firestore_db, connected_user.uid) == {}


def test_a_grant_already_gone_at_google_counts_as_revoked(
    api: Api, connected_user: SignedIn, sandbox: Any, firestore_db: Any, functions_url: str
) -> None:
    sandbox.inject_fault(status=500, rate=1.0, path_contains=REVOKE)
    assert api.call("POST", "disconnect", connected_user.token).json()["revocation_pending"] is True
    sandbox.clear_faults()
    assert sandbox.revoke_grant(connected_user.email, CLIENT_ID) >= 1  # the user removed access at Google

    make_due(firestore_db, connected_user.uid)
    assert run_scheduled_job(functions_url)["revocations"]["revoked"] == 1
    assert api.call("GET", "me", connected_user.token).json()["pending_revocations"] == []


def test_reconnecting_the_same_account_ends_the_retries_and_another_account_does_not(
    api: Api, flow: ConnectFlow, connected_user: SignedIn, sandbox: Any, firestore_db: Any, functions_url: str
) -> None:
    # Google revokes a whole grant (account x client): revoking the old token after the user connected
    # the same account again would end the new connection too.
    sandbox.create_account("work@example.com", "Work")
    sandbox.inject_fault(status=503, rate=1.0, path_contains=REVOKE)
    assert api.call("POST", "disconnect", connected_user.token).json()["revocation_pending"] is True
    sandbox.clear_faults()

    assert query_of(flow.connect(connected_user.token, "work@example.com")) == {"connect": "success"}
    assert len(api.call("GET", "me", connected_user.token).json()["pending_revocations"]) == 1

    assert query_of(flow.connect(connected_user.token, connected_user.email)) == {"connect": "success"}
    assert api.call("GET", "me", connected_user.token).json()["pending_revocations"] == []
    assert pending_documents(firestore_db, connected_user.uid) == {}
    assert run_scheduled_job(functions_url)["revocations"]["due"] == 0
    assert api.call("POST", "calendars/refresh", connected_user.token).status_code == 200


def test_the_retries_are_bounded_per_run_most_overdue_first(
    configured: SignedIn, user: SignedIn, sandbox: Any, firestore_db: Any
) -> None:
    from functions.bootstrap import build_services, real_adapters
    from functions.core.connection_rules import revocation_id
    from functions.core.models import PendingRevocation

    services = build_services(real_adapters())
    stores = services.adapters.stores
    now = datetime.now(UTC)
    tokens = [sandbox.issue_access_token(user.email, CLIENT_ID)["refresh_token"] for _ in range(3)]
    uow = stores.unit_of_work()
    for minutes, token in zip((30, 20, 10), tokens, strict=True):
        stores.revocations.stage_pending(uow, PendingRevocation(
            revocation_id(token), user.uid, token, now, now - timedelta(minutes=minutes), google_email=user.email))
    uow.commit()

    run = services.connect.retry_revocations(limit=2)

    assert (run.due, run.revoked) == (2, 2)
    assert [google_refresh(t) for t in tokens] == [400, 400, 200]
    assert [r.refresh_token for r in stores.revocations.list_pending(user.uid)] == [tokens[2]]


# --- 6. the calendar list cannot be read right after the code exchange -------------------------
def test_a_failed_calendar_read_at_connect_is_reported_the_old_list_is_not_used_and_me_retries(
    api: Api, flow: ConnectFlow, connected_user: SignedIn, calendars_of: Any, sandbox: Any
) -> None:
    old_calendar = calendars_of(connected_user)["CRM Meetings"]
    sandbox.inject_fault(status=503, rate=1.0, path_contains=CALENDAR_LIST)

    landing = flow.connect(connected_user.token, connected_user.email)

    assert query_of(landing) == {"connect": "success"}  # the grant itself worked
    me = api.call("GET", "me", connected_user.token).json()  # retried, still failing
    assert me["connection"]["status"] == "connected"
    assert me["calendars"] == []
    assert "calendar list" in me["calendars_error"] and "503" in me["calendars_error"]
    refused = link(api, connected_user, "Meeting", old_calendar)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "unknown_calendar")
    assert "could not read your calendar list" in refused.json()["error"]["message"]
    assert api.call("GET", "links", connected_user.token).json()["links"] == []

    sandbox.clear_faults()
    me = api.call("GET", "me", connected_user.token).json()  # the page's next load reads it
    assert me["calendars_error"] is None
    assert me["connection"]["google_email"] == connected_user.email
    assert old_calendar in {c["id"] for c in me["calendars"]}
    assert link(api, connected_user, "Meeting", old_calendar).status_code == 200


def test_calendars_refresh_also_recovers_from_a_failed_read(
    api: Api, flow: ConnectFlow, connected_user: SignedIn, sandbox: Any
) -> None:
    sandbox.inject_fault(status=503, rate=1.0, path_contains=CALENDAR_LIST)
    assert query_of(flow.connect(connected_user.token, connected_user.email)) == {"connect": "success"}
    failed = api.call("POST", "calendars/refresh", connected_user.token)
    assert (failed.status_code, failed.json()["error"]["code"]) == (502, "google_unavailable")
    sandbox.clear_faults()

    answer = api.call("POST", "calendars/refresh", connected_user.token)

    assert answer.status_code == 200, answer.text
    assert {"CRM Meetings", "CRM Calls"} <= {c["summary"] for c in answer.json()["calendars"]}
    assert sandbox.request_counts().get("calendar.calendarList.list", 0) >= 1
    me = api.call("GET", "me", connected_user.token).json()
    assert (me["calendars_error"], me["connection"]["google_email"]) == (None, connected_user.email)


# --- 7. reconnecting with another Google account ----------------------------------------------
def test_links_to_the_old_accounts_calendars_are_paused_not_deleted_and_resume_with_the_right_account(
    api: Api, flow: ConnectFlow, connected_user: SignedIn, calendars_of: Any, sandbox: Any
) -> None:
    calendars = calendars_of(connected_user)
    assert link(api, connected_user, "Meeting", calendars["CRM Meetings"]).status_code == 200
    assert link(api, connected_user, "Call", calendars["CRM Calls"]).status_code == 200
    sandbox.create_account("work@example.com", "Work")
    sandbox.create_calendar("work@example.com", "Work Meetings")

    assert query_of(flow.connect(connected_user.token, "work@example.com")) == {"connect": "success"}

    me = api.call("GET", "me", connected_user.token).json()
    assert me["connection"]["google_email"] == "work@example.com"
    assert calendars["CRM Meetings"] not in {c["id"] for c in me["calendars"]}
    links = api.call("GET", "links", connected_user.token).json()["links"]
    assert [(lk["activity_type"], lk["calendar_id"], lk["paused_reason"]) for lk in links] == [
        ("Call", calendars["CRM Calls"], "calendar_missing"),
        ("Meeting", calendars["CRM Meetings"], "calendar_missing"),
    ]
    status = api.call("GET", "status", connected_user.token).json()
    assert {lk["paused_reason"] for lk in status["links"]} == {"calendar_missing"}
    refused = link(api, connected_user, "Meeting", calendars["CRM Meetings"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "unknown_calendar")

    assert query_of(flow.connect(connected_user.token, connected_user.email)) == {"connect": "success"}

    links = api.call("GET", "links", connected_user.token).json()["links"]
    assert [(lk["activity_type"], lk["paused_reason"], lk["export"]) for lk in links] == [
        ("Call", None, True), ("Meeting", None, True)]


def test_calendars_refresh_pauses_and_resumes_links(
    api: Api, connected_user: SignedIn, calendars_of: Any, firestore_db: Any
) -> None:
    calendars = calendars_of(connected_user)
    assert link(api, connected_user, "Meeting", calendars["CRM Meetings"]).status_code == 200
    assert link(api, connected_user, "Call", calendars["CRM Calls"]).status_code == 200
    # As a read made while the calendar was unshared left them: Meeting paused; and Call's calendar
    # is gone from the account since.
    links_path = f"users/{connected_user.uid}/links"
    firestore_db.document(f"{links_path}/Meeting").update({"paused_reason": "calendar_missing"})
    firestore_db.document(f"{links_path}/Call").update({"calendar_id": "gone@group.calendar.google.com"})

    assert api.call("POST", "calendars/refresh", connected_user.token).status_code == 200

    links = {lk["activity_type"]: lk for lk in api.call("GET", "links", connected_user.token).json()["links"]}
    assert links["Meeting"]["paused_reason"] is None
    assert (links["Call"]["paused_reason"], links["Call"]["calendar_id"]) == (
        "calendar_missing", "gone@group.calendar.google.com")


# --- 8. the admin switches to another OAuth client ----------------------------------------------
def test_another_oauth_client_turns_users_needs_reauth_client_changed_and_the_admin_sees_the_count(
    api: Api, flow: ConnectFlow, connected_user: SignedIn, configured: SignedIn, sandbox: Any,
    settings_body: dict[str, str], callback_url: str,
) -> None:
    new_id, new_secret = "999999999999-calbridgenew.apps.googleusercontent.com", "GOCSPX-the-new-client"
    sandbox.create_oauth_client(new_id, new_secret, [callback_url])
    saved = api.call("PUT", "admin/settings", configured.token,
                     dict(settings_body, client_id=new_id, client_secret=new_secret))
    assert saved.status_code == 200, saved.text
    assert sandbox.expire_access_tokens() >= 1  # the next call must refresh

    answer = api.call("POST", "calendars/refresh", connected_user.token)

    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["details"]["reason"]) == ("needs_reauth", "client_changed")
    connection = api.call("GET", "me", connected_user.token).json()["connection"]
    assert (connection["status"], connection["reauth_reason"]) == ("needs_reauth", "client_changed")
    assert new_id in connection["error"]
    everyone = api.call("GET", "admin/status", configured.token).json()
    assert everyone["needs_reauth"] == {"client_changed": 1}
    assert [u["connection"]["reauth_reason"] for u in everyone["users"] if u["uid"] == connected_user.uid] == [
        "client_changed"]

    assert query_of(flow.connect(connected_user.token, connected_user.email)) == {"connect": "success"}
    assert sandbox.expire_access_tokens() >= 1
    assert api.call("POST", "calendars/refresh", connected_user.token).status_code == 200
    assert api.call("GET", "admin/status", configured.token).json()["needs_reauth"] == {}


def test_a_wrong_secret_of_the_same_client_is_the_admins_matter_not_the_users(
    api: Api, connected_user: SignedIn, configured: SignedIn, sandbox: Any, firestore_db: Any
) -> None:
    from functions.core.secret_box import encrypt_secret

    wrong = encrypt_secret(get_settings().encryption_key(), "GOCSPX-rotated-away", "config/google", "client_secret")
    firestore_db.document("config/google").update({"client_secret": wrong})
    assert sandbox.expire_access_tokens() >= 1

    answer = api.call("POST", "calendars/refresh", connected_user.token)

    assert (answer.status_code, answer.json()["error"]["code"]) == (502, "client_rejected")
    assert api.call("GET", "me", connected_user.token).json()["connection"]["status"] == "connected"
    assert api.call("GET", "admin/status", configured.token).json()["needs_reauth"] == {}
