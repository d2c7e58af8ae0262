"""The HTTP API on the tiny model: results, options, errors, limits, keys, queue and timeouts."""
from __future__ import annotations

import asyncio
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import numpy as np
import pytest
from PIL import Image

WHITE_SQUARE = (16, 12, 48, 36)  # the subject's box: white on black is what the tiny model keeps


def white_square(size: tuple[int, int] = (64, 48), box: tuple[int, int, int, int] = WHITE_SQUARE) -> Image.Image:
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), box)
    return image


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def opened(response: httpx.Response) -> Image.Image:
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def upload(image: Image.Image | None = None, name: str = "photo.png") -> dict:
    return {"file": (name, encoded(image or white_square()), "image/png")}


# -- results -------------------------------------------------------------------------------------


def test_remove_multipart_returns_the_cutout(client):
    response = client.post("/v1/remove", files=upload())
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-alphacut-model"] == "tiny"
    assert 'filename="photo.cutout.png"' in response.headers["content-disposition"]
    image = opened(response)
    assert image.mode == "RGBA" and image.size == (64, 48)
    alpha = np.asarray(image.getchannel("A"))
    left, top, right, bottom = WHITE_SQUARE
    assert alpha[top + 2:bottom - 2, left + 2:right - 2].min() > 240
    assert alpha[:top - 2].max() < 15


