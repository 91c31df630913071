/* lib/manifest: round trips, every rejection class with its reason, key
 * rotation, and every truncation of a valid envelope. OpenSSL signs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor.h"
#include "keel_ossl.h"
#include "manifest.h"

static int failures;
#define CHECK(c)                                                        \
    do {                                                                \
        if (!(c)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
            failures++;                                                 \
        }                                                               \
    } while (0)
#define EXPECT(call, want)                                              \
    do {                                                                \
        int got_ = (call);                                              \
        if (got_ != (want)) {                                           \
            fprintf(stderr, "%s:%d: %s = %d (%s), want %s (%s)\n", __FILE__, __LINE__, \
                    #call, got_, manifest_strerror(got_), #want, manifest_strerror(want)); \
            failures++;                                                 \
        }                                                               \
    } while (0)

static uint8_t seed_mv[32] = {1}, seed_app[32] = {2}, seed_new[32] = {3}, seed_evil[32] = {4};
static uint8_t pk_mv[32], pk_app[32], pk_new[32], pk_evil[32];
static struct manifest_trust trust;
static uint8_t scratch[MANIFEST_SCRATCH_SIZE];

static void add_key(struct manifest_trust *t, const uint8_t pk[32], uint32_t scopes)
{
    struct manifest_key *k = &t->keys[t->n_keys++];
    k->kid_len = MANIFEST_KID_SIZE;
    keel_ossl_kid(pk, k->kid);
    memcpy(k->public_key, pk, 32);
    k->scopes = scopes;
}

/* Wraps payload in a COSE_Sign1 signed by seed (kid from its key). */
static size_t seal(const uint8_t *payload, size_t plen, const uint8_t seed[32],
                   uint8_t *out, size_t cap)
{
    uint8_t pk[32], kid[MANIFEST_KID_SIZE], prot[64], tbs[MANIFEST_SCRATCH_SIZE], sig[64];
    size_t prot_len, tbs_len, n;
    keel_ossl_ed25519_public(seed, pk);
    keel_ossl_kid(pk, kid);
    CHECK(manifest_protected_encode(kid, sizeof(kid), prot, sizeof(prot), &prot_len) == 0);
    CHECK(manifest_sig_structure(prot, prot_len, payload, plen, tbs, sizeof(tbs), &tbs_len) == 0);
    CHECK(keel_ossl_ed25519_sign(seed, tbs, tbs_len, sig) == 0);
    if (manifest_envelope_encode(prot, prot_len, payload, plen, sig, 64, out, cap, &n))
        return 0;
    return n;
}

static struct manifest sample(uint32_t component)
{
    struct manifest m = {
        .component = component, .version = 0x01020003, .security_counter = 7, .n_layers = 1,
    };
    m.layers[0].target = component == MANIFEST_COMP_APP ? 0x00200000 : 0x10010000;
    m.layers[0].size = 12345;
    for (int i = 0; i < 32; i++)
        m.layers[0].sha256[i] = (uint8_t)i;
    if (component == MANIFEST_COMP_APP) {
        m.min_mv_version = 0x01000000;
        m.has_policy = true;
        m.policy.debug = true;
        m.policy.n_restarts = 3;
        m.policy.restart_ms[0] = 0;
        m.policy.restart_ms[1] = 1000;
        m.policy.restart_ms[2] = 60000;
        m.policy.politeness = MANIFEST_UPDATE_POLITE;
        m.policy.checkin_s = 3600;
        m.policy.trial_s = 30;
    }
    return m;
}

static int open_env(const uint8_t *env, size_t n, struct manifest_msg *msg)
{
    return manifest_open(env, n, &trust, &keel_ossl_crypto, scratch, sizeof(scratch), msg);
}

