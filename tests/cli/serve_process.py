"""``alphacut serve`` run as a real process on a free loopback port, for the CLI's serve tests."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def serve_process(*args: str) -> Iterator[str]:
    """Start ``alphacut serve --port 0 ARGS``, yield its base URL once it listens, then stop it with
    SIGINT and require a clean exit."""
    command = [sys.executable, "-c", "from alphacut.cli.app import main; main()", "serve", "--port", "0", *args]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if "listening on" in line or not line:
                break
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
