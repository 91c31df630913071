/*
 * keel keygen / bundle / sign / inspect / verify.
 *
 * IMPLEMENTATION NOTES
 * Every format decision lives in lib/manifest (shared with the device);
 * this file only moves bytes between files and those functions. Ed25519
 * and SHA-256 come from OpenSSL through keel_ossl.c. A bundle made without
 * --key is unsigned: its protected header has no kid and its signature is
 * empty, so the device rejects it (MANIFEST_E_KID) until `keel sign`.
 */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_image.h"
#include "image.h"
#include "keel_ossl.h"
#include "manifest.h"
#include "memory_map.h"

/* ---- Bundle file ----------------------------------------------------------- */

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t pad16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

int bundle_write(const char *path, const uint8_t *env, size_t env_len, const uint8_t *image,
                 size_t image_len)
{
    uint8_t hdr[BUNDLE_HEADER_SIZE] = {0}, zero[16] = {0};
    memcpy(hdr, BUNDLE_MAGIC, 8);
    le32(hdr + 8, BUNDLE_VERSION);
    le32(hdr + 12, (uint32_t)env_len);
    le32(hdr + 16, (uint32_t)image_len);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(hdr, 1, sizeof(hdr), f) == sizeof(hdr) &&
             fwrite(env, 1, env_len, f) == env_len &&
             fwrite(zero, 1, pad16(env_len) - env_len, f) == pad16(env_len) - env_len &&
             fwrite(image, 1, image_len, f) == image_len;
    if (fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

int bundle_read(const char *path, struct bundle *b, char *err, size_t errlen)
{
    size_t len;
    memset(b, 0, sizeof(*b));
    if (read_file(path, &b->file, &len) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* the container is split by lib/manifest, which keel-cloud uses too */
    struct manifest_bundle mb;
    int rc = manifest_bundle_split(b->file, len, &mb);
    if (rc == MANIFEST_BUNDLE_E_MAGIC) {
        snprintf(err, errlen, "%s: not a keel bundle (no KEELBDL header)", path);
        goto fail;
    }
    if (rc == MANIFEST_BUNDLE_E_VERSION) {
        snprintf(err, errlen, "%s: bundle format version %u, this keel reads %u", path,
                 rd32(b->file + 8), BUNDLE_VERSION);
        goto fail;
    }
    if (rc) {
        size_t m = rd32(b->file + 12), n = rd32(b->file + 16);
        if (m == 0 || m > MANIFEST_MAX_SIZE)
            snprintf(err, errlen, "%s: manifest length %zu out of range (1..%u)", path, m,
                     MANIFEST_MAX_SIZE);
        else
            snprintf(err, errlen, "%s: truncated or oversized: header says %zu + %zu bytes, "
                     "file has %zu", path, pad16(m), n, len - BUNDLE_HEADER_SIZE);
        goto fail;
    }
    b->envelope = b->file + BUNDLE_HEADER_SIZE;
    b->envelope_len = mb.envelope_len;
    b->image = (uint8_t *)mb.image;
    b->image_len = mb.image_len;
    return 0;
fail:
    free(b->file);
    b->file = NULL;
    return -1;
}

void bundle_free(struct bundle *b)
{
    free(b->file);
    memset(b, 0, sizeof(*b));
}

/* ---- Keys ------------------------------------------------------------------------ */

static int load_seed(const char *path, uint8_t seed[32])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "keel: %s: %s\n", path, strerror(errno));
        return -1;
    }
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    size_t n = 32;
    int ok = k && EVP_PKEY_id(k) == EVP_PKEY_ED25519 &&
             EVP_PKEY_get_raw_private_key(k, seed, &n) == 1 && n == 32;
    EVP_PKEY_free(k);
    if (!ok)
        fprintf(stderr, "keel: %s: not an Ed25519 private key in PEM (make one with keel keygen)\n",
                path);
    return ok ? 0 : -1;
}

/* A public key file, or a private key file (its public half). */
static int load_public(const char *path, uint8_t pk[32])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "keel: %s: %s\n", path, strerror(errno));
        return -1;
    }
    EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    if (!k) {
        rewind(f);
        k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    }
    fclose(f);
    size_t n = 32;
    int ok = k && EVP_PKEY_id(k) == EVP_PKEY_ED25519 &&
             EVP_PKEY_get_raw_public_key(k, pk, &n) == 1 && n == 32;
    EVP_PKEY_free(k);
    if (!ok)
        fprintf(stderr, "keel: %s: not an Ed25519 key in PEM\n", path);
    return ok ? 0 : -1;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