static void test_round_trip(void)
{
    for (uint32_t comp = 1; comp <= 2; comp++) {
        struct manifest m = sample(comp), back;
        uint8_t payload[1024], env[MANIFEST_MAX_SIZE];
        size_t plen;
        struct manifest_msg msg;
        CHECK(manifest_image_encode(&m, payload, sizeof(payload), &plen) == 0);
        size_t n = seal(payload, plen, comp == 1 ? seed_mv : seed_app, env, sizeof(env));
        EXPECT(open_env(env, n, &msg), MANIFEST_OK);
        back = msg.u.image;
        CHECK(msg.type == MANIFEST_TYPE_IMAGE && msg.kid_len == MANIFEST_KID_SIZE);
        CHECK(back.component == comp && back.version == m.version &&
              back.security_counter == 7 && back.n_layers == 1 &&
              back.layers[0].size == 12345 && back.layers[0].target == m.layers[0].target &&
              memcmp(back.layers[0].sha256, m.layers[0].sha256, 32) == 0);
        CHECK(back.min_mv_version == m.min_mv_version && back.has_policy == m.has_policy);
        CHECK(memcmp(&back.policy, &m.policy, sizeof(m.policy)) == 0);
        /* every strict prefix is rejected (never accepted) */
        for (size_t k = 0; k < n; k++)
            CHECK(open_env(env, k, &msg) != MANIFEST_OK);
        /* every single-bit flip is rejected */
        for (size_t k = 0; k < n * 8; k += 3) {
            env[k / 8] ^= (uint8_t)(1u << (k % 8));
            CHECK(open_env(env, n, &msg) != MANIFEST_OK);
            env[k / 8] ^= (uint8_t)(1u << (k % 8));
        }
        EXPECT(open_env(env, n, &msg), MANIFEST_OK);
    }
}

/* ---- Hand-made payloads: one fault each, correctly signed ---------------- */

enum fault {
    F_NONE, F_KEY9, F_KEY64, F_SWAP, F_DUP, F_TYPE3, F_NO_COUNTER, F_VERSION_BSTR,
    F_VERSION_BIG, F_COMPONENT3, F_LAYERS0, F_LAYERS5, F_LAYER_SIZE0, F_HASH31,
    F_LAYER_KEY4, F_MV_POLICY, F_POLITENESS, F_APP_NO_MINMV, F_MV_MINMV, F_NEG_KEY,
    F_TRAILING, F_NONCANON, F_TRIAL0, F_TRIAL_BIG,
};

