/*
 * keel provision: writes a device's whole flash image (docs/flash-layout.md).
 *
 * IMPLEMENTATION NOTES
 * The flash file is read into memory and driven through lib/flash's
 * simulator attached to its contents, so provisioning obeys the same flash
 * rules as the device and installs the initial images with the device's
 * own update engine (lib/update): the factory path and the FOTA path are
 * one code path. The identity key and its X.509 certificate (signed by the
 * fleet CA) are made with OpenSSL; the CA itself can be made with
 * --new-ca.
 */
#include "provision.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "crc32.h"
#include "flash_file.h"
#include "flash_sim.h"
#include "keel_ossl.h"
#include "keel_x509.h"
#include "memory_map.h"
#include "provision_record.h"
#include "update.h"

#define PAGE 8192u
#define IDENTITY_MAGIC 0x4E44494Bu /* "KIDN" */

const struct update_layout keel_an505_layout = KEEL_AN505_UPDATE_LAYOUT;

static const char usage[] =
    "usage: keel provision --ca CA.pem --ca-key CA.key --mv-signer KEY.pub\n"
    "                      --app-signer KEY.pub --microvisor MV.kbundle --app APP.kbundle\n"
    "                      [--cloud HOST:PORT[@ADDRESS]] [--force] [-o json] FLASH.img\n"
    "       keel provision --new-ca NAME\n"
    "Writes a device's flash image: a new Ed25519 identity key and its X.509\n"
    "certificate (CN = device id) from the fleet CA, the trusted microvisor and\n"
    "app signers (each option may repeat), and the initial microvisor and app,\n"
    "installed and confirmed by the device's own update engine. Prints the\n"
    "device id. --new-ca makes a fleet CA: NAME.pem (certificate), NAME.key.\n"
    "  --cloud   where the device's cloud link goes: the broker's host name (checked\n"
    "            against its certificate, which must chain to --ca) and port, and an\n"
    "            IPv4 address to use instead of resolving the name by DNS\n"
    "  --force   re-provision a flash that already has an identity (erases it)\n";

int provision_make_ca(X509 **ca, EVP_PKEY **key)
{
    *key = keel_x509_new_key();
    *ca = *key ? keel_x509_make_cert(*key, "Keel fleet CA", NULL, *key, KEEL_X509_CA) : NULL;
    if (*ca)
        return 0;
    EVP_PKEY_free(*key);
    *key = NULL;
    return -1;
}

static int new_ca(const char *name)
{
    char cert_path[4096], key_path[4096];
    snprintf(cert_path, sizeof(cert_path), "%s.pem", name);
    snprintf(key_path, sizeof(key_path), "%s.key", name);
    if (access(cert_path, F_OK) == 0 || access(key_path, F_OK) == 0) {
        fprintf(stderr, "keel provision: %s or %s exists; not overwriting a CA\n", cert_path,
                key_path);
        return 1;
    }
    EVP_PKEY *k = NULL;
    X509 *x = NULL;
    provision_make_ca(&x, &k);
    int rc = 1;
    FILE *f = NULL;
    mode_t old = umask(077);
    if (!x || !(f = fopen(key_path, "w")) || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1) {
        fprintf(stderr, "keel provision: cannot write %s\n", key_path);
        goto out;
    }
    fclose(f);
    umask(old);
    if (!(f = fopen(cert_path, "w")) || PEM_write_X509(f, x) != 1) {
        fprintf(stderr, "keel provision: cannot write %s\n", cert_path);
        goto out;
    }
    printf("fleet CA: %s (certificate), %s (private key)\n", cert_path, key_path);
    rc = 0;
out:
    umask(old);
    if (f)
        fclose(f);
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

static int add_signer(struct manifest_trust *t, const char *path, uint32_t comp)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "keel provision: %s: %s\n", path, strerror(errno));
        return -1;
    }
    EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    uint8_t pk[32];
    size_t n = 32;
    if (!k || EVP_PKEY_id(k) != EVP_PKEY_ED25519 || EVP_PKEY_get_raw_public_key(k, pk, &n) != 1) {
        fprintf(stderr, "keel provision: %s: not an Ed25519 public key in PEM (keel keygen "
                        "writes KEY.pem.pub)\n", path);
        EVP_PKEY_free(k);
        return -1;
    }
    EVP_PKEY_free(k);
    uint8_t kid[MANIFEST_KID_SIZE];
    keel_ossl_kid(pk, kid);
    for (uint32_t i = 0; i < t->n_keys; i++)
        if (!memcmp(t->keys[i].kid, kid, sizeof(kid))) {
            t->keys[i].scopes |= 1u << comp;
            return 0;
        }
    if (t->n_keys == MANIFEST_MAX_KEYS) {
        fprintf(stderr, "keel provision: more than %u signers\n", MANIFEST_MAX_KEYS);
        return -1;
    }
    struct manifest_key *k2 = &t->keys[t->n_keys++];
    memset(k2, 0, sizeof(*k2));
    memcpy(k2->kid, kid, sizeof(kid));
    k2->kid_len = MANIFEST_KID_SIZE;
    memcpy(k2->public_key, pk, 32);
    k2->scopes = 1u << comp;
    return 0;
}