static const char keygen_usage[] =
    "usage: keel keygen [--force] KEY.pem\n"
    "Makes an Ed25519 signing key: KEY.pem (private, PKCS#8 PEM, mode 0600)\n"
    "and KEY.pem.pub (public, PEM). Prints the key id devices know it by:\n"
    "the first 8 bytes of SHA-256 of the public key, in hex.\n"
    "  --force   overwrite existing files\n";

int cmd_keygen(int argc, char **argv)
{
    const char *out = NULL;
    int force = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(keygen_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (argv[i][0] == '-' || out) {
            fprintf(stderr, "keel keygen: unexpected '%s'\n%s", argv[i], keygen_usage);
            return 2;
        } else {
            out = argv[i];
        }
    }
    if (!out) {
        fputs(keygen_usage, stderr);
        return 2;
    }
    char pub[4096];
    snprintf(pub, sizeof(pub), "%s.pub", out);
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &k) != 1) {
        fprintf(stderr, "keel keygen: OpenSSL could not make a key\n");
        EVP_PKEY_CTX_free(ctx);
        return 1;
    }
    EVP_PKEY_CTX_free(ctx);
    int rc = 1;
    int flags = O_WRONLY | O_CREAT | O_TRUNC | (force ? 0 : O_EXCL);
    int fd = open(out, flags, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "keel keygen: %s: %s%s\n", out, strerror(errno),
                errno == EEXIST ? " (use --force to overwrite)" : "");
        if (fd >= 0)
            close(fd);
        goto out;
    }
    int ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "keel keygen: %s: write failed\n", out);
        goto out;
    }
    f = fopen(pub, "w");
    if (!f || PEM_write_PUBKEY(f, k) != 1) {
        fprintf(stderr, "keel keygen: %s: %s\n", pub, strerror(errno));
        if (f)
            fclose(f);
        goto out;
    }
    fclose(f);
    uint8_t pk[32], kid[MANIFEST_KID_SIZE];
    size_t n = 32;
    EVP_PKEY_get_raw_public_key(k, pk, &n);
    keel_ossl_kid(pk, kid);
    char kh[2 * MANIFEST_KID_SIZE + 1];
    hex(kid, sizeof(kid), kh);
    printf("kid %s\nprivate %s\npublic %s\n", kh, out, pub);
    rc = 0;
out:
    EVP_PKEY_free(k);
    return rc;
}

/* ---- Sealing --------------------------------------------------------------------- */

/* COSE_Sign1 around payload: signed by seed, or unsigned if seed is NULL. */
static int seal(const uint8_t *payload, size_t plen, const uint8_t *seed, uint8_t *env,
                size_t *env_len)
{
    uint8_t prot[64], tbs[MANIFEST_SCRATCH_SIZE], sig[64], pk[32], kid[MANIFEST_KID_SIZE];
    size_t prot_len, tbs_len, sig_len = 0;
    if (seed) {
        if (keel_ossl_ed25519_public(seed, pk) != 0)
            return -1;
        keel_ossl_kid(pk, kid);
    }
    if (manifest_protected_encode(kid, seed ? sizeof(kid) : 0, prot, sizeof(prot), &prot_len))
        return -1;
    if (seed) {
        if (manifest_sig_structure(prot, prot_len, payload, plen, tbs, sizeof(tbs), &tbs_len) ||
            keel_ossl_ed25519_sign(seed, tbs, tbs_len, sig))
            return -1;
        sig_len = 64;
    }
    int rc = manifest_envelope_encode(prot, prot_len, payload, plen, sig, sig_len, env,
                                      MANIFEST_MAX_SIZE, env_len);
    if (rc) {
        fprintf(stderr, "keel: %s\n", manifest_strerror(rc));
        return -1;
    }
    return 0;
}

