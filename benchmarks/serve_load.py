"""HTTP load on loopback: ``alphacut serve`` vs ``rembg s`` with the same ISNet weights.

The servers run one at a time on 127.0.0.1, each fed the same JPEG images (ECSSD, resized to a
fixed long side). For each server:
  1. warm-up requests (rembg builds its session on the first request);
  2. bounded request loops at 1, 4 and 16 concurrent clients: a fixed number of requests shared
     by the clients, each client with its own keep-alive connection; requests/s over the loop's
     wall time, p50/p95 latency, and any non-200 answers;
  3. an RSS soak: the server's resident memory (``/proc/PID/status`` VmRSS) before, every
     ``--sample-every`` requests, and after ``--soak`` requests at 4 clients.

alphacut runs with its defaults (``--runtime auto``, ``preset=auto`` refinement) except a queue
long enough for 16 clients (``--queue 16``), so 503s do not flatter its throughput; rembg runs
``rembg s --no-ui`` with ``model=dis_custom`` and ``extras={"model_path": ...}`` (the published
npm ISNet, assembled by benchmarks/common.py).

``--endpoints`` picks which alphacut endpoints are loaded, each in a fresh ``alphacut serve``:
``native`` (``POST /v1/remove``), ``removebg`` (the remove.bg drop-in ``POST /v1.0/removebg`` with
``image_file``, ``size=full`` so no preview downscale, ``format=png``) and ``rembg-api`` (the rembg
drop-in ``POST /api/remove`` with ``model=isnet-general-use``); rembg's ``/api/remove`` is the
baseline each is compared with.

Usage:
  .venv/bin/python benchmarks/serve_load.py --data ../shared/data/ecssd_200 --images 8 --side 400 \
      --clients 1,4,16 --requests 8,16,32 --soak 1000 --rembg-soak 200 --rembg /opt/rembg-venv/bin/rembg
  the drop-in vs rembg, no soaks:
  .venv/bin/python benchmarks/serve_load.py --data ../shared/data/ecssd_200 --images 8 --side 400 \
      --clients 1,4,16 --requests 8,16,32 --endpoints removebg,rembg-api --soak 0 --rembg-soak 0 \
      --rembg /tmp/rembg-venv/bin/rembg --json bench-out/serve_load_compat.json
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, published_isnet, write_json  # noqa: E402


@dataclass
class Server:
    name: str
    command: list[str]
    ready_path: str
    send: Callable[[httpx.Client, bytes], httpx.Response]
    process: subprocess.Popen | None = None
    port: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def start(server: Server, timeout: float = 300) -> None:
    server.process = subprocess.Popen(server.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                      start_new_session=True)
    threading.Thread(target=lambda: server.log.extend(server.process.stderr), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited: {''.join(server.log)[-2000:]}")
        try:
            if httpx.get(server.url + server.ready_path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{server.name} did not start in {timeout} s")


def stop(server: Server) -> None:
    if server.process and server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def run_loop(server: Server, images: list[bytes], clients: int, requests: int, on_done=None) -> dict:
    """``requests`` requests shared by ``clients`` threads; latency per request, rate over wall time."""
    counter = iter(range(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=600) as http:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                begin = time.perf_counter()
                try:
                    status = server.send(http, images[index % len(images)]).status_code
                except httpx.HTTPError:
                    status = 0
                elapsed = time.perf_counter() - begin
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        latencies.append(elapsed)
                    done = sum(statuses.values())
                if on_done:
                    on_done(done)

    begin = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    wall = time.perf_counter() - begin
    ok = statuses.get(200, 0)
    return {
        "clients": clients, "requests": requests, "ok": ok, "statuses": statuses, "wall_s": wall,
        "req_per_s": ok / wall,
        "p50_s": float(np.percentile(latencies, 50)) if latencies else None,
        "p95_s": float(np.percentile(latencies, 95)) if latencies else None,
    }


def soak(server: Server, images: list[bytes], requests: int, every: int) -> dict:
    pid = server.process.pid
    samples = [(0, rss_mib(pid))]

    def sample(done: int) -> None:
        if done % every == 0:
            samples.append((done, rss_mib(pid)))

    result = run_loop(server, images, 4, requests, on_done=sample)
    time.sleep(1.0)
    after = rss_mib(pid)
    before = samples[0][1]
    # growth after the first `every` requests: allocator pools and caches fill in the first ones
    settled = samples[1][1] if len(samples) > 1 else before
    return {
        "requests": requests, "ok": result["ok"], "statuses": result["statuses"], "rss_before_mib": before,
        "rss_after_mib": after, "growth_mib": after - before, "growth_after_first_mib": after - settled,
        "peak_mib": max(value for _, value in samples + [(requests, after)]), "samples": samples,
    }


def small_model(path: Path, side: int = 320) -> Path:
    """A two-convolution salient-style ONNX model at ``side`` px (fixed random weights): cheap
    enough to push a thousand requests through the whole server path (upload, decode, model run,
    refinement, encode) and see whether the server's own memory grows."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = [
        numpy_helper.from_array((rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32), "w1"),
        numpy_helper.from_array((rng.standard_normal((1, 8, 3, 3)) * 0.3).astype(np.float32), "w2"),
    ]
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w1"], ["c1"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["c1"], ["r1"]),
            helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
            helper.make_node("Sigmoid", ["c2"], ["output"]),
        ],
        "small_salient",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, side, side])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def machinery_soak(args, images: list[bytes]) -> dict:
    port = free_port()
    model = small_model(args.scratch / "small.onnx")
    server = Server(
        "alphacut (small model)",
        [sys.executable, "-c", "from alphacut.cli.app import main; main()", "serve", "--port", str(port), "--model", str(model),
         "--queue", "16", "--review-db", str(args.scratch / "reviews.sqlite3")],
        "/healthz",
        lambda http, body: http.post("/v1/remove", files={"file": ("image.jpg", body, "image/jpeg")}),
        port=port,
    )
    start(server)
    try:
        started = rss_mib(server.process.pid)
        run_loop(server, images, 1, args.warmup)
        result = soak(server, images, args.machinery_soak, args.sample_every)
        result["rss_started_mib"] = started
        return result
    finally:
        stop(server)