int provision_install(update_t *u, const uint8_t *env, size_t env_len, const uint8_t *image,
                      size_t image_len, uint32_t comp, const char *name, bool quiet)
{
    struct update_boot_result r;
    const char *what = comp == MANIFEST_COMP_APP ? "app" : "microvisor";
    int rc = update_begin(u, env, env_len);
    if (rc == UPDATE_OK && u->dl_comp != comp) {
        fprintf(stderr, "keel: %s: not a%s bundle\n", name,
                comp == MANIFEST_COMP_APP ? "n app" : " microvisor");
        return -1;
    }
    if (rc == UPDATE_OK && image_len != update_total_size(u))
        rc = UPDATE_E_TOO_BIG;
    if (rc == UPDATE_OK)
        rc = update_write(u, 0, image, image_len);
    if (rc == UPDATE_OK)
        rc = update_finish(u);
    if (rc == UPDATE_OK)
        rc = update_activate(u);
    if (rc == UPDATE_OK)
        rc = update_boot(u, comp, &r);
    if (rc == UPDATE_OK)
        rc = update_confirm(u, comp);
    if (rc) {
        fprintf(stderr, "keel: %s (%s): %s%s%s\n", name, what, update_strerror(rc),
                rc == UPDATE_E_MANIFEST ? ": " : "",
                rc == UPDATE_E_MANIFEST ? manifest_strerror(u->manifest_err) : "");
        return -1;
    }
    const struct update_comp_state *st = update_state(u, comp);
    if (!quiet)
        printf("%s: %s %u.%u.%u, security counter %u, slot %c, confirmed\n", what, name,
           r.info.m.version >> 24, (r.info.m.version >> 16) & 0xFF, r.info.m.version & 0xFFFF,
           st->floor, 'A' + r.slot);
    if (comp == MANIFEST_COMP_MICROVISOR)
        u->mv_version = r.info.m.version;
    return 0;
}

/* Installs a bundle with the update engine, boots it once and confirms it. */
static int install(update_t *u, const char *path, uint32_t comp, bool quiet)
{
    struct bundle b;
    char err[512];
    if (bundle_read(path, &b, err, sizeof(err)) != 0) {
        fprintf(stderr, "keel provision: %s\n", err);
        return -1;
    }
    int rc = provision_install(u, b.envelope, b.envelope_len, b.image, b.image_len, comp, path,
                               quiet);
    bundle_free(&b);
    return rc;
}

/* The identity page: "KIDN", cert length, CRC-32 of seed and certificate,
 * ~CRC; the 32-byte Ed25519 seed; the certificate (DER). */
static int write_identity(const flash_t *fl, const uint8_t seed[32], const uint8_t *der,
                          size_t der_len)
{
    static uint8_t page[PAGE];
    if (der_len > PAGE - 48)
        return -1;
    memset(page, 0xFF, sizeof(page));
    memcpy(page + 16, seed, 32);
    memcpy(page + 48, der, der_len);
    uint32_t crc = crc32_ieee(page + 16, 32 + der_len);
    uint32_t v[4] = {IDENTITY_MAGIC, (uint32_t)der_len, crc, ~crc};
    memcpy(page, v, 16); /* little-endian host, little-endian format */
    size_t len = (48 + der_len + 15) & ~(size_t)15;
    return flash_erase_page(fl, FLASH_PROVISION + 3 * PAGE) ||
           flash_program(fl, FLASH_PROVISION + 3 * PAGE, page, len) ? -1 : 0;
}

