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
