"""Benchmark plumbing: timing repeated runs, peak RSS of child processes,
medians, machine facts, and the results file every benchmark adds to."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "bench" / "corpus"

# Runs a command and prints its own children's peak RSS (KiB) on the last line of stderr.
_RSS_WRAPPER = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "sys.stderr.write('\\nPEAK_RSS_KB=%d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "sys.exit(r.returncode)"
)


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    stdout: str


def run_measured(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> Run:
    """Run a command in a fresh process; wall time and its peak resident memory."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, *cmd], capture_output=True, text=True,
                       env={**os.environ, **(env or {})}, cwd=cwd)
    dt = time.perf_counter() - t0
    rss = 0.0
    for line in p.stderr.splitlines():
        if line.startswith("PEAK_RSS_KB="):
            rss = int(line.split("=", 1)[1]) / 1024
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return Run(dt, rss, p.stdout)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def machine() -> dict:
    import psutil

    return {
        "cpus": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=ROOT).stdout.strip() or None
    except OSError:
        return None


@dataclass
class Results:
    """The results file: one entry per benchmark, merged into what is there already."""

    path: Path
    data: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Results:
        data = json.loads(path.read_text()) if path.exists() else {}
        data.setdefault("benchmarks", {})
        return cls(path, data)

    def put(self, name: str, entry: dict) -> None:
        entry = {**entry, "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "commit": git_commit()}
        self.data["benchmarks"][name] = entry
        self.data["machine"] = machine()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=1, sort_keys=True) + "\n")
