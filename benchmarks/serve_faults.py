"""The server under hostile traffic (issue 16, item 6): many requests on loopback mixing good
images with truncated files, bombs, wrong types, oversized and slow clients, foreign hosts and
cross-site posts. Every answer must be the documented status for its kind; the server must not
crash, and its memory must stay bounded by ``concurrency + queue``.

One ``alphacut serve`` process (the small two-convolution ONNX model of ``serve_load.py`` unless
``--model`` names another, so the figures are the server's machinery, not a network; by default a queue
long enough for every client, so the mix is served rather than refused: with fewer slots than
clients most answers are 503, which is documented but measures little), fed by ``--clients``
threads drawing request kinds from a seeded mix:

=============  ======================================================  ====================
kind           what is sent                                            documented answer
=============  ======================================================  ====================
good           a JPEG or PNG photo (raw body or multipart)             200, or 503 when busy
truncated      a JPEG or PNG cut in half                               422, or 503
pixel_bomb     a small PNG whose header asks for 40000 x 40000 px      422, or 503
frame_bomb     a small GIF of 2000 x 2000 px and 400 frames            422, or 503
wrong_type     PDF, text or random bytes                               422, or 503
oversize       a head declaring a body over the upload limit (unsent)  413
slow           a head dripped slower than ``--header-timeout`` allows  dropped (closed)
foreign_host   ``Host: rebind.example`` (DNS rebinding)                421
cross_site     ``Origin: http://evil.example`` on a POST               403
=============  ======================================================  ====================

Reported: counts per kind and status, answers outside the documented set, whether the server is
still up, its RSS (``/proc/PID/status`` VmRSS) after a warm-up, at its peak (sampled every
``--sample-every`` requests) and at the end, and p50/p99 latency per kind and over all answered
requests.

Usage (the full run for BENCHMARKS.md, on an idle machine):
  .venv/bin/python benchmarks/serve_faults.py --requests 10000 --clients 16 --json bench-out/serve_faults.json
A quick check:
  .venv/bin/python benchmarks/serve_faults.py --requests 200 --clients 4
"""
from __future__ import annotations

import argparse
import io
import random
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write_json  # noqa: E402
from serve_load import Server, free_port, rss_mib, small_model, start, stop  # noqa: E402

MIX = {"good": 50, "truncated": 10, "pixel_bomb": 4, "frame_bomb": 4, "wrong_type": 8, "oversize": 8, "slow": 4,
       "foreign_host": 6, "cross_site": 6}
DOCUMENTED = {
    "good": {200, 503}, "truncated": {422, 503}, "pixel_bomb": {422, 503}, "frame_bomb": {422, 503},
    "wrong_type": {422, 503}, "oversize": {413}, "slow": {"dropped"}, "foreign_host": {421}, "cross_site": {403},
}


