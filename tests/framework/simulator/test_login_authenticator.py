"""login and logout as CloudStack 4.20's authenticators answer them, and the session rules that follow."""
from __future__ import annotations

import pytest
import requests

SESSION_TEXT = "unable to verify user credentials"
SIG_TEXT = "unable to verify user credentials and/or request signature"


def post_login(sim, http=None, **form) -> requests.Response:
    http = http or requests.Session()
    return http.post(sim.endpoint, data={"command": "login", "response": "json", **form}, timeout=10)


def session_get(sim, http, key, **params) -> requests.Response:
    return http.get(sim.endpoint, params={"response": "json", **params, "sessionkey": key}, timeout=10)


@pytest.fixture(scope="module")
def team(admin) -> dict:
    domain = admin.ok("createDomain", name="Team")["domain"]
    account = admin.ok("createAccount", method="POST", username="tina", password="pw-tina", email="t@x.org",
                       firstname="T", lastname="N", accounttype=0, domainid=domain["id"],
                       timezone="Asia/Kolkata")["account"]
    return {"domain": domain, "user": account["user"][0]}


def test_login_by_get_is_405_plain_text(sim):
    reply = requests.get(sim.endpoint, params={"command": "login", "username": "admin", "password": "password",
                                               "response": "json"}, timeout=10)
    assert reply.status_code == 405
    assert reply.text == "Please use HTTP POST to authenticate using this API"
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"   # follows response=json
    assert "Set-Cookie" not in reply.headers


def test_login_in_any_letter_case_of_the_command(sim):
    reply = requests.post(sim.endpoint, data={"command": "LOGIN", "username": "admin", "password": "password",
                                              "response": "json"}, timeout=10)
    assert reply.status_code == 200 and reply.json()["loginresponse"]["username"] == "admin"


def test_login_answer_carries_the_2fa_fields_and_sets_java_cookies(sim, admin):
    reply = post_login(sim, username="admin", password="password")
    assert reply.status_code == 200
    inner = reply.json()["loginresponse"]
    admin_user = admin.ok("listUsers", username="admin")["user"][0]
    root = admin.ok("listDomains", name="ROOT")["domain"][0]
    assert inner == {"username": "admin", "userid": admin_user["id"], "domainid": root["id"], "timeout": 1800,
                     "account": "admin", "firstname": "Admin", "lastname": "User", "type": "1",
                     "registered": "false", "sessionkey": inner["sessionkey"], "is2faenabled": "false",
                     "is2faverified": "true", "issuerfor2fa": "CloudStack"}
    cookies = reply.raw.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    jsession = next(c for c in cookies if c.startswith("JSESSIONID="))
    assert jsession.endswith(";Path=/client")
    assert f"sessionkey={inner['sessionkey']};HttpOnly;SameSite=Lax" in cookies


def test_login_of_a_user_with_a_time_zone_has_its_offset(sim, team):
    reply = post_login(sim, username="tina", password="pw-tina", domain="Team")
    inner = reply.json()["loginresponse"]
    assert inner["timezone"] == "Asia/Kolkata" and inner["timezoneoffset"] == "5.5" and inner["type"] == "0"


def test_login_reads_only_exact_parameter_names(sim):
    # USERNAME is not username: the authenticator has no user name at all and Java prints its null message.
    reply = post_login(sim, USERNAME="admin", password="password")
    assert reply.status_code == 531 and reply.text == "null"
    # PASSWORD is not password: a missing password is a failed authentication, not a 431.
    reply = post_login(sim, username="admin", PASSWORD="password")
    assert (reply.status_code, reply.json()) == (531, {"loginresponse": {
        "uuidList": [], "errorcode": 531,
        "errortext": "Failed to authenticate user admin in domain 1; please provide valid credentials"}})
    # DOMAIN is not domain: the user of a sub-domain is looked for in ROOT.
    assert post_login(sim, username="tina", password="pw-tina", DOMAIN="/Team/").status_code == 531


def test_login_by_domain_path_and_by_domain_id(sim, admin, team):
    assert post_login(sim, username="tina", password="pw-tina", domain="/Team/").status_code == 200
    assert post_login(sim, username="tina", password="pw-tina", domain="Team").status_code == 200
    assert post_login(sim, username="tina", password="pw-tina", domainid=team["domain"]["id"].upper()).status_code == 200
    assert post_login(sim, username="tina", password="pw-tina", domainId=team["domain"]["id"]).status_code == 200
    assert post_login(sim, username="admin", password="password", domainId="1").status_code == 200   # internal id


