"""cloudtest: what the keel-cloud tests share. Real components only: the
instance is made by `keel-cloud init`, the broker is Debian's mosquitto
started by cloud/scripts/keel-broker, PostgreSQL is a throwaway cluster from
Debian's binaries, devices are keel-devsim. Everything listens on loopback
ports picked free at start; every process started here is stopped here, by
its own pid."""
import atexit
import csv
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROKER = os.path.join(ROOT, "cloud", "scripts", "keel-broker")
PGBIN = "/usr/lib/postgresql/15/bin"


_failed = []
_tmpdirs = []


def fail(msg):
    print("FAIL " + msg, flush=True)
    _failed.append(msg)
    sys.exit(1)


def _cleanup():
    """Temp dirs go when the run passed; a failed run keeps them (paths in
    the output) for a look, as does KEEL_KEEP_TMP=1."""
    if _failed or os.environ.get("KEEL_KEEP_TMP"):
        for d in _tmpdirs:
            print(f"kept {d}", flush=True)
        return
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


def _excepthook(kind, value, tb):
    _failed.append(kind.__name__)
    sys.__excepthook__(kind, value, tb)


atexit.register(_cleanup)
sys.excepthook = _excepthook


def ok(msg):
    print("ok   " + msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc=None, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if proc and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Postgres:
    """A throwaway cluster: initdb into a temp dir, unix socket there, trust
    auth; run as the postgres user when we are root (initdb refuses root)."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "pg")
        os.makedirs(self.dir)
        self.port = free_port()
        self.as_user = []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(tmp, 0o755)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.dir, "data")
        self.run(os.path.join(PGBIN, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--no-locale")
        self.run(os.path.join(PGBIN, "pg_ctl"), "-D", data, "-l", os.path.join(self.dir, "log"),
                 "-w", "-o", f"-k {self.dir} -p {self.port} -c listen_addresses='' "
                 "-c fsync=off -c max_connections=200", "start")
        self.data = data
        self.url = f"postgresql:///postgres?host={self.dir}&port={self.port}&user=postgres"

    def run(self, *args):
        p = subprocess.run(self.as_user + list(args), capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"{' '.join(args)}: {p.stdout}{p.stderr}")

    def sql(self, q, *flags):
        p = subprocess.run(["psql", "-At", *flags, "-h", self.dir, "-p", str(self.port), "-U",
                            "postgres", "-c", q], capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"psql {q}: {p.stderr}")
        return p.stdout

    def stop(self):
        subprocess.run(self.as_user + [os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m",
                                       "immediate", "stop"], capture_output=True)


class Instance:
    """keel-cloud init DIR, the broker from DIR/mosquitto.conf, and any
    number of keel-cloud serve processes on it. With pg (a Postgres) the
    instance's database is that cluster."""

    def __init__(self, cloud_bin, tmp, database=None, broker=True, pg=None):
        self.bin = cloud_bin
        self.pg = pg
        database = database or (pg.url if pg else None)
        self.dir = os.path.join(tmp, "instance")
        # mqtt_port: the broker's listener for devices; cloud_port: the one
        # for keel-cloud (only the services CA, free client ids)
        self.mqtt_port = free_port() if broker else 0
        self.cloud_port = free_port() if broker else 0
        self.http_port = free_port()
        env = dict(os.environ)
        if database:
            env["KEEL_CLOUD_DATABASE"] = database
        p = subprocess.run([cloud_bin, "init", self.dir, "--device-port", str(self.mqtt_port),
                            "--mqtt-port", str(self.cloud_port), "--http-port",
                            str(self.http_port)], capture_output=True, text=True, env=env)
        if p.returncode != 0:
            fail(f"keel-cloud init: {p.stderr}")
        self.token = p.stdout.strip().splitlines()[-1]
        if not self.token.startswith("keel_") or len(self.token) != 69:
            fail(f"keel-cloud init printed no token: {p.stdout}")
        self.database = database or f"sqlite:{self.dir}/keel.db"
        self.procs = []
        self.broker = False
        if broker:
            self.start_broker()

    def start_broker(self):
        p = subprocess.run([BROKER, "start", self.dir], capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"keel-broker start: {p.stderr}")
        self.broker = True

    def stop_broker(self):
        subprocess.run([BROKER, "stop", self.dir], capture_output=True)
        self.broker = False

    def serve(self, http_port=None, instance="1", extra_env=None):
        env = dict(os.environ, **(extra_env or {}))
        env["KEEL_CLOUD_DATABASE"] = self.database
        env["KEEL_CLOUD_INSTANCE"] = instance
        port = http_port or self.http_port
        env["KEEL_CLOUD_HTTP_PORT"] = str(port)
        log = open(os.path.join(self.dir, f"cloud-{instance}.log"), "a")
        p = subprocess.Popen([self.bin, "serve", self.dir], stdout=log, stderr=log, env=env)
        if not wait_port(port, p):
            fail(f"keel-cloud serve did not listen on {port}: "
                 + open(os.path.join(self.dir, f"cloud-{instance}.log")).read()[-2000:])
        self.procs.append(p)
        return p

    def rows(self, q):
        """The rows of q, read straight from the instance's database (SQLite's
        file, or the cluster through psql), every cell as text, NULL as "":
        what a test checks the store against."""
        if self.pg:
            return [tuple(r) for r in csv.reader(io.StringIO(self.pg.sql(q, "--csv")))]
        c = sqlite3.connect(os.path.join(self.dir, "keel.db"))
        try:
            return [tuple("" if x is None else str(x) for x in r) for r in c.execute(q)]
        finally:
            c.close()

    def device_certs(self, devsim, prefix, count):
        """keel-devsim certs from the fleet CA: PREFIX0.pem/.key .. for count
        devices; their ids, in that order."""
        p = subprocess.run([devsim, "certs", "--ca", os.path.join(self.dir, "ca.pem"),
                            "--ca-key", os.path.join(self.dir, "ca.key"), "--out", prefix,
                            "--count", str(count)], capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"keel-devsim certs: {p.stdout}{p.stderr}")
        ids = p.stdout.split()
        if len(ids) != count:
            fail(f"keel-devsim certs printed {len(ids)} ids for {count} devices")
        return ids

    def kill9(self, p):
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.procs.remove(p)

    def stop(self):
        """SIGTERM: keel-cloud must stop cleanly, exit 0 (under ASan that
        also means no leak report)."""
        bad = []
        for p in list(self.procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p.returncode != 0:
                bad.append(p.returncode)
        self.procs = []
        if self.broker:
            self.stop_broker()
        if bad:
            logs = "".join(open(os.path.join(self.dir, f)).read()[-3000:]
                           for f in os.listdir(self.dir) if f.startswith("cloud-"))
            fail(f"keel-cloud exited {bad} on SIGTERM\n{logs}")


def http(port, method, path, body=None, token=None, raw=None, headers=None, timeout=30):
    """(status, parsed JSON or None, raw bytes)"""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, out = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, out = e.code, e.read()
    try:
        parsed = json.loads(out) if out else None
    except ValueError:
        parsed = None
    return status, parsed, out


def tempdir(name):
    d = tempfile.mkdtemp(prefix=f"keel-{name}-")
    _tmpdirs.append(d)
    return d