def photo(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A noisy background with a bright ellipse: a picture the model and refinement really work on."""
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 120, (size[1], size[0], 3), dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.ellipse((width * 0.25, height * 0.2, width * 0.75, height * 0.85), fill=(235, 220, 200))
    return image


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG head (signature, IHDR) asking for ``width`` x ``height`` grey pixels, with a
    few rows of data: the pixel limit must refuse it from the header, before any decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = zlib.compress(b"\0" * (width + 1) * 4, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def frame_bomb(side: int = 2000, frames: int = 400) -> bytes:
    """A GIF of ``frames`` frames on a ``side`` x ``side`` canvas: each frame changes one pixel,
    so the file stays small while decoding it whole would be frames x side^2 pixels."""
    base = Image.new("P", (side, side), 0)
    base.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)

    def later_frames():  # one at a time: the writer takes an iterator, so 400 canvases are never held at once
        for index in range(1, frames):
            frame = base.copy()
            frame.putpixel((index % side, 0), 1)
            yield frame

    return encoded(base, "GIF", save_all=True, append_images=later_frames(), duration=40, optimize=False)


def payloads(seed: int) -> dict[str, list[tuple[bytes, str]]]:
    photos = [photo(seed + index) for index in range(4)]
    jpegs = [encoded(image, "JPEG", quality=90) for image in photos]
    pngs = [encoded(image, "PNG") for image in photos[:2]]
    good = [(data, "image/jpeg") for data in jpegs] + [(data, "image/png") for data in pngs]
    rng = np.random.default_rng(seed)
    return {
        "good": good,
        "truncated": [(data[: len(data) // 2], kind) for data, kind in good],
        "pixel_bomb": [(png_declaring(40_000, 40_000), "image/png")],
        "frame_bomb": [(frame_bomb(), "image/gif")],
        "wrong_type": [(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n", "application/pdf"),
                       (b"just some text, not an image\n" * 20, "text/plain"),
                       (rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(), "application/octet-stream")],
    }


class Traffic:
    """The clients' shared state: the seeded sequence of kinds, and what came back."""

    def __init__(self, server: Server, kinds: list[str], bodies: dict, args):
        self.server, self.kinds, self.bodies, self.args = server, kinds, bodies, args
        self.lock = threading.Lock()
        self.next_index = 0
        self.statuses: Counter = Counter()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.samples: list[tuple[int, float]] = []

    def take(self) -> int | None:
        with self.lock:
            if self.next_index >= len(self.kinds):
                return None
            self.next_index += 1
            index = self.next_index - 1
        if index and index % self.args.sample_every == 0:
            self.samples.append((index, rss_mib(self.server.process.pid)))
        return index

    def record(self, kind: str, status: int | str, seconds: float) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1
            if status != "dropped":
                self.latencies[kind].append(seconds)

    def client(self, client_id: int) -> None:
        rng = random.Random(self.args.seed * 1000 + client_id)
        with httpx.Client(base_url=self.server.url, timeout=120) as http:
            while (index := self.take()) is not None:
                kind = self.kinds[index]
                begin = time.perf_counter()
                try:
                    status = self.send(http, kind, rng)
                except (httpx.HTTPError, OSError) as exc:
                    status = f"error:{type(exc).__name__}"
                self.record(kind, status, time.perf_counter() - begin)

    def send(self, http: httpx.Client, kind: str, rng: random.Random) -> int | str:
        port = self.server.port
        if kind == "oversize":
            return raw_status(port, b"POST /v1/remove HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                              b"Content-Length: %d\r\n\r\n" % (self.args.max_upload_mb * 1024 * 1024 + 1))
        if kind == "slow":
            return slow_head(port, self.args.header_timeout)
        body, content_type = rng.choice(self.bodies["good" if kind in ("foreign_host", "cross_site") else kind])
        headers = {"Content-Type": content_type}
        if kind == "foreign_host":
            headers["Host"] = "rebind.example"
        if kind == "cross_site":
            headers["Origin"] = "http://evil.example"
        if rng.random() < 0.5:
            return http.post("/v1/remove", content=body, headers=headers).status_code
        headers.pop("Content-Type")
        return http.post("/v1/remove", files={"file": ("upload", body, content_type)}, headers=headers).status_code


def raw_status(port: int, request_head: bytes) -> int | str:
    """Send only a request head; the status of the answer (or ``dropped`` when closed unanswered)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request_head)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return "dropped"
            data += chunk
        return int(data.split(b" ", 2)[1])


def slow_head(port: int, header_timeout: float) -> int | str:
    """A slow-loris head: a byte every quarter of the header timeout, never finished."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 10_000
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        deadline = time.monotonic() + header_timeout * 10
        for byte in request:
            if time.monotonic() > deadline:
                return "still open"
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                return "dropped"
            sock.settimeout(header_timeout / 4)
            try:
                answer = sock.recv(4096)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return "dropped"
            return "dropped" if not answer else int(answer.split(b" ", 2)[1])
    return "still open"


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(args) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="serve-faults-"))
    model = args.model or str(small_model(scratch / "small.onnx"))
    port = free_port()
    command = [sys.executable, "-c", "from alphacut.cli.app import main; main()", "serve", "--port", str(port),
               "--model", model, "--concurrency", str(args.concurrency), "--queue", str(args.queue),
               "--max-upload-mb", str(args.max_upload_mb), "--header-timeout", str(args.header_timeout),
               "--body-timeout", str(args.body_timeout), "--review-db", str(scratch / "reviews.sqlite3")]
    server = Server("alphacut", command, "/healthz", lambda http, body: http.post("/v1/remove", content=body), port=port)
    bodies = payloads(args.seed)
    rng = random.Random(args.seed)
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=args.requests)
    start(server)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            for data, _ in bodies["good"] * 2:  # warm-up: the first runs allocate the model's buffers
                http.post("/v1/remove", content=data)
        rss_before = rss_mib(server.process.pid)
        traffic = Traffic(server, kinds, bodies, args)
        began = time.perf_counter()
        threads = [threading.Thread(target=traffic.client, args=(n,)) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        alive = server.process.poll() is None
        health = httpx.get(server.url + "/healthz", timeout=10).json() if alive else None
        rss_after = rss_mib(server.process.pid) if alive else None
    finally:
        stop(server)
    undocumented = {f"{kind} -> {status}": count for (kind, status), count in traffic.statuses.items()
                    if status not in DOCUMENTED[kind]}
    answered = [value for values in traffic.latencies.values() for value in values]
    return {
        "machine": machine(),
        "settings": {name: getattr(args, name) for name in ("requests", "clients", "concurrency", "queue", "max_upload_mb",
                                                             "header_timeout", "body_timeout", "seed")},
        "model": args.model or "small two-convolution ONNX model (320 px)",
        "wall_s": round(wall, 1),
        "server_alive": alive,
        "queue_after": health["queue"] if health else None,
        "counts": {f"{kind} {status}": count for (kind, status), count in sorted(traffic.statuses.items(), key=str)},
        "undocumented": undocumented,
        "rss_mib": {"after_warmup": round(rss_before, 1), "peak": round(max([rss_before, rss_after or 0] + [v for _, v in traffic.samples]), 1),
                    "end": round(rss_after, 1) if rss_after else None},
        "latency_ms": {
            kind: {"n": len(values), "p50": round(statistics.median(values) * 1000, 1),
                   "p99": round(percentile(values, 0.99) * 1000, 1)}
            for kind, values in sorted(traffic.latencies.items())
        } | {"all answered": {"n": len(answered), "p50": round(statistics.median(answered) * 1000, 1),
                              "p99": round(percentile(answered, 0.99) * 1000, 1)}},
    }


def print_report(result: dict) -> None:
    print(f"{result['settings']['requests']} requests, {result['settings']['clients']} clients, {result['wall_s']} s; "
          f"server alive: {result['server_alive']}; {result['machine']}")
    print("\n| kind | status | count |\n|---|---|---|")
    for key, count in result["counts"].items():
        kind, status = key.split(" ", 1)
        print(f"| {kind} | {status} | {count} |")
    print(f"\nundocumented answers: {result['undocumented'] or 'none'}")
    rss = result["rss_mib"]
    print(f"RSS MiB: after warm-up {rss['after_warmup']}, peak {rss['peak']}, end {rss['end']}")
    print("\n| kind | n | p50 ms | p99 ms |\n|---|---|---|---|")
    for kind, figures in result["latency_ms"].items():
        print(f"| {kind} | {figures['n']} | {figures['p50']} | {figures['p99']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--queue", type=int, default=16, help="with --concurrency, at least --clients: ordinary traffic is admitted")
    parser.add_argument("--max-upload-mb", type=int, default=5)
    parser.add_argument("--header-timeout", type=float, default=1.0)
    parser.add_argument("--body-timeout", type=float, default=10.0)
    parser.add_argument("--model", help="a model name or ONNX file (default: the small 320 px model)")
    parser.add_argument("--sample-every", type=int, default=250, help="RSS sample every this many requests")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = run(args)
    print_report(result)
    if args.json:
        write_json(args.json, result)
    if result["undocumented"] or not result["server_alive"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