def test_login_errors_have_java_texts_and_no_cserrorcode(sim):
    reply = post_login(sim, username="admin", password="password", domain="/nope/")
    assert (reply.status_code, reply.json()) == (531, {"loginresponse": {
        "uuidList": [], "errorcode": 531, "errortext": "Unable to find the domain from the path /nope/"}})
    reply = post_login(sim, username="admin", password="password", domainid="not-a-domain")
    assert (reply.status_code, reply.json()) == (401, {"loginresponse": {
        "uuidList": [], "errorcode": 401, "errortext": "Invalid domain id entered, please enter a valid one"}})
    reply = post_login(sim, username="admin", password="wrong")
    assert (reply.status_code, reply.json()) == (531, {"loginresponse": {
        "uuidList": [], "errorcode": 531,
        "errortext": "Failed to authenticate user admin in domain 1; please provide valid credentials"}})


def test_login_skips_parameter_processing(sim):
    # An over-long or control-character value is no 431 for login: only the authenticator reads it.
    reply = post_login(sim, username="admin", password="password", bogus="x\x01" * 300)
    assert reply.status_code == 200


def test_session_calls_need_the_key_in_cookie_and_parameter(sim):
    http = requests.Session()
    key = post_login(sim, http, username="admin", password="password").json()["loginresponse"]["sessionkey"]
    assert session_get(sim, http, key, command="listZones").status_code == 200
    # parameter without the cookie: refused, and the session is invalidated
    http.cookies.set("sessionkey", None)
    reply = session_get(sim, http, key, command="listZones")
    assert (reply.status_code, reply.json()) == (401, {"listzonesresponse": {
        "uuidList": [], "errorcode": 401, "errortext": SESSION_TEXT}})
    http.cookies.set("sessionkey", key)
    assert session_get(sim, http, key, command="listZones").status_code == 401


def test_cookie_without_the_parameter_is_refused(sim):
    http = requests.Session()
    post_login(sim, http, username="admin", password="password")
    reply = http.get(sim.endpoint, params={"command": "listZones", "response": "json"}, timeout=10)
    assert (reply.status_code, reply.json()) == (401, {"listzonesresponse": {
        "uuidList": [], "errorcode": 401, "errortext": SESSION_TEXT}})


def test_a_mismatched_sessionkey_invalidates_the_session(sim):
    http = requests.Session()
    key = post_login(sim, http, username="admin", password="password").json()["loginresponse"]["sessionkey"]
    reply = session_get(sim, http, key + "x", command="listZones")
    assert (reply.status_code, reply.json()) == (401, {"listzonesresponse": {
        "uuidList": [], "errorcode": 401, "errortext": SESSION_TEXT}})
    # the right key no longer works: no session, so the request falls to the API-key path
    reply = session_get(sim, http, key, command="listZones")
    assert (reply.status_code, reply.json()) == (401, {"listzonesresponse": {
        "uuidList": [], "errorcode": 401, "errortext": SIG_TEXT}})


def test_a_new_login_replaces_the_old_session(sim):
    http = requests.Session()
    first = post_login(sim, http, username="admin", password="password").json()["loginresponse"]["sessionkey"]
    old_session = http.cookies.get("JSESSIONID")
    second = post_login(sim, http, username="admin", password="password").json()["loginresponse"]["sessionkey"]
    assert first != second and http.cookies.get("JSESSIONID") != old_session
    stale = requests.Session()
    stale.cookies.set("JSESSIONID", old_session)
    stale.cookies.set("sessionkey", first)
    assert session_get(sim, stale, first, command="listZones").status_code == 401


def test_logout_expires_the_cookies_and_without_a_session_is_431(sim):
    http = requests.Session()
    key = post_login(sim, http, username="admin", password="password").json()["loginresponse"]["sessionkey"]
    reply = session_get(sim, http, key, command="logout")
    assert (reply.status_code, reply.json()) == (200, {"logoutresponse": {"description": "success"}})
    expired = reply.raw.headers.getlist("Set-Cookie")
    assert sorted(c.split("=")[0] for c in expired) == ["JSESSIONID", "sessionkey"]
    assert all("Max-Age=0" in c for c in expired)
    reply = requests.get(sim.endpoint, params={"command": "logout", "response": "json"}, timeout=10)
    assert (reply.status_code, reply.json()) == (431, {"logoutresponse": {
        "uuidList": [], "errorcode": 431, "cserrorcode": 9999, "errortext": "Session not found for the logout process."}})
