import pytest
from flask import Response

from functions.web.api_routes import ROUTES
from functions.web.errors import ApiError
from functions.web.router import PUBLIC, Route, Router


def ok(request, identity, **params):  # noqa: ANN001, ANN201
    return Response(repr(params))


ROUTER = Router([Route("GET", "/links", ok, PUBLIC), Route("PUT", "/links/{activity_type}", ok, PUBLIC),
                 Route("DELETE", "/links/{activity_type}", ok, PUBLIC)])


def test_path_parameters_and_trailing_slashes() -> None:
    route, params = ROUTER.match("PUT", "/links/Meeting/")
    assert (route.method, params) == ("PUT", {"activity_type": "Meeting"})
    assert ROUTER.match("GET", "/links")[1] == {}


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nope", 404), ("GET", "/links/a/b", 404),
                                                         ("POST", "/links/Meeting", 405), ("POST", "/links", 405)])
def test_unmatched_requests(method: str, path: str, status: int) -> None:
    with pytest.raises(ApiError) as caught:
        ROUTER.match(method, path)
    assert caught.value.status == status


def test_every_api_route_needs_a_signed_in_user_and_admin_paths_an_admin() -> None:
    for route in ROUTES:
        assert route.access == ("admin" if route.path.startswith("/admin/") else "user"), route.path
    assert len({(r.method, r.path) for r in ROUTES}) == len(ROUTES)


def test_activity_types_with_slashes_reach_the_link_routes() -> None:
    router = Router(ROUTES)
    route, params = router.match("PUT", "/links/Google/events")
    assert (route.path, params) == ("/links/{activity_type}", {"activity_type": "Google/events"})
    assert router.match("DELETE", "/links/Réunion")[1] == {"activity_type": "Réunion"}


@pytest.mark.parametrize("path", ["/links\n", "/links/Meeting\n/x"])
def test_a_newline_never_matches_a_fixed_route(path: str) -> None:
    with pytest.raises(ApiError) as caught:
        Router([Route("GET", "/links", ok, PUBLIC)]).match("GET", path)
    assert caught.value.status == 404