int provision_cloud_arg(char *s, struct provision_cloud_args *c, const char *who)
{
    char *at = strchr(s, '@'), *colon;
    unsigned a, b, d, e;
    char tail;
    memset(c, 0, sizeof(*c));
    if (at) {
        *at++ = 0;
        if (sscanf(at, "%u.%u.%u.%u%c", &a, &b, &d, &e, &tail) != 4 || a > 255 || b > 255 ||
            d > 255 || e > 255 || (a | b | d | e) == 0) {
            fprintf(stderr, "%s: '%s' is not an IPv4 address\n", who, at);
            return -1;
        }
        c->addr = a << 24 | b << 16 | d << 8 | e;
    }
    colon = strrchr(s, ':');
    char *end = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    if (!colon || !end || *end || port == 0 || port > 65535) {
        fprintf(stderr, "%s: the cloud broker must be HOST:PORT[@ADDRESS], not '%s'\n", who, s);
        return -1;
    }
    *colon = 0;
    c->host = s;
    c->port = (uint16_t)port;
    uint8_t probe[PROVISION_CLOUD_HDR + 1];
    if (provision_cloud_build(probe, sizeof(probe), s, c->addr, c->port, probe, 1) < 0) {
        fprintf(stderr, "%s: '%s' is not a host name (letters, digits, '-' and '.', at most "
                        "%u characters)\n", who, s, PROVISION_HOST_MAX);
        return -1;
    }
    return 0;
}

int provision_cloud(const flash_t *fl, const struct provision_cloud_args *c, X509 *anchor)
{
    static uint8_t page[PAGE];
    uint8_t *der = NULL;
    int der_len = i2d_X509(anchor, &der);
    memset(page, 0xFF, sizeof(page));
    int len = der_len > 0 ? provision_cloud_build(page, sizeof(page), c->host, c->addr, c->port,
                                                  der, (uint32_t)der_len)
                          : -1;
    OPENSSL_free(der);
    if (len < 0) {
        fprintf(stderr, "keel: the trust anchor does not fit the cloud page (%d bytes, at most "
                        "%u)\n", der_len, PROVISION_ANCHOR_MAX);
        return -1;
    }
    len = (len + 15) & ~15; /* the program unit */
    return flash_erase_page(fl, FLASH_PROVISION + 4 * PAGE) ||
           flash_program(fl, FLASH_PROVISION + 4 * PAGE, page, (size_t)len) ? -1 : 0;
}

