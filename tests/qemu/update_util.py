"""Helpers for the update-port tests: bundles of a chosen size, a QEMU
device with its update port on a unix socket, and the flash's update
journal read back (docs/flash-layout.md) to learn the anti-rollback floor
the device holds."""
import os
import re
import signal
import struct
import subprocess
import threading
import time
import zlib

FLASH_BASE = 0x80000000
JOURNAL = 0x80F00000 - FLASH_BASE
PAGE = 8192
COMP = {"microvisor": 1, "app": 2}


def keel(keel_path, *args):
    subprocess.run([keel_path] + list(args), check=True, stdout=subprocess.DEVNULL)


def padded_app_img(keel_path, elf, out, size, fill_seed):
    """`keel pack` of elf with its payload padded to `size` bytes of filler
    (the application never reads it: it only makes the image bigger)."""
    keel(keel_path, "pack", "--kind", "app", elf, out)
    d = bytearray(open(out, "rb").read())
    payload = d[64:]
    if size > len(payload):
        payload += bytes((i * 131 + fill_seed) & 0xFF for i in range(size - len(payload)))
        struct.pack_into("<I", d, 16, len(payload))
    open(out, "wb").write(bytes(d[:64]) + bytes(payload))


def bundle(keel_path, key, kind, version, counter, src, out, extra=()):
    more = ["--min-mv", "0.1.0"] if kind == "app" else []
    keel(keel_path, "bundle", "--kind", kind, "--version", version, "--counter",
         str(counter), *more, *extra, "--key", key, src, out)


def floors(flash_path):
    """The anti-rollback floor per component from the journal: the highest
    counter of any valid CONFIRM record in either page (the floor is never
    lowered, and a compacted page carries it in its snapshot)."""
    out = {1: 0, 2: 0}
    with open(flash_path, "rb") as f:
        f.seek(JOURNAL)
        data = f.read(2 * PAGE)
    for off in range(0, len(data), 32):
        r = data[off:off + 32]
        if r[:4] != b"JRN1" or struct.unpack_from("<I", r, 28)[0] != zlib.crc32(r[:28]):
            continue
        if r[4] == 5 and r[5] in out:  # CONFIRM
            out[r[5]] = max(out[r[5]], struct.unpack_from("<I", r, 8)[0])
    return out


class Device:
    """One QEMU run (keel run --no-install) with its update port on a unix
    socket; console lines are collected by a reader thread."""

    def __init__(self, keel_path, fw, flash, sock, timeout=60, extra=()):
        if os.path.exists(sock):
            os.unlink(sock)
        cmd = [keel_path, "run", "--fw", fw, "--flash", flash, "--no-install",
               "--update-socket", sock, "--timeout", str(timeout)] + list(extra)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
            with self.lock:
                self.lines.append(line)

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def wait_for(self, pattern, timeout, start=0):
        """Index of the first line from `start` matching pattern, or None."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            lines = self.snapshot()
            for i in range(start, len(lines)):
                if rx.search(lines[i]):
                    return i
            if self.proc.poll() is not None and not self.reader.is_alive():
                return None
            time.sleep(0.005)
        return None

    def kill(self):
        """SIGKILL: a power cut. Only this run's process group."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.reader.join(timeout=5)
        return self.snapshot()


MV_LINE = re.compile(r"^\[boot\] slot ([AB]): microvisor (\d+\.\d+\.\d+), "
                     r"security counter (\d+)(, on trial)?")
APP_LINE = re.compile(r"^\[mv\] app (\d+\.\d+\.\d+) loaded from slot ([AB]): .*"
                      r"security counter (\d+)(, first boot \(trial\))?")


def boots(lines):
    """Every image the run booted: (component, version, counter, slot, trial)."""
    out = []
    for line in lines:
        m = MV_LINE.search(line)
        if m:
            out.append(("microvisor", m.group(2), int(m.group(3)), m.group(1),
                        bool(m.group(4))))
        m = APP_LINE.search(line)
        if m:
            out.append(("app", m.group(1), int(m.group(3)), m.group(2), bool(m.group(4))))
    return out