def test_remove_raw_body_with_query_options(client):
    response = client.post("/v1/remove?format=webp&bg=%23ff0000", content=encoded(white_square()),
                           headers={"content-type": "image/png"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/webp"
    image = opened(response)
    assert image.format == "WEBP" and image.mode == "RGB"
    assert image.getpixel((2, 2)) == (255, 0, 0)  # background replaced by red
    assert image.getpixel((30, 24)) == (255, 255, 255)  # subject kept


def test_mask_endpoint_and_mask_option_give_the_same_grey_mask(client):
    by_endpoint = client.post("/v1/mask", files=upload())
    by_option = client.post("/v1/remove", files=upload(), data={"mask": "true"})
    assert by_endpoint.status_code == by_option.status_code == 200
    assert by_endpoint.content == by_option.content
    mask = opened(by_endpoint)
    assert mask.mode == "L" and mask.size == (64, 48)


def test_crop_with_margin(client):
    response = client.post("/v1/remove", files=upload(), data={"crop": "true", "margin": "3"})
    left, top, right, bottom = WHITE_SQUARE
    assert opened(response).size == (right - left + 6, bottom - top + 6)


def test_form_fields_override_query_parameters(client):
    response = client.post("/v1/remove?format=webp", files=upload(), data={"format": "png"})
    assert response.headers["content-type"] == "image/png"


def test_background_image_upload(client):
    green = Image.new("RGB", (10, 10), (0, 200, 0))
    files = {**upload(), "bg_image": ("bg.png", encoded(green), "image/png")}
    image = opened(client.post("/v1/remove", files=files))
    assert image.mode == "RGB" and image.getpixel((1, 1)) == (0, 200, 0)


def test_brush_hints_force_keep_and_remove(client):
    strokes = np.zeros((48, 64, 4), np.uint8)
    strokes[0:8, 0:8] = (255, 0, 0, 255)  # keep a patch of background
    strokes[20:28, 24:40] = (0, 0, 255, 255)  # remove a patch of the subject
    files = {**upload(), "hints": ("hints.png", encoded(Image.fromarray(strokes, "RGBA")), "image/png")}
    alpha = np.asarray(opened(client.post("/v1/mask", files=files)))
    assert (alpha[0:8, 0:8] == 255).all() and (alpha[20:28, 24:40] == 0).all()
    plain = np.asarray(opened(client.post("/v1/mask", files=upload())))
    assert plain[0:8, 0:8].max() < 15 and plain[20:28, 24:40].min() > 240


def test_grey_trimap_hints_stay_grey(client):
    trimap = np.full((48, 64), 128, np.uint8)  # 128: no hint
    trimap[0:4, :] = 255
    files = {**upload(), "hints": ("t.png", encoded(Image.fromarray(trimap, "L")), "image/png")}
    alpha = np.asarray(opened(client.post("/v1/mask", files=files)))
    assert (alpha[0:4] == 255).all() and alpha[6:10, 0:10].max() < 15


def test_models_health_and_docs(client):
    models = client.get("/v1/models").json()
    assert models["default"] == "tiny" and models["models"][0]["input_size"] == [32, 32]
    assert "/" not in models["models"][0]["description"].removeprefix("ONNX file ")  # no server paths
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["queue"]["capacity"] == 10
    schema = client.get("/openapi.json").json()
    assert "multipart/form-data" in schema["paths"]["/v1/remove"]["post"]["requestBody"]["content"]
    assert "/v1/mask" in schema["paths"] and "/v1/models" in schema["paths"]
    docs = client.get("/docs").text
    assert "swagger-ui-bundle.js" in docs and "cdn." not in docs  # served locally, works offline
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200


def test_models_are_loaded_once_and_shared(client):
    sessions = client.app.state.sessions
    first = sessions["tiny"]
    for _ in range(3):
        assert client.post("/v1/remove", files=upload()).status_code == 200
    assert client.app.state.sessions["tiny"] is first


# -- errors and limits ---------------------------------------------------------------------------


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"} and body["detail"]
    return body["error"]


def test_declared_body_over_the_upload_limit_is_413_before_reading(make_client):
    client = make_client(max_upload_bytes=1000)
    big = encoded(Image.effect_noise((64, 64), 80).convert("RGB"))
    assert len(big) > 1000
    assert error_of(client.post("/v1/remove", content=big), 413) == "payload_too_large"
    assert error_of(client.post("/v1/remove", files={"file": ("a.png", big)}), 413) == "payload_too_large"


def test_streamed_body_over_the_upload_limit_is_413(make_client):
    client = make_client(max_upload_bytes=1000)

    def chunks():
        for _ in range(10):
            yield b"\0" * 500

    assert error_of(client.post("/v1/remove", content=chunks()), 413) == "payload_too_large"
    assert client.get("/healthz").status_code == 200  # the server is fine afterwards


def test_image_over_the_pixel_limit_is_422(make_client):
    client = make_client(max_pixels=1000)
    assert error_of(client.post("/v1/remove", files=upload()), 422) == "image_too_large"


@pytest.mark.parametrize("body", [b"", b"not an image", encoded(white_square())[:60]])
def test_unreadable_uploads_are_422(client, body):
    assert error_of(client.post("/v1/remove", content=body), 422) == "invalid_input"


@pytest.mark.parametrize("query", [
    "preset=shiny", "format=jpg", "margin=-1", "threshold=2", "bg=notacolour", "bg_fit=tile",
    "mask=perhaps", "threshold=nan", "url=http://example.com/a.png", "model=../../etc/passwd", "keep_soft=true&threshold=0.5",
])
def test_bad_options_are_422(client, query):
    assert error_of(client.post(f"/v1/remove?{query}", files=upload()), 422) == "invalid_option"


def test_bad_form_fields_are_422(client):
    assert error_of(client.post("/v1/remove", files=upload(), data={"margin": "many"}), 422) == "invalid_option"
    assert error_of(client.post("/v1/remove", files={"photo": ("a.png", b"x")}), 422) == "invalid_input"
    assert error_of(client.post("/v1/remove", data={"file": "a.png"}), 422) == "invalid_input"


def test_unknown_route_and_method_are_json(client):
    assert error_of(client.get("/v1/nothing"), 404) == "not_found"
    assert error_of(client.get("/v1/remove"), 405) == "method_not_allowed"


def test_the_server_never_fetches_urls(client):
    """Every place a URL could be smuggled in is refused, and a listening server sees no request."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "image/png")
            self.end_headers()
            self.wfile.write(encoded(white_square()))

        def log_message(self, *args):
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as bait:
        threading.Thread(target=bait.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{bait.server_address[1]}/image.png"
        attempts = [
            client.post("/v1/remove", content=url.encode(), headers={"content-type": "text/uri-list"}),
            client.post("/v1/remove", data={"file": url}),
            client.post("/v1/remove", files=upload(), data={"bg_image": url}),
            client.post("/v1/remove", files=upload(), data={"hints": url}),
            client.post(f"/v1/remove?url={url}", files=upload()),
            client.post(f"/v1/remove?model={url}", files=upload()),
            client.post(f"/v1/remove?bg={url}", files=upload()),
        ]
        bait.shutdown()
    assert [response.status_code for response in attempts] == [422] * len(attempts)
    assert hits == []


# -- API keys ------------------------------------------------------------------------------------


def test_api_keys(make_client):
    client = make_client(api_keys=frozenset({"s3cret", "other"}))
    missing = client.post("/v1/remove", files=upload())
    assert error_of(missing, 401) == "unauthorized" and missing.headers["www-authenticate"] == "Bearer"
    assert error_of(client.post("/v1/remove", files=upload(), headers={"authorization": "Bearer nope"}), 401) == "unauthorized"
    assert client.post("/v1/remove", files=upload(), headers={"authorization": "Bearer s3cret"}).status_code == 200
    assert client.post("/v1/remove", files=upload(), headers={"x-api-key": "other"}).status_code == 200
    assert error_of(client.get("/v1/models"), 401) == "unauthorized"
    assert error_of(client.get("/v1/reviews"), 401) == "unauthorized"
    assert client.get("/healthz").status_code == 200 and client.get("/").status_code == 200


# -- concurrency, queue, timeouts ----------------------------------------------------------------


def test_full_queue_gives_503_with_retry_after(make_app, gated):
    """One worker, one queue slot: the first request runs, the second waits, the third is refused."""
    app = make_app(concurrency=1, queue_size=1, sessions={"tiny": gated})
    body = encoded(white_square())

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            running = asyncio.create_task(client.post("/v1/remove", content=body))
            await asyncio.to_thread(gated.entered.acquire)  # the first request is in the model
            waiting = asyncio.create_task(client.post("/v1/remove", content=body))
            while app.state.queue.stats()["admitted"] < 2:
                await asyncio.sleep(0.01)
            refused = await client.post("/v1/remove", content=body)
            health = (await client.get("/healthz")).json()["queue"]
            gated.gate.set()
            return refused, health, await running, await waiting

    refused, health, first, second = asyncio.run(scenario())
    assert error_of(refused, 503) == "busy"
    assert int(refused.headers["retry-after"]) >= 1
    assert health["running"] == 1 and health["waiting"] == 1 and health["refused"] == 1
    assert first.status_code == second.status_code == 200
    assert app.state.queue.stats()["admitted"] == 0


def test_slow_request_times_out_with_504_and_keeps_its_slot_until_done(make_app, gated):
    app = make_app(concurrency=1, queue_size=0, timeout_s=0.2, sessions={"tiny": gated})
    body = encoded(white_square())

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            timed_out = await client.post("/v1/remove", content=body)
            busy = await client.post("/v1/remove", content=body)  # the abandoned job still holds the worker
            gated.gate.set()
            while app.state.queue.stats()["admitted"]:
                await asyncio.sleep(0.01)
            return timed_out, busy, await client.post("/v1/remove", content=body)

    timed_out, busy, after = asyncio.run(scenario())
    assert error_of(timed_out, 504) == "timeout"
    assert error_of(busy, 503) == "busy"
    assert after.status_code == 200


def test_concurrent_clients_each_get_their_own_result(live_server):
    """16 clients at once over real HTTP: every answer is the cutout of that client's image."""
    boxes = [(4 + i, 4 + (i % 5), 30 + i, 30 + (i % 7)) for i in range(16)]

    def call(index: int) -> tuple[int, np.ndarray]:
        image = white_square((64, 48), boxes[index])
        with httpx.Client(base_url=server.url, timeout=60) as http:
            response = http.post("/v1/mask", files={"file": ("a.png", encoded(image), "image/png")}, data={"preset": "raw"})
        return response.status_code, np.asarray(opened(response)) if response.status_code == 200 else None

    with live_server(concurrency=4, queue_size=16) as server:
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(call, range(16)))
    for (status, mask), (left, top, right, bottom) in zip(results, boxes):
        assert status == 200
        inside = np.zeros_like(mask, bool)
        inside[top:bottom, left:right] = True
        assert (mask[inside] > 128).mean() > 0.95 and (mask[~inside] < 128).mean() > 0.95


def test_overload_over_real_http_gives_only_200_or_503(live_server, gated):
    """More clients than slots: nothing is lost or half-answered; the surplus is told to retry
    at once, while the admitted requests are still being held."""
    with live_server(concurrency=1, queue_size=2, sessions={"tiny": gated}) as server:
        def call(_):
            with httpx.Client(base_url=server.url, timeout=60) as http:
                return http.post("/v1/remove", content=encoded(white_square()))

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(call, i) for i in range(8)]
            deadline = time.monotonic() + 20
            while sum(f.done() for f in futures) < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
            early = [f.result().status_code for f in futures if f.done()]
            gated.gate.set()
            responses = [f.result() for f in futures]
    assert early == [503] * 5
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 3 + [503] * 5
    assert all(int(r.headers["retry-after"]) >= 1 for r in responses if r.status_code == 503)