int provision_load_ca(const char *cert_path, const char *key_path, X509 **ca,
                      EVP_PKEY **key)
{
    FILE *f = fopen(cert_path, "r");
    *ca = NULL;
    *key = NULL;
    if (f) {
        *ca = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if ((f = fopen(key_path, "r"))) {
        *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (*ca && *key && X509_check_private_key(*ca, *key) == 1)
        return 0;
    X509_free(*ca);
    EVP_PKEY_free(*key);
    *ca = NULL;
    *key = NULL;
    return -1;
}

int provision_identity(const flash_t *fl, X509 *ca, EVP_PKEY *ca_key,
                       char id[PROVISION_ID_LEN + 1])
{
    struct provision_record rec;
    uint8_t seed[32], hash[32], *der = NULL;
    EVP_PKEY *dev = NULL;
    X509 *cert = NULL;
    int der_len = -1, rc = -1;

    if (RAND_bytes(seed, sizeof(seed)) != 1 ||
        !(dev = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32)))
        goto out;
    memset(&rec, 0, sizeof(rec));
    rec.magic = PROVISION_MAGIC;
    rec.version = PROVISION_VERSION;
    keel_ossl_ed25519_public(seed, rec.public_key);
    keel_ossl_sha256(rec.public_key, 32, hash);
    rec.device_id[0] = 'U';
    rec.device_id[1] = 'V';
    for (int i = 0; i < 16; i++) {
        rec.device_id[2 + 2 * i] = "0123456789ABCDEF"[hash[i] >> 4];
        rec.device_id[3 + 2 * i] = "0123456789ABCDEF"[hash[i] & 15];
    }
    memcpy(id, rec.device_id, PROVISION_ID_LEN);
    id[PROVISION_ID_LEN] = 0;
    cert = keel_x509_make_cert(dev, id, ca, ca_key, KEEL_X509_CLIENT);
    der_len = cert ? i2d_X509(cert, &der) : -1;
    if (der_len > 0 && flash_erase_page(fl, FLASH_PROVISION) == 0 &&
        flash_program(fl, FLASH_PROVISION, &rec, sizeof(rec)) == 0 &&
        write_identity(fl, seed, der, (size_t)der_len) == 0)
        rc = 0;
out:
    OPENSSL_cleanse(seed, sizeof(seed));
    OPENSSL_free(der);
    X509_free(cert);
    EVP_PKEY_free(dev);
    return rc;
}

int cmd_provision(int argc, char **argv)
{
    const char *ca_path = NULL, *ca_key_path = NULL, *mv = NULL, *app = NULL, *out = NULL;
    struct manifest_trust trust;
    int force = 0, nmv = 0, napp = 0;
    struct provision_cloud_args cloud = { 0 };
    bool json = false;
    memset(&trust, 0, sizeof(trust));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--force")) {
            force = 1;
        } else if (!strcmp(a, "-o") && v && !strcmp(v, "json")) {
            json = true;
            i++;
        } else if (a[0] == '-' && (!v || v[0] == '-')) {
            fprintf(stderr, "keel provision: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "--new-ca")) {
            return argc == 3 ? new_ca(v) : (fputs(usage, stderr), 2);
        } else if (!strcmp(a, "--ca")) {
            ca_path = argv[++i];
        } else if (!strcmp(a, "--cloud")) {
            if (provision_cloud_arg(argv[++i], &cloud, "keel provision") != 0)
                return 2;
        } else if (!strcmp(a, "--ca-key")) {
            ca_key_path = argv[++i];
        } else if (!strcmp(a, "--microvisor")) {
            mv = argv[++i];
        } else if (!strcmp(a, "--app")) {
            app = argv[++i];
        } else if (!strcmp(a, "--mv-signer") || !strcmp(a, "--app-signer")) {
            uint32_t comp = a[2] == 'm' ? MANIFEST_COMP_MICROVISOR : MANIFEST_COMP_APP;
            if (add_signer(&trust, argv[++i], comp) != 0)
                return 1;
            *(comp == MANIFEST_COMP_APP ? &napp : &nmv) += 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "keel provision: unknown option '%s' (see --help)\n", a);
            return 2;
        } else if (!out) {
            out = a;
        } else {
            fprintf(stderr, "keel provision: more than one flash file\n");
            return 2;
        }
    }
    if (!ca_path || !ca_key_path || !mv || !app || !out || !nmv || !napp) {
        fprintf(stderr, "keel provision: --ca, --ca-key, --mv-signer, --app-signer, "
                        "--microvisor, --app and FLASH.img are all required\n%s", usage);
        return 2;
    }

    int rc = 1;
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    uint8_t *mem = NULL, *bitmap = NULL;
    update_t *u = calloc(1, sizeof(*u));
    int fd = -1;
    if (provision_load_ca(ca_path, ca_key_path, &ca, &ca_key) != 0) {
        fprintf(stderr, "keel provision: %s / %s: not a CA certificate and its private key "
                        "(make a fleet CA with keel provision --new-ca NAME)\n", ca_path,
                ca_key_path);
        goto out;
    }

    fd = flash_file_open(out);
    mem = malloc(FLASH_SIZE);
    bitmap = malloc(FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
    if (fd < 0 || !mem || !bitmap || !u || flash_file_read(fd, FLASH_BASE, mem, FLASH_SIZE)) {
        fprintf(stderr, "keel provision: %s: %s\n", out, strerror(errno));
        goto out;
    }
    struct provision_record rec;
    memcpy(&rec, mem, sizeof(rec));
    if (provision_record_check(&rec) == 0 && !force) {
        fprintf(stderr, "keel provision: %s already holds device %.34s (--force erases it)\n",
                out, rec.device_id);
        goto out;
    }
    memset(mem, 0xFF, FLASH_SIZE);
    flash_sim_t sim;
    flash_t fl;
    flash_sim_attach(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, PAGE, 16);

    /* identity */
    char id[PROVISION_ID_LEN + 1];
    if (provision_identity(&fl, ca, ca_key, id) != 0) {
        fprintf(stderr, "keel provision: cannot make the device identity\n");
        goto out;
    }
    if (cloud.host && provision_cloud(&fl, &cloud, ca) != 0)
        goto out;
    /* trusted signers, update state, images */
    if (update_trust_write(&fl, FLASH_PROVISION + PAGE, &trust) != UPDATE_OK ||
        update_init(u, &fl, &keel_an505_layout, &trust, &keel_ossl_crypto) != UPDATE_OK ||
        update_journal_format(u) != UPDATE_OK) {
        fprintf(stderr, "keel provision: cannot write the update state\n");
        goto out;
    }
    if (install(u, mv, MANIFEST_COMP_MICROVISOR, json) || install(u, app, MANIFEST_COMP_APP, json))
        goto out;
    if (flash_file_write(fd, FLASH_BASE, mem, FLASH_SIZE) != 0) {
        fprintf(stderr, "keel provision: %s: %s\n", out, strerror(errno));
        goto out;
    }
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:I}", "device_id", id, "flash", out, "signers",
                              (json_int_t)trust.n_keys);
        char *t = json_dumps(o, JSON_INDENT(2));
        if (t)
            puts(t);
        free(t);
        json_decref(o);
    } else {
        printf("device %s provisioned in %s (%u trusted signers)\n", id, out, trust.n_keys);
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    free(mem);
    free(bitmap);
    free(u);
    return rc;
}
