"""Every URL the project resolves, asked by every persona, with real objects in its arguments.

The URL list is read from the resolver (nested includes and every namespace, libraries' too),
so a page added later fails `test_every_url_is_classified` until someone says in
`matrix_routes.ROUTES` who may use it. For each classified case the matrix then proves that
the entitled personas get a normal answer (the page showing the object, or the redirect an
action leads to, the action having taken effect) and that every other persona is turned away
(404, sign-in, a page of their own, or the service's refusal) with nothing changed and none of
the object's MARKER text in the response. Whatever the URL, no response ever carries the
markers of a request the persona may not see (`Scenario.secrets`).
"""

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .matrix_routes import ALIASES, KINDS, ROUTES, Answer, Case
from .matrix_scenario import PERSONAS, SSO_PROVIDERS, Scenario, scenario_build

# --- the resolver, walked ---------------------------------------------------------------------


def resolved_urls() -> dict[str, tuple[str, tuple[str, ...], object]]:
    """Every URL pattern the project resolves: full name -> (route, argument names, view).

    An unnamed pattern is reported under "<unnamed> route", a second pattern under a name
    already taken under "<duplicate> …", so neither can slip through.
    """
    found: dict[str, tuple[str, tuple[str, ...], object]] = {}

    def walk(patterns, prefix: str, namespace: str, outer: tuple[str, ...]) -> None:
        for item in patterns:
            route = prefix + str(item.pattern)
            # Arguments captured by an including pattern are the URL's too (allauth's OpenID
            # Connect URLs take their provider in the include's regex).
            args = (*outer, *item.pattern.regex.groupindex)
            if isinstance(item, URLResolver):
                inner = namespace
                if item.namespace:
                    inner = f"{namespace}:{item.namespace}" if namespace else item.namespace
                walk(item.url_patterns, route, inner, args)
            elif isinstance(item, URLPattern):
                if item.name:
                    key = f"{namespace}:{item.name}" if namespace else item.name
                else:
                    key = f"<unnamed> {route}"
                if key in found:
                    # Two patterns under one name: reverse() reaches only one of them.
                    key = f"<duplicate> {key} at {route}"
                found[key] = (route, args, item.callback)

    walk(get_resolver().url_patterns, "", "", ())
    return found


def _namespace(key: str) -> str:
    return key.rsplit(":", 1)[0] if ":" in key else ""


def classification_problems(urls) -> list[str]:
    """What is wrong between the URLs resolved and the table: one line per problem."""
    known_namespaces = {_namespace(key) for key in (*ROUTES, *ALIASES)}
    problems = []
    for key, (route, args, view) in sorted(urls.items()):
        if key.startswith(("<unnamed>", "<duplicate>")):
            problems.append(f"{key}: give the URL pattern a name of its own, then classify it")
            continue
        if key in ALIASES:
            same = urls.get(ALIASES[key])
            if same is None or (same[0], same[2]) != (route, view):
                problems.append(
                    f"{key!r} is not the same view at the same path as {ALIASES[key]!r}"
                )
            continue
        namespace = _namespace(key)
        if key not in ROUTES:
            what = (
                f"namespace {namespace!r} is new to the access matrix; its URL {key!r}"
                if namespace not in known_namespaces
                else f"URL {key!r}"
            )
            problems.append(
                f"{what} (/{route}, arguments {list(args)}) is not classified: add it to "
                "ROUTES in helpline/core/tests/matrix_routes.py with how to fill its arguments, "
                "who may use it and what everyone else gets"
            )
            continue
        if not any(a.allowed for case in ROUTES[key] for a in case.answers.values()):
            problems.append(
                f"{key}: no case lets anyone in; prove first that the URL works for someone"
            )
        for case in ROUTES[key]:
            if set(case.args) != set(args):
                problems.append(f"{key}: the case fills {sorted(case.args)}, the URL takes {args}")
            unknown = {k for k in (*case.args.values(), *case.about) if k not in KINDS}
            if unknown:
                problems.append(f"{key}: unknown argument kinds {sorted(unknown)}")
            if set(case.answers) != set(PERSONAS):
                problems.append(f"{key}: answers missing for {set(PERSONAS) - set(case.answers)}")
            if not case.answers or case.method not in ("GET", "POST"):
                problems.append(f"{key}: method {case.method!r}")
    problems.extend(
        f"{key!r} is classified but no longer resolves: remove it from ROUTES"
        for key in sorted((set(ROUTES) | set(ALIASES)) - set(urls))
    )
    return problems


def test_every_url_is_classified():
    problems = classification_problems(resolved_urls())
    assert not problems, "\n".join(problems)


def test_an_unknown_url_or_namespace_fails_the_matrix():
    urls = resolved_urls()
    view = urls["desk:ticket"][2]
    urls["desk:secret_export"] = ("desk/export/<int:pk>/", ("pk",), view)
    urls["mfa:totp_add"] = ("accounts/2fa/totp/add/", (), view)
    urls["<unnamed> desk/raw/"] = ("desk/raw/", (), view)
    del urls["manage:events"]
    problems = "\n".join(classification_problems(urls))
    assert "URL 'desk:secret_export' (/desk/export/<int:pk>/, arguments ['pk'])" in problems
    assert "namespace 'mfa' is new to the access matrix; its URL 'mfa:totp_add'" in problems
    assert "<unnamed> desk/raw/: give the URL pattern a name" in problems
    assert "'manage:events' is classified but no longer resolves" in problems