static int parse_version(const char *s, uint32_t *out)
{
    unsigned a, b, c;
    char tail;
    /* digits and dots only: sscanf alone would take "+2", " 2" or "-0" */
    for (const char *p = s; *p; p++)
        if ((*p < '0' || *p > '9') && *p != '.')
            return -1;
    if (strlen(s) > 15 || sscanf(s, "%u.%u.%u%c", &a, &b, &c, &tail) != 3 || a > 255 ||
        b > 255 || c > 65535)
        return -1;
    *out = (a << 24) | (b << 16) | c;
    return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static const char bundle_usage[] =
    "usage: keel bundle --kind app|microvisor --version X.Y.Z --counter N [options]\n"
    "                   IN.elf|IN.img OUT.kbundle\n"
    "Makes a bundle (docs/images.md): a manifest (deterministic CBOR in a COSE_Sign1)\n"
    "describing the image, and the image itself. Without --key the bundle is\n"
    "unsigned and devices refuse it until `keel sign`.\n"
    "  --kind K          app or microvisor\n"
    "  --version X.Y.Z   image version\n"
    "  --counter N       security counter: devices never go back below the highest\n"
    "                    confirmed counter (raise it when fixing a vulnerability)\n"
    "  --min-mv X.Y.Z    apps: oldest microvisor that runs this app (default 1.0.0)\n"
    "  --debug           apps: allow a debugger to attach\n"
    "  --restart-ms LIST apps: comma-separated delays before restarts after crashes\n"
    "  --politeness P    apps: immediate, polite (default) or on-restart\n"
    "  --checkin S       apps: connectivity check-in interval in seconds\n"
    "  --trial S         apps: health time: a new version that runs S seconds\n"
    "                    without crashing is confirmed (default 10, at most 86400)\n"
    "  --key KEY.pem     sign with this key (from keel keygen)\n";

struct bundle_opts {
    uint32_t kind, version, counter, min_mv;
    int have_version, have_counter;
    struct manifest_policy policy;
    int policy_set;
    const char *key, *in, *out;
};

static int bundle_args(int argc, char **argv, struct bundle_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->min_mv = 1u << 24;
    o->policy.politeness = MANIFEST_UPDATE_POLITE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(bundle_usage, stdout);
            return 1;
        } else if (!strcmp(a, "--debug")) {
            o->policy.debug = true;
            o->policy_set = 1;
        } else if (a[0] == '-' && a[1] == '-' && (!v || v[0] == '-')) {
            fprintf(stderr, "keel bundle: %s needs a value\n", a);
            return -1;
        } else if (!strcmp(a, "--kind")) {
            i++;
            if (!strcmp(v, "app"))
                o->kind = MANIFEST_COMP_APP;
            else if (!strcmp(v, "microvisor"))
                o->kind = MANIFEST_COMP_MICROVISOR;
            else {
                fprintf(stderr, "keel bundle: unknown kind '%s' (app or microvisor)\n", v);
                return -1;
            }
        } else if (!strcmp(a, "--version") || !strcmp(a, "--min-mv")) {
            i++;
            if (parse_version(v, !strcmp(a, "--version") ? &o->version : &o->min_mv)) {
                fprintf(stderr, "keel bundle: %s '%s': want X.Y.Z (X, Y <= 255, Z <= 65535)\n", a, v);
                return -1;
            }
            if (!strcmp(a, "--version"))
                o->have_version = 1;
        } else if (!strcmp(a, "--counter")) {
            i++;
            if (parse_u32(v, &o->counter)) {
                fprintf(stderr, "keel bundle: --counter '%s': want a number 0..4294967295\n", v);
                return -1;
            }
            o->have_counter = 1;
        } else if (!strcmp(a, "--restart-ms")) {
            i++;
            char buf[256], *save = NULL;
            snprintf(buf, sizeof(buf), "%s", v);
            o->policy.n_restarts = 0;
            for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (o->policy.n_restarts == MANIFEST_MAX_RESTARTS ||
                    parse_u32(t, &o->policy.restart_ms[o->policy.n_restarts])) {
                    fprintf(stderr, "keel bundle: --restart-ms: want up to %u comma-separated "
                            "numbers of milliseconds\n", MANIFEST_MAX_RESTARTS);
                    return -1;
                }
                o->policy.n_restarts++;
            }
            o->policy_set = 1;
        } else if (!strcmp(a, "--politeness")) {
            i++;
            if (!strcmp(v, "immediate"))
                o->policy.politeness = MANIFEST_UPDATE_IMMEDIATE;
            else if (!strcmp(v, "polite"))
                o->policy.politeness = MANIFEST_UPDATE_POLITE;
            else if (!strcmp(v, "on-restart"))
                o->policy.politeness = MANIFEST_UPDATE_ON_RESTART;
            else {
                fprintf(stderr, "keel bundle: --politeness: immediate, polite or on-restart\n");
                return -1;
            }
            o->policy_set = 1;
        } else if (!strcmp(a, "--checkin")) {
            i++;
            if (parse_u32(v, &o->policy.checkin_s)) {
                fprintf(stderr, "keel bundle: --checkin: want seconds\n");
                return -1;
            }
            o->policy_set = 1;
        } else if (!strcmp(a, "--trial")) {
            i++;
            if (parse_u32(v, &o->policy.trial_s) || o->policy.trial_s == 0 ||
                o->policy.trial_s > MANIFEST_TRIAL_MAX_S) {
                fprintf(stderr, "keel bundle: --trial: want seconds, 1..86400\n");
                return -1;
            }
            o->policy_set = 1;
        } else if (!strcmp(a, "--key")) {
            o->key = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr, "keel bundle: unknown option '%s' (see --help)\n", a);
            return -1;
        } else if (!o->in) {
            o->in = a;
        } else if (!o->out) {
            o->out = a;
        } else {
            fprintf(stderr, "keel bundle: too many arguments ('%s')\n", a);
            return -1;
        }
    }
    if (!o->kind || !o->have_version || !o->have_counter || !o->in || !o->out) {
        fprintf(stderr, "keel bundle: --kind, --version, --counter, IN and OUT are required\n%s",
                bundle_usage);
        return -1;
    }
    if (o->kind == MANIFEST_COMP_MICROVISOR && o->policy_set) {
        fprintf(stderr, "keel bundle: app policies (--debug, --restart-ms, --politeness, "
                        "--checkin, --trial) do not apply to a microvisor\n");
        return -1;
    }
    return 0;
}