def prepare_images(data: Path, count: int, side: int) -> list[bytes]:
    paths = sorted((data / "images").glob("*.jpg"))[:count]
    encoded = []
    for path in paths:
        image = Image.open(path).convert("RGB")
        scale = side / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=92)
        encoded.append(buffer.getvalue())
    return encoded


#: alphacut's endpoints by ``--endpoints`` name: the server's name in the results and how one image is sent.
ENDPOINTS: dict[str, tuple[str, Callable[[httpx.Client, bytes], httpx.Response]]] = {
    "native": ("alphacut", lambda http, body: http.post("/v1/remove", files={"file": ("image.jpg", body, "image/jpeg")})),
    "removebg": ("alphacut /v1.0/removebg", lambda http, body: http.post(
        "/v1.0/removebg", files={"image_file": ("image.jpg", body, "image/jpeg")}, data={"size": "full", "format": "png"})),
    "rembg-api": ("alphacut /api/remove", lambda http, body: http.post(
        "/api/remove", files={"file": ("image.jpg", body, "image/jpeg")}, data={"model": "isnet-general-use"})),
}


def servers(args) -> list[Server]:
    rembg_port = free_port()
    alphacuts = []
    for endpoint in args.endpoints.split(","):
        if endpoint not in ENDPOINTS:
            raise SystemExit(f"--endpoints: unknown {endpoint!r}; use {', '.join(ENDPOINTS)}")
        name, send = ENDPOINTS[endpoint]
        port = free_port()
        alphacuts.append(Server(
            name,
            [sys.executable, "-c", "from alphacut.cli.app import main; main()", "serve", "--port", str(port),
             "--queue", "16", "--review-db", str(args.scratch / "reviews.sqlite3")],
            "/healthz", send, port=port,
        ))
    extras = json.dumps({"model_path": str(published_isnet())})
    rembg = Server(
        "rembg",
        [args.rembg, "s", "--host", "127.0.0.1", "--port", str(rembg_port), "--log_level", "warning", "--no-ui"],
        "/api",
        lambda http, body: http.post("/api/remove", files={"file": ("image.jpg", body, "image/jpeg")},
                                     data={"model": "dis_custom"}, params={"extras": extras}),
        port=rembg_port,
    )
    return [*alphacuts, rembg]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--side", type=int, default=400, help="long side the images are resized to")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--requests", default="8,16,32", help="requests per loop, one per --clients value")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--soak", type=int, default=1000, help="requests in alphacut's RSS soak")
    parser.add_argument("--rembg-soak", type=int, default=200, help="requests in rembg's RSS soak")
    parser.add_argument("--sample-every", type=int, default=100)
    parser.add_argument("--machinery-soak", type=int, default=0,
                        help="also soak alphacut serve with a small generated model for this many requests")
    parser.add_argument("--rembg", default="rembg")
    parser.add_argument("--endpoints", default="native",
                        help=f"alphacut endpoints to load, comma separated: {', '.join(ENDPOINTS)}")
    parser.add_argument("--only", choices=["alphacut", "rembg", "none"], default=None,
                        help="alphacut: only the --endpoints servers; rembg: only rembg")
    parser.add_argument("--json", type=Path, default=Path("bench-out/serve_load.json"))
    args = parser.parse_args()
    args.scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"serve-load-{os.getpid()}"
    args.scratch.mkdir(parents=True, exist_ok=True)

    images = prepare_images(args.data, args.images, args.side)
    levels = list(zip((int(c) for c in args.clients.split(",")), (int(r) for r in args.requests.split(","))))
    results: dict = {"machine": machine(), "images": len(images), "side": args.side, "servers": {}}
    if args.machinery_soak:
        print(f"== alphacut, small model, {args.machinery_soak} requests", file=sys.stderr, flush=True)
        results["machinery"] = machinery_soak(args, images)
        write_json(args.json, results)
    for server in servers(args):
        is_rembg = server.name == "rembg"
        if args.only == "none" or (args.only == "alphacut" and is_rembg) or (args.only == "rembg" and not is_rembg):
            continue
        print(f"== {server.name}", file=sys.stderr, flush=True)
        start(server)
        try:
            rss_started = rss_mib(server.process.pid)
            run_loop(server, images, 1, args.warmup)
            entry = {"rss_started_mib": rss_started, "rss_warm_mib": rss_mib(server.process.pid), "loops": []}
            for clients, requests in levels:
                loop = run_loop(server, images, clients, requests)
                print(f"   {clients} clients: {loop['req_per_s']:.3f} req/s, p50 {loop['p50_s']:.2f} s, "
                      f"p95 {loop['p95_s']:.2f} s, {loop['statuses']}", file=sys.stderr, flush=True)
                entry["loops"].append(loop)
            count = args.rembg_soak if server.name == "rembg" else args.soak
            if count:
                entry["soak"] = soak(server, images, count, args.sample_every)
                print(f"   soak {count}: RSS {entry['soak']['rss_before_mib']:.0f} -> {entry['soak']['rss_after_mib']:.0f} MiB",
                      file=sys.stderr, flush=True)
            results["servers"][server.name] = entry
        finally:
            stop(server)
        write_json(args.json, results)
    print_tables(results)