static size_t fault_payload(enum fault f, uint32_t comp, uint8_t *buf, size_t cap)
{
    cbor_enc_t e;
    size_t n;
    bool app = comp == MANIFEST_COMP_APP;
    size_t pairs = 5 + (app && f != F_APP_NO_MINMV) + (f == F_MV_MINMV) + (f == F_KEY9) +
                   (f == F_KEY64) + (f == F_MV_POLICY) + (f == F_POLITENESS) +
                   (f == F_TRIAL0) + (f == F_TRIAL_BIG) -
                   (f == F_NO_COUNTER) + (f == F_DUP) + (f == F_NEG_KEY);
    uint8_t hash[32] = {0};
    cbor_enc_init(&e, buf, cap);
    cbor_put_map(&e, pairs);
    if (f == F_NEG_KEY) {
        cbor_put_int(&e, -1);
        cbor_put_uint(&e, 0);
    }
    cbor_put_uint(&e, 1);
    cbor_put_uint(&e, f == F_TYPE3 ? 3 : 1);
    if (f == F_SWAP) {
        cbor_put_uint(&e, 3);
        cbor_put_uint(&e, 1);
        cbor_put_uint(&e, 2);
        cbor_put_uint(&e, comp);
    } else {
        cbor_put_uint(&e, 2);
        cbor_put_uint(&e, f == F_COMPONENT3 ? 3 : comp);
        if (f == F_DUP) {
            cbor_put_uint(&e, 2);
            cbor_put_uint(&e, comp);
        }
        cbor_put_uint(&e, 3);
        if (f == F_VERSION_BSTR)
            cbor_put_bstr(&e, "v", 1);
        else if (f == F_VERSION_BIG)
            cbor_put_uint(&e, 1ull << 32);
        else if (f == F_NONCANON)
            cbor_put_raw(&e, "\x18\x01", 2);
        else
            cbor_put_uint(&e, 0x01000000);
    }
    if (f != F_NO_COUNTER) {
        cbor_put_uint(&e, 4);
        cbor_put_uint(&e, 1);
    }
    cbor_put_uint(&e, 5);
    size_t nl = f == F_LAYERS0 ? 0 : f == F_LAYERS5 ? 5 : 1;
    cbor_put_array(&e, nl);
    for (size_t i = 0; i < nl; i++) {
        cbor_put_map(&e, 3 + (f == F_LAYER_KEY4));
        cbor_put_uint(&e, 1);
        cbor_put_uint(&e, 0x00200000);
        cbor_put_uint(&e, 2);
        cbor_put_uint(&e, f == F_LAYER_SIZE0 ? 0 : 100);
        cbor_put_uint(&e, 3);
        cbor_put_bstr(&e, hash, f == F_HASH31 ? 31 : 32);
        if (f == F_LAYER_KEY4) {
            cbor_put_uint(&e, 4);
            cbor_put_uint(&e, 0);
        }
    }
    if ((app && f != F_APP_NO_MINMV) || f == F_MV_MINMV) {
        cbor_put_uint(&e, 6);
        cbor_put_uint(&e, 0);
    }
    if (f == F_MV_POLICY || f == F_POLITENESS) {
        cbor_put_uint(&e, 7);
        cbor_put_map(&e, 1);
        cbor_put_uint(&e, 3);
        cbor_put_uint(&e, f == F_POLITENESS ? 7 : 0);
    }
    if (f == F_TRIAL0 || f == F_TRIAL_BIG) {
        cbor_put_uint(&e, 7);
        cbor_put_map(&e, 2);
        cbor_put_uint(&e, 1);
        cbor_put_bool(&e, false);
        cbor_put_uint(&e, 5);
        cbor_put_uint(&e, f == F_TRIAL0 ? 0 : MANIFEST_TRIAL_MAX_S + 1);
    }
    if (f == F_KEY9) {
        cbor_put_uint(&e, 9);
        cbor_put_uint(&e, 0);
    }
    if (f == F_KEY64) {
        cbor_put_uint(&e, 64);
        cbor_put_tstr(&e, "ignored", 7);
    }
    if (f == F_TRAILING)
        cbor_put_uint(&e, 0);
    if (cbor_enc_finish(&e, &n))
        return 0;
    return n;
}