/* The flat payload and load address from an ELF or a keel pack image. */
static int load_payload(const char *path, uint32_t kind, uint8_t **bytes, uint32_t *size,
                        uint32_t *load)
{
    size_t n = strlen(path);
    if (n > 4 && !strcmp(path + n - 4, ".img")) {
        uint8_t *file;
        size_t len;
        if (read_file(path, &file, &len) != 0) {
            fprintf(stderr, "keel bundle: %s: %s\n", path, strerror(errno));
            return -1;
        }
        struct image_header h;
        if (len < IMAGE_HEADER_SIZE) {
            fprintf(stderr, "keel bundle: %s: too short to be an image\n", path);
            free(file);
            return -1;
        }
        memcpy(&h, file, sizeof(h));
        if (h.magic != IMAGE_MAGIC || h.image_size != len - IMAGE_HEADER_SIZE) {
            fprintf(stderr, "keel bundle: %s: not a keel image (bad magic or size)\n", path);
            free(file);
            return -1;
        }
        *bytes = malloc(h.image_size);
        memcpy(*bytes, file + IMAGE_HEADER_SIZE, h.image_size);
        *size = h.image_size;
        *load = h.load_addr;
        free(file);
        return 0;
    }
    char err[256];
    struct flat_image flat;
    if (elf_to_flat(path, &flat, err, sizeof(err)) != 0) {
        fprintf(stderr, "keel bundle: %s\n", err);
        return -1;
    }
    *bytes = flat.bytes;
    *size = flat.size;
    *load = flat.load_addr;
    (void)kind;
    return 0;
}

