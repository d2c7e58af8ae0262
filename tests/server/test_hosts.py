"""The Host allow-list (DNS rebinding) and the Origin check (cross-site POSTs), at the door."""
from __future__ import annotations

import socket

import httpx
import pytest

from alphacut.errors import OptionError
from alphacut.review import ReviewStore, plan_review
from alphacut.server.hosts import HostPolicy, normalised_host, served_hosts, split_host
from alphacut.server.settings import LOOPBACK_HOSTS

from .raw_http import connect, head, read_response
from .test_api import encoded, upload, white_square


@pytest.fixture()
def server(live_server):
    with live_server(allowed_hosts=LOOPBACK_HOSTS | {"cutouts.example", "*.corp.example"}) as running:
        yield running


def post(server, host: str, origin: str | None = None, path: str = "/v1/mask") -> httpx.Response:
    headers = {"Host": host, **({"Origin": origin} if origin else {})}
    return httpx.post(server.url + path, files=upload(), headers=headers, timeout=30)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "corp.example",
                                  "localhost.", "0x7f.1", "[::1", "a b"])
def test_a_host_not_served_is_refused_421(server, host):
    if host == "localhost.":  # a trailing dot is the same name: served
        assert post(server, host).status_code == 200
        return
    answer = post(server, host)
    assert answer.status_code == 421 and answer.json()["error"] == "host_not_allowed"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST:1234", "cutouts.example",
                                  "a.corp.example", "b.a.corp.example:9"])
def test_served_hosts_are_answered(server, host):
    answer = post(server, host)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"


def test_a_rebound_name_cannot_read_anything(server, tmp_path):
    """A rebinding page (its own name pointed at 127.0.0.1) is refused on reads too, before any
    body is read: models, health, review images, the page itself."""
    for path in ("/healthz", "/v1/models", "/v1/reviews", "/v1/reviews/r/items/1/image", "/", "/static/review.js"):
        answer = httpx.get(server.url + path, headers={"Host": f"rebind.example:{server.port}"}, timeout=10)
        assert answer.status_code == 421, path
    with connect(server.port) as sock:  # refused from the head alone: the 20 MiB body is never sent
        sock.sendall(head("POST", "/v1/remove", {"Host": "rebind.example", "Content-Length": str(20 * 1024 * 1024)}))
        assert read_response(sock, timeout=5).status == 421


def test_the_removebg_drop_in_refuses_in_its_own_shape(server):
    answer = httpx.post(server.url + "/v1.0/removebg", files={"image_file": ("a.png", encoded(white_square()))},
                        headers={"Host": "evil.example"}, timeout=10)
    assert answer.status_code == 421 and answer.json()["errors"][0]["code"] == "host_not_allowed"


@pytest.mark.parametrize("origin", ["http://evil.example", "https://evil.example", "null", "file://", "http://corp.example",
                                    "http://127.0.0.1.evil.example", "chrome-extension://abc", "http://localhost:99999"])
def test_a_post_from_another_sites_page_is_refused_403(server, origin):
    answer = post(server, f"127.0.0.1:{server.port}", origin)
    assert answer.status_code == 403 and answer.json()["error"] == "origin_not_allowed"


@pytest.mark.parametrize("origin", [None, "same", "http://localhost:5173", "https://cutouts.example", "http://x.corp.example"])
def test_a_post_from_this_server_or_an_allowed_hosts_page_passes(server, origin):
    if origin == "same":
        origin = server.url
    assert post(server, f"127.0.0.1:{server.port}", origin).status_code == 200


def test_reads_with_a_foreign_origin_pass(server):
    """A cross-site GET cannot read the answer (no CORS headers are sent); only POSTs change state."""
    answer = httpx.get(server.url + "/healthz", headers={"Origin": "http://evil.example"}, timeout=10)
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


def test_a_cross_site_vote_is_refused_and_not_counted(live_server, tmp_path):
    images, x = tmp_path / "images", tmp_path / "x"
    images.mkdir(), x.mkdir()
    from PIL import Image

    Image.new("RGB", (8, 8)).save(images / "one.png")
    Image.new("RGBA", (8, 8)).save(x / "one.png")
    database = str(tmp_path / "votes.sqlite3")
    store = ReviewStore(database)
    plan = plan_review(images, [x])
    store.create("r", plan.labels, plan.items)
    with live_server(review_db=database) as running:
        item = httpx.get(f"{running.url}/v1/reviews/r/next", params={"reviewer": "ana"}).json()["item"]
        url = f"{running.url}/v1/reviews/r/items/{item['id']}/vote"
        body = {"reviewer": "mallory", "choice": item["candidates"][0]}
        assert httpx.post(url, json=body, headers={"Origin": "http://evil.example"}).status_code == 403
        assert store.votes("r") == []
        assert httpx.post(url, json=body, headers={"Origin": running.url}).status_code == 200
        assert [vote.reviewer for vote in store.votes("r")] == ["mallory"]


def test_an_address_admitted_only_by_a_wildcard_bind_is_not_an_allowed_origin():
    policy = HostPolicy(LOOPBACK_HOSTS, allow_ip=True)
    assert policy.allows_host("192.0.2.7") and policy.allows_host("2001:db8::1") and not policy.allows_host("evil.example")
    assert not policy.allows_origin("http://203.0.113.9", "192.0.2.7:8000", "http")  # any site visited by address
    assert policy.allows_origin("http://192.0.2.7:8000", "192.0.2.7:8000", "http")  # the server's own page
    assert not policy.allows_origin("http://192.0.2.7:8001", "192.0.2.7:8000", "http")  # another port there
    assert policy.allows_origin("https://localhost", None, "http")
    assert HostPolicy(frozenset({"*"})).allows_origin("http://anything.example", None, "http")


def test_served_hosts_for_a_bind_address():
    hosts, any_address = served_hosts("192.168.1.5", ["Images.Example.", "[2001:db8::1]"])
    assert hosts == LOOPBACK_HOSTS | {"192.168.1.5", "images.example", "2001:db8::1"} and not any_address
    hosts, any_address = served_hosts("0.0.0.0", [])
    assert any_address and socket.gethostname().lower() in hosts and LOOPBACK_HOSTS <= hosts
    assert served_hosts("::", [])[1] and served_hosts("127.0.0.1", [])[0] == LOOPBACK_HOSTS


@pytest.mark.parametrize("value", ["http://x.example", "x.example/path", "", "a b", "*x.example", "x.example:80"])
def test_a_bad_allowed_host_is_one_line(value):
    with pytest.raises(OptionError, match="--allowed-host"):
        normalised_host(value)


def test_split_host():
    assert split_host("Example.COM.:8080") == ("example.com", 8080)
    assert split_host("[::1]:9") == ("::1", 9) and split_host("[::1]") == ("::1", None)
    for bad in ("", ":80", "a:b", "[::1]x", "[::1"):
        assert split_host(bad) is None