static void test_payload_faults(void)
{
    static const struct { enum fault f; uint32_t comp; int want; } cases[] = {
        {F_NONE, 2, MANIFEST_OK},
        {F_NONE, 1, MANIFEST_OK},
        {F_KEY64, 2, MANIFEST_OK},
        {F_KEY9, 2, MANIFEST_E_UNKNOWN_CRITICAL},
        {F_LAYER_KEY4, 2, MANIFEST_E_UNKNOWN_CRITICAL},
        {F_SWAP, 2, MANIFEST_E_KEY_ORDER},
        {F_DUP, 2, MANIFEST_E_KEY_ORDER},
        {F_TYPE3, 2, MANIFEST_E_TYPE},
        {F_NO_COUNTER, 2, MANIFEST_E_MISSING},
        {F_VERSION_BSTR, 2, MANIFEST_E_FIELD},
        {F_VERSION_BIG, 2, MANIFEST_E_FIELD},
        {F_NEG_KEY, 2, MANIFEST_E_FIELD},
        {F_COMPONENT3, 2, MANIFEST_E_COMPONENT},
        {F_LAYERS0, 2, MANIFEST_E_LAYERS},
        {F_LAYERS5, 2, MANIFEST_E_LAYERS},
        {F_LAYER_SIZE0, 2, MANIFEST_E_LAYERS},
        {F_HASH31, 2, MANIFEST_E_HASH},
        {F_MV_POLICY, 1, MANIFEST_E_POLICY},
        {F_POLITENESS, 2, MANIFEST_E_POLICY},
        {F_TRIAL0, 2, MANIFEST_E_POLICY},
        {F_TRIAL_BIG, 2, MANIFEST_E_POLICY},
        {F_APP_NO_MINMV, 2, MANIFEST_E_MIN_MV},
        {F_MV_MINMV, 1, MANIFEST_E_MIN_MV},
        {F_TRAILING, 2, MANIFEST_E_TRAILING},
        {F_NONCANON, 2, MANIFEST_E_CBOR},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t payload[1024], env[MANIFEST_MAX_SIZE];
        size_t plen = fault_payload(cases[i].f, cases[i].comp, payload, sizeof(payload));
        CHECK(plen > 0);
        size_t n = seal(payload, plen, cases[i].comp == 1 ? seed_mv : seed_app, env, sizeof(env));
        struct manifest_msg msg;
        int rc = open_env(env, n, &msg);
        if (rc != cases[i].want) {
            fprintf(stderr, "fault case %zu: got %s, want %s\n", i, manifest_strerror(rc),
                    manifest_strerror(cases[i].want));
            failures++;
        }
    }
}

/* ---- Envelope faults ------------------------------------------------------- */

static size_t raw_envelope(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                           size_t plen, const uint8_t seed[32], size_t sig_len, uint64_t tag,
                           size_t n_items, uint8_t *out, size_t cap)
{
    uint8_t tbs[MANIFEST_SCRATCH_SIZE], sig[64];
    size_t tbs_len, n;
    manifest_sig_structure(prot, prot_len, payload, plen, tbs, sizeof(tbs), &tbs_len);
    keel_ossl_ed25519_sign(seed, tbs, tbs_len, sig);
    cbor_enc_t e;
    cbor_enc_init(&e, out, cap);
    cbor_put_tag(&e, tag);
    cbor_put_array(&e, n_items);
    cbor_put_bstr(&e, prot, prot_len);
    cbor_put_map(&e, 0);
    cbor_put_bstr(&e, payload, plen);
    if (n_items > 3)
        cbor_put_bstr(&e, sig, sig_len);
    cbor_enc_finish(&e, &n);
    return n;
}

static size_t prot_with(int64_t alg, const uint8_t *kid, size_t kid_len, int64_t crit,
                        uint8_t *out)
{
    cbor_enc_t e;
    size_t n;
    cbor_enc_init(&e, out, 128);
    cbor_put_map(&e, (alg != 0) + (crit != 0) + (kid_len > 0));
    if (alg) {
        cbor_put_uint(&e, 1);
        cbor_put_int(&e, alg);
    }
    if (crit) {
        cbor_put_uint(&e, 2);
        cbor_put_array(&e, 1);
        cbor_put_int(&e, crit);
    }
    if (kid_len) {
        cbor_put_uint(&e, 4);
        cbor_put_bstr(&e, kid, kid_len);
    }
    cbor_enc_finish(&e, &n);
    return n;
}