int cmd_bundle(int argc, char **argv)
{
    struct bundle_opts o;
    int a = bundle_args(argc, argv, &o);
    if (a)
        return a > 0 ? 0 : 2;
    uint8_t seed[32];
    if (o.key && load_seed(o.key, seed) != 0)
        return 1;
    uint8_t *payload_bytes;
    uint32_t size, load;
    if (load_payload(o.in, o.kind, &payload_bytes, &size, &load) != 0)
        return 1;
    bool app = o.kind == MANIFEST_COMP_APP;
    struct image_header h = {.magic = IMAGE_MAGIC, .header_size = IMAGE_HEADER_SIZE,
                             .kind = app ? IMAGE_KIND_APP : IMAGE_KIND_MICROVISOR,
                             .load_addr = load, .image_size = size};
    uint32_t slot = (app ? FLASH_APP_SLOT_SIZE : FLASH_MV_SLOT_SIZE) - 2 * 8192;
    int rc = image_header_check(&h, h.kind, slot + IMAGE_HEADER_SIZE,
                                app ? NS_CODE_BASE : MV_CODE_BASE,
                                app ? NS_APP_CODE_SIZE : MV_CODE_SIZE);
    if (rc != IMAGE_OK) {
        fprintf(stderr, "keel bundle: %s: %s (load %08x, %u bytes)\n", o.in, image_strerror(rc),
                load, size);
        free(payload_bytes);
        return 1;
    }
    struct manifest m = {.component = o.kind, .version = o.version,
                         .security_counter = o.counter, .n_layers = 1};
    m.layers[0].target = load;
    m.layers[0].size = size;
    keel_ossl_sha256(payload_bytes, size, m.layers[0].sha256);
    if (app) {
        m.min_mv_version = o.min_mv;
        m.has_policy = true;
        m.policy = o.policy;
    }
    uint8_t payload[1024], env[MANIFEST_MAX_SIZE];
    size_t plen, env_len;
    rc = manifest_image_encode(&m, payload, sizeof(payload), &plen);
    if (rc || seal(payload, plen, o.key ? seed : NULL, env, &env_len) != 0) {
        fprintf(stderr, "keel bundle: cannot encode the manifest: %s\n", manifest_strerror(rc));
        free(payload_bytes);
        return 1;
    }
    size_t img_len = pad16(size);
    uint8_t *img = malloc(img_len);
    memset(img, 0xFF, img_len);
    memcpy(img, payload_bytes, size);
    free(payload_bytes);
    rc = bundle_write(o.out, env, env_len, img, img_len);
    free(img);
    if (rc) {
        fprintf(stderr, "keel bundle: %s: %s\n", o.out, strerror(errno));
        return 1;
    }
    printf("%s: %s %u.%u.%u counter %u, %u bytes, %s\n", o.out, app ? "app" : "microvisor",
           o.version >> 24, (o.version >> 16) & 0xFF, o.version & 0xFFFF, o.counter, size,
           o.key ? "signed" : "unsigned");
    return 0;
}

int bundle_load_seed(const char *path, uint8_t seed[32])
{
    return load_seed(path, seed);
}

int bundle_seal(const uint8_t *payload, size_t plen, const uint8_t seed[32], uint8_t *env,
                size_t *env_len)
{
    return seal(payload, plen, seed, env, env_len);
}

/* ---- sign ------------------------------------------------------------------------ */

static const char sign_usage[] =
    "usage: keel sign --key KEY.pem IN.kbundle [OUT.kbundle]\n"
    "Signs the bundle's manifest with KEY (replacing any earlier signature) and\n"
    "writes it to OUT, or back to IN.\n";

int cmd_sign(int argc, char **argv)
{
    const char *key = NULL, *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(sign_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
            key = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "keel sign: unknown option '%s'\n%s", argv[i], sign_usage);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else if (!out) {
            out = argv[i];
        } else {
            fprintf(stderr, "keel sign: too many arguments\n%s", sign_usage);
            return 2;
        }
    }
    if (!key || !in) {
        fputs(sign_usage, stderr);
        return 2;
    }
    uint8_t seed[32], env[MANIFEST_MAX_SIZE];
    size_t env_len;
    char err[512];
    struct bundle b;
    struct manifest_cose c;
    if (load_seed(key, seed) != 0)
        return 1;
    if (bundle_read(in, &b, err, sizeof(err)) != 0) {
        fprintf(stderr, "keel sign: %s\n", err);
        return 1;
    }
    int rc = manifest_cose_parse(b.envelope, b.envelope_len, &c);
    if (rc && rc != MANIFEST_E_KID) {
        fprintf(stderr, "keel sign: %s: manifest: %s\n", in, manifest_strerror(rc));
        bundle_free(&b);
        return 1;
    }
    rc = seal(c.payload, c.payload_len, seed, env, &env_len) ||
         bundle_write(out ? out : in, env, env_len, b.image, b.image_len);
    bundle_free(&b);
    if (rc) {
        fprintf(stderr, "keel sign: cannot write %s\n", out ? out : in);
        return 1;
    }
    return 0;
}

/* ---- inspect / verify --------------------------------------------------------- */

