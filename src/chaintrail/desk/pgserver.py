"""A throwaway PostgreSQL server from the machine's own binaries (Debian's
``postgresql`` package), for tests, benchmarks and trying the desk in
multi-user mode:

    with TempPostgres() as pg:
        Desk.init(db=pg.url("desk"))

It runs initdb in a temporary directory and starts ``postgres`` on a free
loopback port with trust authentication. PostgreSQL refuses to run as root,
so as root the server runs as the ``postgres`` system user (which Debian's
package creates)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_bindir() -> Path | None:
    """The directory holding initdb and postgres (PATH, pg_config, then Debian's layout)."""
    for name in ("initdb", "postgres"):
        p = shutil.which(name)
        if p and shutil.which("pg_ctl"):
            return Path(os.path.realpath(p)).parent
    cfg = shutil.which("pg_config")
    if cfg:
        out = subprocess.run([cfg, "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(d) / "initdb").exists() and (Path(d) / "postgres").exists():
            return Path(d)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    """A PostgreSQL server in a temporary directory, stopped and removed on exit."""

    def __init__(self, bindir: Path | None = None, user: str = "desk"):
        self.bindir = bindir or find_bindir()
        if self.bindir is None:
            raise RuntimeError("no PostgreSQL server binaries (install Debian's postgresql package)")
        self.user = user
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="chaintrail-pg-"))
        self.data = self.dir / "data"
        self._proc: subprocess.Popen | None = None
        self._as = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            self._as = (pw.pw_uid, pw.pw_gid)
            os.chown(self.dir, *self._as)

    def _demote(self):
        if self._as:
            uid, gid = self._as

            def run():
                os.setgid(gid)
                os.setuid(uid)
            return run
        return None

    def start(self) -> TempPostgres:
        """initdb, start the server, wait until it accepts connections."""
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        subprocess.run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                        "-A", "trust", "-E", "UTF8", "--no-sync"], check=True, capture_output=True,
                       preexec_fn=self._demote(), env=env, cwd=self.dir)
        log = open(self.dir / "server.log", "wb")  # noqa: SIM115 - kept open while it runs
        self._proc = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=self._demote(), env=env, cwd=self.dir)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError("postgres exited: " + (self.dir / "server.log").read_text()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                import psycopg

                with psycopg.connect(self.url("postgres", driver=False), connect_timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
            except Exception:  # noqa: BLE001 - "the database system is starting up"
                time.sleep(0.2)
        raise RuntimeError("postgres did not start within 60 s")

    def url(self, database: str = "postgres", driver: bool = True) -> str:
        """A connection URL (SQLAlchemy's psycopg form, or plain libpq)."""
        scheme = "postgresql+psycopg" if driver else "postgresql"
        return f"{scheme}://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database; its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.url("postgres", driver=False), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
