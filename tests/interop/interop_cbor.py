#!/usr/bin/env python3
"""lib/cbor against python3-cbor2: every value cbor2 encodes canonically,
lib/cbor accepts and re-encodes byte for byte; every non-canonical or
unsupported encoding of the same values, lib/cbor rejects."""
import random
import struct
import subprocess
import sys

import cbor2

EDGES = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1]


def rand_int(r):
    v = r.choice(EDGES + [r.getrandbits(r.randint(1, 64))])
    v = min(v, 2**64 - 1)
    # lib/cbor reads negative integers into int64_t: below -2**63 it says
    # CBOR_ERANGE, which Keel's formats never need
    return v if r.random() < 0.5 else -1 - min(v, 2**63 - 1)


def rand_value(r, depth=0):
    kinds = ["int", "bytes", "text", "bool", "none"]
    if depth < 4:
        kinds += ["list", "map", "tag"]
    k = r.choice(kinds)
    if k == "int":
        return rand_int(r)
    if k == "bytes":
        return r.randbytes(r.choice([0, 1, 23, 24, 100, 300]))
    if k == "text":
        return "".join(r.choice("keel\u00e9\u6f22") for _ in range(r.randint(0, 30)))
    if k == "bool":
        return r.random() < 0.5
    if k == "none":
        return None
    if k == "list":
        return [rand_value(r, depth + 1) for _ in range(r.randint(0, 5))]
    if k == "map":
        return {r.randint(0, 100000): rand_value(r, depth + 1) for _ in range(r.randint(0, 5))}
    return cbor2.CBORTag(r.choice([18, 24, 61, 1000]), rand_value(r, depth + 1))


def run(tool, items):
    data = b"".join(struct.pack("<I", len(x)) + x for x in items)
    out = subprocess.run([tool], input=data, capture_output=True, check=True).stdout
    results, i = [], 0
    for _ in items:
        status = out[i]
        i += 1
        if status == 0:
            (n,) = struct.unpack_from("<I", out, i)
            results.append((0, out[i + 4:i + 4 + n]))
            i += 4 + n
        else:
            results.append((-status, None))
    return results


def main():
    tool = sys.argv[1]
    r = random.Random(1)
    good = [cbor2.dumps(rand_value(r), canonical=True) for _ in range(3000)]
    failures = 0
    for enc, (status, back) in zip(good, run(tool, good)):
        if status != 0 or back != enc:
            print(f"canonical item rejected or changed: {enc.hex()} -> {status}", file=sys.stderr)
            failures += 1
    bad = [
        bytes.fromhex("1817"),                # 23 in a 1-byte argument
        bytes.fromhex("190001"),
        bytes.fromhex("1a0000ffff"),
        bytes.fromhex("3b00000000ffffffff"),
        bytes.fromhex("5f4101ff"),            # indefinite byte string
        bytes.fromhex("9fff"),                # indefinite array
        bytes.fromhex("bf01 02ff".replace(" ", "")),
        cbor2.dumps(1.5),                     # floats are not in Keel's formats
        cbor2.dumps(cbor2.undefined),
        bytes.fromhex("f820"),
        bytes.fromhex("82010203"),            # trailing byte after an item
        bytes.fromhex("83 01 02".replace(" ", "")),  # truncated
    ]
    for enc, (status, _) in zip(bad, run(tool, bad)):
        if status == 0:
            print(f"non-canonical or unsupported item accepted: {enc.hex()}", file=sys.stderr)
            failures += 1
    if failures:
        sys.exit(f"interop_cbor: {failures} failures")
    print(f"interop_cbor: {len(good)} canonical items round-trip, {len(bad)} bad ones rejected")


if __name__ == "__main__":
    main()