static void print_manifest(const struct manifest *m)
{
    static const char *const polite[] = {"immediate", "polite", "on-restart"};
    printf("component: %s\n", m->component == MANIFEST_COMP_APP ? "app" : "microvisor");
    printf("version: %u.%u.%u\n", m->version >> 24, (m->version >> 16) & 0xFF,
           m->version & 0xFFFF);
    printf("security counter: %u\n", m->security_counter);
    for (uint32_t i = 0; i < m->n_layers; i++) {
        char h[65];
        hex(m->layers[i].sha256, 32, h);
        printf("layer %u: target 0x%08x, %u bytes, sha256 %s\n", i, m->layers[i].target,
               m->layers[i].size, h);
    }
    if (m->component == MANIFEST_COMP_APP)
        printf("minimum microvisor: %u.%u.%u\n", m->min_mv_version >> 24,
               (m->min_mv_version >> 16) & 0xFF, m->min_mv_version & 0xFFFF);
    if (m->has_policy) {
        printf("policy: debug %s, politeness %s, check-in %us, trial %us, restarts",
               m->policy.debug ? "on" : "off",
               m->policy.politeness < 3 ? polite[m->policy.politeness] : "?",
               m->policy.checkin_s,
               m->policy.trial_s ? m->policy.trial_s : MANIFEST_TRIAL_DEFAULT_S);
        for (unsigned i = 0; i < m->policy.n_restarts; i++)
            printf("%s%ums", i ? "," : " ", m->policy.restart_ms[i]);
        printf("%s\n", m->policy.n_restarts ? "" : " default");
    }
}

static json_t *version_json(uint32_t v)
{
    char s[32];
    snprintf(s, sizeof(s), "%u.%u.%u", v >> 24, (v >> 16) & 0xFF, v & 0xFFFF);
    return json_string(s);
}

/* The message as JSON (-o json): field names are API, added to, never
 * renamed. */
static json_t *msg_json(const struct manifest_msg *msg, const uint8_t *kid, size_t kid_len)
{
    char kh[2 * MANIFEST_KID_MAX + 1];
    json_t *o = json_object();
    if (kid) {
        hex(kid, kid_len, kh);
        json_object_set_new(o, "kid", json_string(kh));
    } else {
        json_object_set_new(o, "kid", json_null());
    }
    if (msg->type == MANIFEST_TYPE_ROTATION) {
        const struct manifest_rotation *r = &msg->u.rotation;
        json_object_set_new(o, "type", json_string("key_rotation"));
        json_object_set_new(o, "scope", json_string(r->scope == MANIFEST_COMP_APP ? "app"
                                                                                 : "microvisor"));
        json_object_set_new(o, "sequence", json_integer(r->sequence));
        json_object_set_new(o, "added", json_integer(r->n_add));
        json_object_set_new(o, "removed", json_integer(r->n_remove));
        return o;
    }
    static const char *const polite[] = {"immediate", "polite", "on-restart"};
    const struct manifest *m = &msg->u.image;
    json_t *layers = json_array();
    for (uint32_t i = 0; i < m->n_layers; i++) {
        char h[65];
        hex(m->layers[i].sha256, 32, h);
        json_array_append_new(layers, json_pack("{s:I,s:I,s:s}", "target",
                                                (json_int_t)m->layers[i].target, "size",
                                                (json_int_t)m->layers[i].size, "sha256", h));
    }
    json_object_set_new(o, "type", json_string("image"));
    json_object_set_new(o, "component", json_string(m->component == MANIFEST_COMP_APP
                                                        ? "app" : "microvisor"));
    json_object_set_new(o, "version", version_json(m->version));
    json_object_set_new(o, "security_counter", json_integer(m->security_counter));
    json_object_set_new(o, "layers", layers);
    if (m->component == MANIFEST_COMP_APP)
        json_object_set_new(o, "min_microvisor", version_json(m->min_mv_version));
    if (m->has_policy) {
        json_t *r = json_array();
        for (unsigned i = 0; i < m->policy.n_restarts; i++)
            json_array_append_new(r, json_integer(m->policy.restart_ms[i]));
        json_object_set_new(o, "policy", json_pack("{s:b,s:s,s:I,s:I,s:o}", "debug",
                            m->policy.debug, "politeness", m->policy.politeness < 3
                            ? polite[m->policy.politeness] : "?", "checkin_s",
                            (json_int_t)m->policy.checkin_s, "trial_s",
                            (json_int_t)(m->policy.trial_s ? m->policy.trial_s
                                                           : MANIFEST_TRIAL_DEFAULT_S),
                            "restart_ms", r));
    }
    return o;
}