def print_tables(results: dict) -> None:
    print(f"\n{results['machine']}; {results['images']} ECSSD images, long side {results['side']} px\n")
    print("| server | clients | requests | req/s | p50 s | p95 s | non-200 |")
    print("|---|---|---|---|---|---|---|")
    for name, entry in results["servers"].items():
        for loop in entry.get("loops", []):
            failed = {k: v for k, v in loop["statuses"].items() if int(k) != 200}
            print(f"| {name} | {loop['clients']} | {loop['requests']} | {loop['req_per_s']:.3f} | {loop['p50_s']:.2f} | "
                  f"{loop['p95_s']:.2f} | {failed or 0} |")
    if "rembg" in results["servers"]:
        print("\n| alphacut endpoint | clients | req/s vs rembg /api/remove | p50 ratio (rembg / alphacut) |")
        print("|---|---|---|---|")
        theirs_loops = results["servers"]["rembg"]["loops"]
        for name, entry in results["servers"].items():
            if name == "rembg":
                continue
            for ours, theirs in zip(entry["loops"], theirs_loops):
                if ours["p50_s"] and theirs["p50_s"]:
                    print(f"| {name} | {ours['clients']} | {ours['req_per_s'] / theirs['req_per_s']:.2f}x | "
                          f"{theirs['p50_s'] / ours['p50_s']:.2f}x |")
    print("\n| server | RSS at start MiB | warm MiB | soak requests | before MiB | after MiB | growth MiB | growth after first 100 MiB | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, entry in results["servers"].items():
        s = entry.get("soak")
        if s:
            print(f"| {name} | {entry['rss_started_mib']:.0f} | {entry['rss_warm_mib']:.0f} | {s['requests']} ({s['ok']} ok) | "
                  f"{s['rss_before_mib']:.0f} | {s['rss_after_mib']:.0f} | {s['growth_mib']:+.0f} | "
                  f"{s['growth_after_first_mib']:+.0f} | {s['peak_mib']:.0f} |")
    m = results.get("machinery")
    if m:
        print(f"| alphacut, small 320 px model | {m['rss_started_mib']:.0f} | | {m['requests']} ({m['ok']} ok) | "
              f"{m['rss_before_mib']:.0f} | {m['rss_after_mib']:.0f} | {m['growth_mib']:+.0f} | "
              f"{m['growth_after_first_mib']:+.0f} | {m['peak_mib']:.0f} |")
        print("\nRSS every {} requests (small model): {}".format(
            m["samples"][1][0] - m["samples"][0][0] if len(m["samples"]) > 1 else 0,
            " ".join(f"{value:.0f}" for _, value in m["samples"])))


if __name__ == "__main__":
    main()