def test_the_walk_reaches_nested_and_library_urls():
    urls = resolved_urls()
    assert "set_language" in urls  # django.conf.urls.i18n, outside any namespace
    assert urls["desk:unlink"][1] == ("pk", "other")
    # An argument captured by the include around the URL (allauth's OpenID Connect provider).
    assert urls["openid_connect_login"][1] == ("provider_id",)
    assert urls["mfa_remove_webauthn"][1] == ("pk",)
    assert len(urls) >= 60


# --- the matrix -------------------------------------------------------------------------------


@pytest.fixture
def scenario(db, settings) -> Scenario:
    settings.SOCIALACCOUNT_PROVIDERS = SSO_PROVIDERS
    return scenario_build()


@transaction.atomic
def _in_savepoint(work):
    result = work()
    transaction.set_rollback(True)
    return result


def _content(response) -> bytes:
    if getattr(response, "streaming", False):
        # Reading it to the end closes it (the test client's wrapper does, without letting
        # request_finished close the database connection inside the test's transaction).
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return body + b"\n" + headers.encode()


def _markers(kinds, scenario: Scenario, which: str) -> tuple[str, ...]:
    return tuple(m for k in kinds for m in getattr(KINDS[k], which)(scenario))


def _check(
    answer: Answer,
    response,
    blob: bytes,
    *,
    scenario: Scenario,
    persona: str,
    case: Case,
    method: str,
) -> list[str]:
    problems = []
    kinds = [*case.args.values(), *case.about]
    shown = _markers(kinds, scenario, "shown")
    secret = _markers(case.about if answer.sees_args else kinds, scenario, "markers")
    if response.status_code != answer.status:
        problems.append(f"answered {response.status_code}, expected {answer.status}")
    expected_to = answer.target(scenario)
    if expected_to and response.status_code == 302:
        location = response["Location"]
        if not location.startswith(expected_to):
            problems.append(f"went to {location}, expected {expected_to}")
    if answer.allowed and answer.shows and method == "GET":
        missing = [m for m in shown if m.encode() not in blob]
        if missing:
            problems.append(f"the page does not show {missing}")
    if not answer.allowed:
        leaked = [m for m in secret if m.encode() in blob]
        if leaked:
            problems.append(f"the response carries {leaked}")
    leaked = sorted(m for m in scenario.secrets[persona] if m.encode() in blob)
    if leaked:
        problems.append(f"the response carries markers of a request they may not see: {leaked}")
    if case.effect is not None and method == case.method == "POST":
        happened = case.effect(scenario, persona)
        if answer.allowed and answer.changes and not happened:
            problems.append("the action did not take effect")
        if not answer.allowed and happened:
            problems.append("the action took effect although it was refused")
        if answer.allowed and not answer.changes and happened:
            problems.append("the action took effect from an older page")
    return problems


def _probes(case: Case, answers) -> Iterator[tuple[str, Answer, str]]:
    """Entitled personas first, then the others; a form page's refusals are POSTed too."""
    ordered = sorted(answers.items(), key=lambda item: not item[1].allowed)
    for persona, answer in ordered:
        yield persona, answer, case.method
        if case.also_post and not answer.allowed:
            yield persona, answer, "POST"


def _run_case(scenario: Scenario, key: str, case: Case) -> list[str]:
    failures: list[str] = []

    def run() -> None:
        if case.setup:
            case.setup(scenario)
        kwargs = {arg: KINDS[kind].value(scenario) for arg, kind in case.args.items()}
        query = case.query(scenario) if callable(case.query) else case.query
        url = reverse(key, kwargs=kwargs) + query
        assert any(a.allowed for a in case.answers.values()) or case.args, (
            f"{key}: a case nobody may use must at least name the object nobody may reach"
        )
        for persona, answer, method in _probes(case, case.answers):

            def probe(persona=persona, answer=answer, method=method) -> list[str]:
                client = scenario.client(persona)
                # Made for each probe, as a page shows each person a form of their own (a
                # fresh one-time key, the version as it is now).
                data = case.data(scenario) if case.data else {}
                if method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, data)
                blob = _content(response)
                return _check(
                    answer,
                    response,
                    blob,
                    scenario=scenario,
                    persona=persona,
                    case=case,
                    method=method,
                )

            try:
                problems = _in_savepoint(probe)
            except Exception as exc:  # noqa: BLE001 - a crash is one more wrong cell
                problems = [f"raised {exc!r}"]
            label = f" [{case.label}]" if case.label else ""
            failures.extend(f"{method} {url} ({key}{label}) as {persona}: {p}" for p in problems)

    _in_savepoint(run)
    return failures


NAMESPACES = sorted({_namespace(key) or "(none)" for key in ROUTES})


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_access_matrix(scenario, namespace):
    failures = []
    for key, cases in ROUTES.items():
        if (_namespace(key) or "(none)") != namespace:
            continue
        for case in cases:
            failures += _run_case(scenario, key, case)
    assert not failures, f"{len(failures)} cells of the access matrix are wrong:\n" + "\n".join(
        failures
    )