static void json_out(json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2));
    if (s)
        puts(s);
    free(s);
    json_decref(o);
}

/* -o json anywhere in argv: removed, and true returned in *json. false if
 * -o has another value. */
static bool take_json(int *argc, char **argv, bool *json)
{
    *json = false;
    for (int i = 1; i < *argc; i++)
        if (!strcmp(argv[i], "-o")) {
            if (i + 1 >= *argc || strcmp(argv[i + 1], "json"))
                return false;
            *json = true;
            memmove(argv + i, argv + i + 2, sizeof(*argv) * (size_t)(*argc - i - 2));
            *argc -= 2;
            i--;
        }
    return true;
}

/* Reads FILE as a bundle, or failing that as a bare envelope. */
static int read_any(const char *path, struct bundle *b, const char *verb)
{
    char err[512];
    if (bundle_read(path, b, err, sizeof(err)) == 0)
        return 0;
    size_t len;
    if (read_file(path, &b->file, &len) != 0) {
        fprintf(stderr, "keel %s: %s: %s\n", verb, path, strerror(errno));
        return -1;
    }
    if (len < 8 || memcmp(b->file, BUNDLE_MAGIC, 8) == 0) {
        fprintf(stderr, "keel %s: %s\n", verb, err);
        bundle_free(b);
        return -1;
    }
    b->envelope = b->file;
    b->envelope_len = len;
    return 0;
}

static const char inspect_usage[] =
    "usage: keel inspect [-o json] BUNDLE|MANIFEST\n"
    "Prints a bundle's (or a bare COSE_Sign1 manifest's) fields and signer\n"
    "without checking the signature (keel verify does).\n";

int cmd_inspect(int argc, char **argv)
{
    bool json;
    if (!take_json(&argc, argv, &json)) {
        fputs(inspect_usage, stderr);
        return 2;
    }
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(inspect_usage, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs(inspect_usage, stderr);
        return 2;
    }
    struct bundle b;
    struct manifest_cose c;
    struct manifest_msg msg;
    if (read_any(argv[1], &b, "inspect") != 0)
        return 1;
    int rc = manifest_cose_parse(b.envelope, b.envelope_len, &c);
    if (rc == MANIFEST_OK || (rc == MANIFEST_E_KID && c.payload))
        rc = manifest_payload_parse(c.payload, c.payload_len, &msg);
    if (rc) {
        fprintf(stderr, "keel inspect: %s: manifest rejected: %s\n", argv[1],
                manifest_strerror(rc));
        bundle_free(&b);
        return 1;
    }
    if (json) {
        json_t *o = msg_json(&msg, c.kid, c.kid_len);
        json_object_set_new(o, "manifest_bytes", json_integer((json_int_t)b.envelope_len));
        json_object_set_new(o, "image_bytes", b.image ? json_integer((json_int_t)b.image_len)
                                                      : json_null());
        json_out(o);
        bundle_free(&b);
        return 0;
    }
    if (c.kid) {
        char kh[2 * MANIFEST_KID_MAX + 1];
        hex(c.kid, c.kid_len, kh);
        printf("signer: kid %s (signature not checked)\n", kh);
    } else {
        printf("signer: none (unsigned)\n");
    }
    printf("manifest: %zu bytes\n", b.envelope_len);
    if (b.image)
        printf("image: %zu bytes\n", b.image_len);
    if (msg.type == MANIFEST_TYPE_IMAGE) {
        print_manifest(&msg.u.image);
    } else {
        const struct manifest_rotation *r = &msg.u.rotation;
        printf("key rotation for %s signers, sequence %u: %u added, %u removed\n",
               r->scope == MANIFEST_COMP_APP ? "app" : "microvisor", r->sequence, r->n_add,
               r->n_remove);
    }
    bundle_free(&b);
    return 0;
}

