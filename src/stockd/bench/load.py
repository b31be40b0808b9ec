"""Driving an HTTP server with wrk (Lua scripts per workload), measuring the
load generator's own CPU so it can be shown not to be the bottleneck."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WRK = shutil.which("wrk")


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    generator_cpu: float
    """Cores the load generator itself used on average."""
    extra: dict[str, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    """wrk's '923.00us', '33.73ms', '1.02s' or '2.00m', in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else 0.0


def run_wrk(
    url: str, lua: str, *, seconds: int, connections: int, threads: int = 2, timeout: int = 10
) -> Result:
    if WRK is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
        script = f.name
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run(
        [
            WRK,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            f"--timeout={timeout}s",
            "--latency",
            "-s",
            script,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(script).unlink()
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / wall
    return parse(out, cpu)


def parse(out: str, cpu: float) -> Result:
    def grab(pattern: str, default: str = "0") -> str:
        m = re.search(pattern, out)
        return m.group(1) if m else default

    requests = int(grab(r"(\d+) requests in"))
    seconds = float(grab(r"requests in ([\d.]+)s"))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    extra = {k: int(v) for k, v in re.findall(r"^stat (\w+) (\d+)$", out, re.M)}
    return Result(
        requests=requests,
        seconds=seconds,
        non_2xx=int(grab(r"Non-2xx or 3xx responses: (\d+)")),
        socket_errors=sum(int(x) for x in socket.groups()) if socket else 0,
        p50_ms=_ms(grab(r"50%\s+([\d.]+\w+)", "0ms")),
        p99_ms=_ms(grab(r"99%\s+([\d.]+\w+)", "0ms")),
        max_ms=_ms(grab(r"Latency\s+\S+\s+\S+\s+([\d.]+\w+)", "0ms")),
        generator_cpu=cpu,
        extra=extra,
    )


# -- Lua scripts -------------------------------------------------------------------

_COMMON = """
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
local threads = {{}}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(id * 7919 + os.time())
  ok, short = 0, 0
end
function response(status, headers, body)
  if status < 300 then ok = ok + 1 elseif status == 409 then short = short + 1 end
  track(status, body)
end
function track(status, body) end
function done(summary, latency, requests)
  local o, s = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); s = s + t:get("short") end
  io.write("stat ok " .. o .. "\\n")
  io.write("stat short " .. s .. "\\n")
end
"""


def flash_sale(key: str, path: str = "/v1/reservations", sku: str = "HOT") -> str:
    body = f'{{"lines":[{{"sku":"{sku}","quantity":1,"location":"W"}}]}}'
    return (
        _COMMON.format(key=key)
        + f"""
wrk.method = "POST"
wrk.path = "{path}"
wrk.body = '{body}'
"""
    )


def flash_sale_channels(key: str, sku: str, channels: tuple[str, ...]) -> str:
    """The flash sale through sales channels: each hold names one of
    `channels` at random."""
    names = ", ".join(f'"{c}"' for c in channels)
    return (
        _COMMON.format(key=key)
        + f"""
local channels = {{{names}}}
function request()
  local body = string.format(
    '{{"lines":[{{"sku":"{sku}","quantity":1,"location":"W"}}],"channel":"%s"}}',
    channels[math.random(1, #channels)])
  return wrk.format("POST", "/v1/reservations", nil, body)
end
"""
    )


def flash_sale_until(key: str, attempts_per_thread: int, sku: str) -> str:
    """Stops each thread after its share of attempts (the correctness variant)."""
    return (
        flash_sale(key, sku=sku)
        + f"""
local sent = 0
function request()
  sent = sent + 1
  if sent > {attempts_per_thread} then wrk.thread:stop() end
  return wrk.format()
end
"""
    )


def carts(key: str, path: str, skus: int, locations: int) -> str:
    """Carts of 1-3 lines over random SKUs and locations."""
    return (
        _COMMON.format(key=key)
        + f"""
lines_held = 0
function request()
  local n = math.random(1, 3)
  local parts = {{}}
  local first = math.random(0, {skus} - 3)
  for i = 1, n do
    parts[i] = string.format('{{"sku":"SKU-%06d","quantity":1,"location":"L%02d"}}',
                             first + i - 1, math.random(0, {locations} - 1))
  end
  return wrk.format("POST", "{path}", nil, '{{"lines":[' .. table.concat(parts, ",") .. ']}}')
end
"""
    )


def reads(key: str, path: str, skus: int, pause_ms: float = 0) -> str:
    """Availability reads of random SKUs; with `pause_ms`, each connection
    waits that long between a response and its next request (a paced load:
    about connections / (pause + latency) requests a second)."""
    paced = f"function delay() return {pause_ms:.3f} end\n" if pause_ms > 0 else ""
    return (
        _COMMON.format(key=key)
        + f"""
function request()
  return wrk.format("GET", string.format("{path}/SKU-%06d", math.random(0, {skus} - 1)))
end
"""
        + paced
    )


def mixed(key: str, skus: int, locations: int) -> str:
    """80% availability reads, 15% reservations, 5% commit or release of one
    of this thread's holds."""
    return (
        _COMMON.format(key=key)
        + f"""
local holds = {{}}
local orders = 0
function track(status, body)
  if status == 201 then
    local rid = body:match('"id":"(res_%x+)"')
    if rid then table.insert(holds, rid) end
  end
end
function request()
  local r = math.random(1, 100)
  if r <= 80 then
    return wrk.format("GET", string.format("/v1/availability/SKU-%06d", math.random(0, {skus} - 1)))
  elseif r <= 95 or #holds == 0 then
    local body = string.format('{{"lines":[{{"sku":"SKU-%06d","quantity":1,"location":"L%02d"}}]}}',
                               math.random(0, {skus} - 1), math.random(0, {locations} - 1))
    return wrk.format("POST", "/v1/reservations", nil, body)
  else
    local rid = table.remove(holds, 1)
    if r % 2 == 0 then
      orders = orders + 1
      local body = string.format('{{"order_id":"O-%d-%d-%d"}}', id, os.time(), orders)
      return wrk.format("POST", "/v1/reservations/" .. rid .. "/commit", nil, body)
    end
    return wrk.format("POST", "/v1/reservations/" .. rid .. "/release", nil, "")
  end
end
"""
    )