static void test_envelope_faults(void)
{
    struct manifest m = sample(MANIFEST_COMP_APP);
    uint8_t payload[1024], env[MANIFEST_MAX_SIZE + 64], prot[128], kid[MANIFEST_KID_SIZE];
    uint8_t long_kid[17] = {0};
    size_t plen, n, pl;
    struct manifest_msg msg;
    manifest_image_encode(&m, payload, sizeof(payload), &plen);
    keel_ossl_kid(pk_app, kid);

    pl = prot_with(-8, kid, 8, 0, prot);
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_OK);
    env[n] = 0;
    EXPECT(open_env(env, n + 1, &msg), MANIFEST_E_TRAILING);
    EXPECT(open_env(env, MANIFEST_MAX_SIZE + 1, &msg), MANIFEST_E_TOO_LARGE);
    EXPECT(open_env(env, 0, &msg), MANIFEST_E_CBOR);
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 17, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_NOT_SIGN1);
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 3, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_NOT_SIGN1);
    EXPECT(open_env(payload, plen, &msg), MANIFEST_E_NOT_SIGN1); /* bare payload */
    n = raw_envelope(prot, pl, payload, plen, seed_app, 63, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_SIGNATURE);
    /* signed by a key nobody trusts, under a trusted kid */
    n = raw_envelope(prot, pl, payload, plen, seed_evil, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_SIGNATURE);
    /* a microvisor signer's key cannot sign an app */
    keel_ossl_kid(pk_mv, kid);
    pl = prot_with(-8, kid, 8, 0, prot);
    n = raw_envelope(prot, pl, payload, plen, seed_mv, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_UNKNOWN_KID);
    keel_ossl_kid(pk_app, kid);
    pl = prot_with(-7, kid, 8, 0, prot); /* ES256 */
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_ALG);
    pl = prot_with(0, kid, 8, 0, prot);
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_ALG);
    pl = prot_with(-8, kid, 0, 0, prot); /* unsigned bundle: no kid */
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_KID);
    pl = prot_with(-8, long_kid, 17, 0, prot);
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_KID);
    pl = prot_with(-8, kid, 8, 99, prot);
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_UNKNOWN_CRITICAL);
    pl = prot_with(-8, kid, 8, 4, prot); /* crit naming a header we know */
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_OK);
    /* an empty protected header names no algorithm */
    n = raw_envelope((const uint8_t *)"", 0, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_ALG);
    /* protected header not a map inside its bstr */
    n = raw_envelope((const uint8_t *)"\x01", 1, payload, plen, seed_app, 64, 18, 4, env,
                     sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_HEADER);
    /* too-small scratch is refused, not overrun */
    pl = prot_with(-8, kid, 8, 0, prot);
    n = raw_envelope(prot, pl, payload, plen, seed_app, 64, 18, 4, env, sizeof(env));
    EXPECT(manifest_open(env, n, &trust, &keel_ossl_crypto, scratch, 64, &msg),
           MANIFEST_E_NOSPACE);
    /* an envelope over the size limit is refused by the encoder too */
    static uint8_t big[MANIFEST_MAX_SIZE], big_env[2 * MANIFEST_MAX_SIZE];
    memset(big, 0, sizeof(big));
    CHECK(manifest_envelope_encode(prot, pl, big, sizeof(big), big, 64, big_env,
                                   sizeof(big_env), &n) ==
          MANIFEST_E_TOO_LARGE);
    CHECK(strcmp(manifest_strerror(MANIFEST_E_SIGNATURE),
                 "signature wrong length or does not verify") == 0);
    CHECK(strcmp(manifest_strerror(-99), "unknown manifest error") == 0);
}