static const char verify_usage[] =
    "usage: keel verify [-o json] --pub KEY.pub [--pub KEY2.pub ...] BUNDLE|MANIFEST\n"
    "Checks what a device checks: the manifest's structure, that a given key\n"
    "signed it, and (for a bundle) that the image matches every layer's size and\n"
    "SHA-256. Exit status 0 if all hold; 1 with the reason otherwise (with -o\n"
    "json: {\"ok\": true, ...the manifest} on stdout; a rejection stays on stderr).\n";

int cmd_verify(int argc, char **argv)
{
    struct manifest_trust trust;
    const char *in = NULL;
    bool json;
    memset(&trust, 0, sizeof(trust));
    if (!take_json(&argc, argv, &json)) {
        fputs(verify_usage, stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(verify_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--pub") && i + 1 < argc) {
            if (trust.n_keys == MANIFEST_MAX_KEYS) {
                fprintf(stderr, "keel verify: at most %u keys\n", MANIFEST_MAX_KEYS);
                return 2;
            }
            struct manifest_key *k = &trust.keys[trust.n_keys];
            if (load_public(argv[++i], k->public_key) != 0)
                return 1;
            k->kid_len = MANIFEST_KID_SIZE;
            keel_ossl_kid(k->public_key, k->kid);
            k->scopes = 1u << MANIFEST_COMP_MICROVISOR | 1u << MANIFEST_COMP_APP;
            trust.n_keys++;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "keel verify: unknown option '%s'\n%s", argv[i], verify_usage);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else {
            fprintf(stderr, "keel verify: more than one file\n");
            return 2;
        }
    }
    if (!in || trust.n_keys == 0) {
        fputs(verify_usage, stderr);
        return 2;
    }
    struct bundle b;
    struct manifest_msg msg;
    static uint8_t scratch[MANIFEST_SCRATCH_SIZE];
    if (read_any(in, &b, "verify") != 0)
        return 1;
    int rc = manifest_open(b.envelope, b.envelope_len, &trust, &keel_ossl_crypto, scratch,
                           sizeof(scratch), &msg);
    struct manifest_cose c;
    if (rc == MANIFEST_E_KID && manifest_cose_parse(b.envelope, b.envelope_len, &c) == MANIFEST_OK &&
        c.kid == NULL) {
        fprintf(stderr, "keel verify: %s: REJECTED: unsigned (sign it with keel sign)\n", in);
        bundle_free(&b);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "keel verify: %s: REJECTED: %s\n", in, manifest_strerror(rc));
        bundle_free(&b);
        return 1;
    }
    if (b.image && msg.type == MANIFEST_TYPE_IMAGE) {
        const struct manifest *m = &msg.u.image;
        size_t off = 0;
        for (uint32_t i = 0; i < m->n_layers; i++) {
            uint8_t h[32];
            if (m->layers[i].size > b.image_len - off) {
                fprintf(stderr, "keel verify: %s: REJECTED: image shorter than layer %u\n", in, i);
                bundle_free(&b);
                return 1;
            }
            keel_ossl_sha256(b.image + off, m->layers[i].size, h);
            if (memcmp(h, m->layers[i].sha256, 32) != 0) {
                fprintf(stderr, "keel verify: %s: REJECTED: layer %u: %s\n", in, i,
                        manifest_strerror(MANIFEST_E_LAYER_MISMATCH));
                bundle_free(&b);
                return 1;
            }
            for (size_t k = off + m->layers[i].size; k < off + pad16(m->layers[i].size); k++)
                if (k < b.image_len && b.image[k] != 0xFF) {
                    fprintf(stderr, "keel verify: %s: REJECTED: layer %u padding is not 0xFF\n",
                            in, i);
                    bundle_free(&b);
                    return 1;
                }
            off += pad16(m->layers[i].size);
        }
        if (off != b.image_len) {
            fprintf(stderr, "keel verify: %s: REJECTED: %zu image bytes, layers need %zu\n", in,
                    b.image_len, off);
            bundle_free(&b);
            return 1;
        }
    }
    char kh[2 * MANIFEST_KID_MAX + 1];
    hex(msg.kid, msg.kid_len, kh);
    if (json) {
        json_t *o = msg_json(&msg, msg.kid, msg.kid_len);
        json_object_set_new(o, "ok", json_true());
        json_object_set_new(o, "file", json_string(in));
        json_out(o);
    } else {
        printf("%s: OK, signed by kid %s\n", in, kh);
    }
    bundle_free(&b);
    return 0;
}
