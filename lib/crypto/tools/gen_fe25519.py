#!/usr/bin/env python3
"""Generates the unrolled radix-2^25.5 multiply/square and the curve constants
used by lib/crypto/curve25519.c (pasted there; rerun to check them)."""
p = 2**255 - 19
W = [26, 25] * 5

def limbs(x):
    out = []
    for w in W:
        out.append(x & ((1 << w) - 1))
        x >>= w
    return out

def fe_const(name, x):
    return "static const fe %s = {%s};" % (name, ", ".join(str(v) for v in limbs(x % p)))

def gen_mul():
    lines = []
    for k in range(10):
        terms = []
        for i in range(10):
            j = (k - i) % 10
            wrap = i + j >= 10
            odd = (i & 1) and (j & 1)
            f = "F%d" % i if odd else "f%d" % i
            g = "G%d" % j if wrap else "g%d" % j
            terms.append("%s * (int64_t)%s" % (f, g))
        lines.append("    int64_t h%d = %s;" % (k, "\n        + ".join(
            " + ".join(terms[a:a + 3]) for a in range(0, 10, 3))))
    return "\n".join(lines)

def gen_sq():
    lines = []
    need = set()
    for k in range(10):
        terms = []
        for i in range(10):
            for j in range(i, 10):
                if (i + j) % 10 != k:
                    continue
                wrap = i + j >= 10
                odd = (i & 1) and (j & 1)
                a = 2 if i != j else 1
                b = (2 if odd else 1) * (19 if wrap else 1)
                fa = "f%d" % i if a == 1 else "f%d_2" % i
                fb = "f%d" % j if b == 1 else "f%d_%d" % (j, b)
                need.add(fa); need.add(fb)
                terms.append("%s * (int64_t)%s" % (fa, fb))
        lines.append("    int64_t h%d = %s;" % (k, "\n        + ".join(
            " + ".join(terms[a:a + 3]) for a in range(0, len(terms), 3))))
    decl = sorted(n for n in need if "_" in n)
    return decl, "\n".join(lines)

d = (-121665 * pow(121666, p - 2, p)) % p
sqrtm1 = pow(2, (p - 1) // 4, p)
by = 4 * pow(5, p - 2, p) % p
u = (by * by - 1) % p
v = (d * by * by + 1) % p
x2 = u * pow(v, p - 2, p) % p
bx = pow(x2, (p + 3) // 8, p)
if (bx * bx - x2) % p:
    bx = bx * sqrtm1 % p
if bx & 1:
    bx = p - bx
if __name__ == "__main__":
    print(fe_const("fe_d", d))
    print(fe_const("fe_d2", 2 * d))
    print(fe_const("fe_sqrtm1", sqrtm1))
    print(fe_const("fe_bx", bx))
    print(fe_const("fe_by", by))
    print(fe_const("fe_bt", bx * by))
    print("/* mul */")
    print(gen_mul())
    decl, body = gen_sq()
    print("/* sq: " + " ".join(decl) + " */")
    print(body)


def fe51_consts():
    """The same constants for fe25519_51.inc (five 51-bit limbs)."""
    out = []
    for name, x in (("fe_d", d), ("fe_d2", 2 * d), ("fe_sqrtm1", sqrtm1),
                    ("fe_bx", bx), ("fe_by", by), ("fe_bt", bx * by)):
        limbs51 = [((x % p) >> (51 * i)) & (2**51 - 1) for i in range(5)]
        out.append("static const fe %s = {%s};" % (
            name, ", ".join("0x%xULL" % v for v in limbs51)))
    return "\n".join(out)


def edwards_add(P, Q):
    (x1, y1), (x2, y2) = P, Q
    t = d * x1 * x2 * y1 * y2 % p
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, p - 2, p) % p
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, p - 2, p) % p
    return x3, y3


def comb_table():
    """comb[t][k - 1] = sum_j k_j 2^(32 j + 128 t) B for k = 1..15, t = 0, 1:
    two 4-tooth combs with teeth 32 bits apart, in niels form
    (y + x, y - x, 2 d x y), each coordinate as 8 little-endian words."""
    base = [(bx, by)]
    for j in range(1, 8):
        P = base[-1]
        for _ in range(32):
            P = edwards_add(P, P)
        base.append(P)
    tables = []
    for t in range(2):
        rows = []
        for k in range(1, 16):
            P = (0, 1)
            for j in range(4):
                if k >> j & 1:
                    P = edwards_add(P, base[4 * t + j])
            x, y = P
            words = []
            for v in ((y + x) % p, (y - x) % p, 2 * d * x * y % p):
                words += [(v >> (32 * i)) & 0xffffffff for i in range(8)]
            rows.append("        {" + ", ".join("0x%08x" % w for w in words) + "},")
        tables.append("    {\n" + "\n".join(rows) + "\n    },")
    return ("static const uint32_t comb[2][15][24] = {\n" + "\n".join(tables) +
            "\n};")


if __name__ == "__main__":
    print("/* fe51 */")
    print(fe51_consts())
    print(comb_table())