static void test_rotation(void)
{
    struct manifest_rotation r = {.scope = MANIFEST_COMP_APP, .sequence = 1, .n_add = 1,
                                  .n_remove = 1};
    uint8_t payload[512], env[MANIFEST_MAX_SIZE];
    size_t plen, n;
    struct manifest_msg msg;
    struct manifest_trust saved = trust;
    r.add[0].kid_len = 8;
    keel_ossl_kid(pk_new, r.add[0].kid);
    memcpy(r.add[0].public_key, pk_new, 32);
    r.remove[0].kid_len = 8;
    keel_ossl_kid(pk_app, r.remove[0].kid);
    CHECK(manifest_rotation_encode(&r, payload, sizeof(payload), &plen) == 0);
    /* the microvisor signer may not rotate app signers */
    n = seal(payload, plen, seed_mv, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_UNKNOWN_KID);
    n = seal(payload, plen, seed_app, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_OK);
    CHECK(msg.type == MANIFEST_TYPE_ROTATION && msg.u.rotation.n_add == 1);
    EXPECT(manifest_rotation_apply(&trust, &msg.u.rotation), MANIFEST_OK);
    EXPECT(manifest_rotation_apply(&trust, &msg.u.rotation), MANIFEST_E_ROTATION); /* replay */
    /* the old app key is gone, the new one signs */
    struct manifest m = sample(MANIFEST_COMP_APP);
    manifest_image_encode(&m, payload, sizeof(payload), &plen);
    n = seal(payload, plen, seed_app, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_UNKNOWN_KID);
    n = seal(payload, plen, seed_new, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_OK);
    /* removing the last app signer is refused, and trust is unchanged */
    struct manifest_rotation r2 = {.scope = MANIFEST_COMP_APP, .sequence = 2, .n_remove = 1};
    r2.remove[0].kid_len = 8;
    keel_ossl_kid(pk_new, r2.remove[0].kid);
    struct manifest_trust before = trust;
    EXPECT(manifest_rotation_apply(&trust, &r2), MANIFEST_E_ROTATION);
    CHECK(memcmp(&before, &trust, sizeof(trust)) == 0);
    /* removing an unknown signer */
    keel_ossl_kid(pk_evil, r2.remove[0].kid);
    EXPECT(manifest_rotation_apply(&trust, &r2), MANIFEST_E_UNKNOWN_KID);
    /* same kid, different key */
    struct manifest_rotation r3 = {.scope = MANIFEST_COMP_MICROVISOR, .sequence = 1, .n_add = 1};
    r3.add[0].kid_len = 8;
    keel_ossl_kid(pk_mv, r3.add[0].kid);
    memcpy(r3.add[0].public_key, pk_evil, 32);
    EXPECT(manifest_rotation_apply(&trust, &r3), MANIFEST_E_ROTATION);
    /* an empty rotation is malformed */
    struct manifest_rotation r4 = {.scope = MANIFEST_COMP_APP, .sequence = 9};
    manifest_rotation_encode(&r4, payload, sizeof(payload), &plen);
    n = seal(payload, plen, seed_new, env, sizeof(env));
    EXPECT(open_env(env, n, &msg), MANIFEST_E_ROTATION);
    /* filling the store */
    struct manifest_trust full = trust;
    for (uint8_t i = 0; full.n_keys < MANIFEST_MAX_KEYS; i++) {
        struct manifest_rotation ra = {.scope = 2, .sequence = 10u + i, .n_add = 1};
        ra.add[0].kid_len = 1;
        ra.add[0].kid[0] = i;
        EXPECT(manifest_rotation_apply(&full, &ra), MANIFEST_OK);
    }
    struct manifest_rotation ra = {.scope = 2, .sequence = 100, .n_add = 1};
    ra.add[0].kid_len = 1;
    ra.add[0].kid[0] = 0xEE;
    EXPECT(manifest_rotation_apply(&full, &ra), MANIFEST_E_ROTATION);
    trust = saved;
}

int main(void)
{
    keel_ossl_ed25519_public(seed_mv, pk_mv);
    keel_ossl_ed25519_public(seed_app, pk_app);
    keel_ossl_ed25519_public(seed_new, pk_new);
    keel_ossl_ed25519_public(seed_evil, pk_evil);
    add_key(&trust, pk_mv, 1u << MANIFEST_COMP_MICROVISOR);
    add_key(&trust, pk_app, 1u << MANIFEST_COMP_APP);
    test_round_trip();
    test_payload_faults();
    test_envelope_faults();
    test_rotation();
    if (failures) {
        fprintf(stderr, "test_manifest: %d failures\n", failures);
        return 1;
    }
    puts("test_manifest: ok");
    return 0;
}
