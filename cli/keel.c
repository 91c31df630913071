/*
 * keel: the developer's command-line tool.
 *
 *   keel pack --kind app|microvisor [--version X.Y.Z] IN.elf OUT.img
 *   keel run [options] APP.elf|APP.img [-- QEMU-ARGS...]
 *   keel keygen | bundle | sign | inspect | verify   (cli/keel_bundle.c)
 *   keel provision                                   (cli/keel_provision.c)
 *   keel update --uart SOCKET BUNDLE                 (cli/keel_update.c)
 *   keel login | signers | apps | devices | deploy | deployments | logs | config | secret
 *                                                    (cli/keel_cloud.c)
 *
 * `keel <verb> --help` explains each verb. Later issues add keygen,
 * bundle, sign, verify and provision.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include "bundle.h"
#include "console_relay.h"
#include "elf_image.h"
#include "flash_file.h"
#include "flash_sim.h"
#include "image.h"
#include "keel_ossl.h"
#include "memory_map.h"
#include "provision.h"
#include "provision_record.h"
#include "run_cloud.h"
#include "update.h"

int cmd_update(int argc, char **argv); /* cli/keel_update.c */
int cmd_cloud(int argc, char **argv);  /* cli/keel_cloud.c */

#ifndef KEEL_DEFAULT_FW_DIR
#define KEEL_DEFAULT_FW_DIR "build/fw"
#endif

static int parse_version(const char *s, uint32_t *out)
{
    unsigned a, b, c;
    char tail;
    if (sscanf(s, "%u.%u.%u%c", &a, &b, &c, &tail) != 3 || a > 255 || b > 255 || c > 65535)
        return -1;
    *out = (a << 24) | (b << 16) | c;
    return 0;
}

/* Builds a complete image (header + payload) from an ELF or returns an
 * .img file unchanged after checking it. */
static int load_image(const char *path, uint32_t kind, uint32_t version,
                      uint8_t **out, size_t *outlen)
{
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".img") == 0) {
        if (read_file(path, out, outlen) != 0) {
            fprintf(stderr, "keel: %s: %s\n", path, strerror(errno));
            return -1;
        }
        if (*outlen < IMAGE_HEADER_SIZE) {
            fprintf(stderr, "keel: %s: too short to be an image\n", path);
            free(*out);
            return -1;
        }
        return 0;
    }
    char err[256];
    struct flat_image flat;
    if (elf_to_flat(path, &flat, err, sizeof(err)) != 0) {
        fprintf(stderr, "keel: %s\n", err);
        return -1;
    }
    struct image_header hdr = {
        .magic = IMAGE_MAGIC, .header_size = IMAGE_HEADER_SIZE, .kind = kind,
        .load_addr = flat.load_addr, .image_size = flat.size, .version = version,
    };
    uint32_t region = kind == IMAGE_KIND_APP ? NS_CODE_BASE : MV_CODE_BASE;
    uint32_t region_size = kind == IMAGE_KIND_APP ? NS_APP_CODE_SIZE : MV_CODE_SIZE;
    uint32_t slot = kind == IMAGE_KIND_APP ? FLASH_APP_SLOT_SIZE : FLASH_MV_SLOT_SIZE;
    int rc = image_header_check(&hdr, kind, slot, region, region_size);
    if (rc != IMAGE_OK) {
        fprintf(stderr, "keel: %s: %s (load %08x, %u bytes)\n", path, image_strerror(rc),
                flat.load_addr, flat.size);
        flat_image_free(&flat);
        return -1;
    }
    *outlen = IMAGE_HEADER_SIZE + flat.size;
    *out = malloc(*outlen);
    if (!*out) {
        flat_image_free(&flat);
        return -1;
    }
    memcpy(*out, &hdr, sizeof(hdr));
    memcpy(*out + IMAGE_HEADER_SIZE, flat.bytes, flat.size);
    flat_image_free(&flat);
    return 0;
}

static int cmd_pack(int argc, char **argv)
{
    uint32_t kind = 0, version = 1u << 16;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: keel pack --kind app|microvisor [--version X.Y.Z] IN.elf OUT.img\n"
                 "Turns a linked ELF into a Keel image: a 64-byte header (kind, load\n"
                 "address, size, version) and the flat payload. Checks that the payload\n"
                 "fits the region that kind of image runs from.");
            return 0;
        } else if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "app"))
                kind = IMAGE_KIND_APP;
            else if (!strcmp(argv[i], "microvisor"))
                kind = IMAGE_KIND_MICROVISOR;
            else {
                fprintf(stderr, "keel pack: unknown kind '%s' (app or microvisor)\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--version") && i + 1 < argc) {
            if (parse_version(argv[++i], &version) != 0) {
                fprintf(stderr, "keel pack: version must be X.Y.Z\n");
                return 2;
            }
        } else {
            fprintf(stderr, "keel pack: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (!kind || argc - i != 2) {
        fprintf(stderr, "usage: keel pack --kind app|microvisor [--version X.Y.Z] IN.elf OUT.img\n");
        return 2;
    }
    uint8_t *img;
    size_t len;
    if (load_image(argv[i], kind, version, &img, &len) != 0)
        return 1;
    FILE *f = fopen(argv[i + 1], "wb");
    int ok = f && fwrite(img, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(img);
    if (!ok) {
        fprintf(stderr, "keel pack: %s: %s\n", argv[i + 1], strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- keel run: signing and installing --------------------------------------
 * keel run installs through the path keel provision uses: the images are
 * signed (with a development key), and the device's own update engine
 * (lib/update on a flash simulator over the flash file) installs and
 * confirms them, so the boot ROM and the microvisor verify exactly what a
 * provisioned device verifies. */

#define RUN_VERSION (1u << 16) /* 0.1.0, the microvisor's own version */
#define RUN_COUNTER 1u

/* The development key: KEY if given, else FWDIR/keel-dev-key.pem, made on
 * first use. Concurrent runs agree on one key: it is written to a private
 * name and linked into place, and whoever links first wins. */
static int run_dev_key(const char *fw, const char *given, uint8_t seed[32])
{
    char path[4096], tmp[4200];
    if (given)
        return bundle_load_seed(given, seed);
    snprintf(path, sizeof(path), "%s/keel-dev-key.pem", fw);
    if (access(path, R_OK) != 0) {
        snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
        EVP_PKEY *k = NULL;
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        int ok = c && f && EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &k) == 1 &&
                 PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
        if (f && fclose(f) != 0)
            ok = 0;
        else if (!f && fd >= 0)
            close(fd);
        EVP_PKEY_free(k);
        EVP_PKEY_CTX_free(c);
        if (ok && link(tmp, path) != 0 && errno != EEXIST)
            ok = 0;
        unlink(tmp);
        if (!ok) {
            fprintf(stderr, "keel run: cannot make the development key %s\n", path);
            return -1;
        }
    }
    return bundle_load_seed(path, seed);
}

#define RUN_PROVISION_SIZE (FLASH_MV_SLOT_A - FLASH_PROVISION)

/* The development fleet CA that keel run's devices get their identity
 * certificate from: FWDIR/keel-dev-ca.pem (private key and self-signed
 * certificate in one file, so that concurrent runs, which link whole
 * files into place as run_dev_key does, always agree on a matching pair),
 * made on first use. 0 with *ca and *key, or -1. */
static int run_dev_ca(const char *fw, X509 **ca, EVP_PKEY **key)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/keel-dev-ca.pem", fw);
    if (access(path, R_OK) != 0) {
        snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        int ok = f && provision_make_ca(ca, key) == 0 &&
                 PEM_write_PrivateKey(f, *key, NULL, NULL, 0, NULL, NULL) == 1 &&
                 PEM_write_X509(f, *ca) == 1;
        X509_free(*ca);
        EVP_PKEY_free(*key);
        if (f && fclose(f) != 0)
            ok = 0;
        else if (!f && fd >= 0)
            close(fd);
        if (ok && link(tmp, path) != 0 && errno != EEXIST)
            ok = 0;
        unlink(tmp);
        if (!ok) {
            fprintf(stderr, "keel run: cannot make the development CA %s\n", path);
            return -1;
        }
    }
    if (provision_load_ca(path, path, ca, key) != 0) {
        fprintf(stderr, "keel run: %s: not a CA key and certificate\n", path);
        return -1;
    }
    return 0;
}

/* Gives the device in the flash file an identity (a key, its record and a
 * certificate from the development CA, or the cloud's fleet CA), unless it
 * already has one: a device keeps its identity across runs. With a cloud,
 * the cloud page is (re)written each run. 0 or -1. */
static int run_provision(int fd, const char *fw, const struct run_cloud *cloud,
                         char id[PROVISION_ID_LEN + 1])
{
    static uint8_t bitmap[FLASH_SIM_BITMAP_SIZE(RUN_PROVISION_SIZE, 16)];
    struct provision_record rec;
    if (flash_file_read(fd, FLASH_PROVISION, &rec, sizeof(rec)) != 0)
        return -1;
    bool have_id = provision_record_check(&rec) == 0;
    if (have_id) {
        memcpy(id, rec.device_id, PROVISION_ID_LEN);
        id[PROVISION_ID_LEN] = 0;
    }
    if (have_id && !cloud)
        return 0;

    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    uint8_t *mem = malloc(RUN_PROVISION_SIZE);
    flash_sim_t sim;
    flash_t fl;
    int rc = -1;
    if (!mem || (!cloud && run_dev_ca(fw, &ca, &ca_key) != 0) ||
        flash_file_read(fd, FLASH_PROVISION, mem, RUN_PROVISION_SIZE) != 0)
        goto out;
    /* provision_identity erases the two pages it writes; the signers'
     * pages are kept (keel run --no-install boots with them). */
    flash_sim_attach(&sim, &fl, mem, bitmap, FLASH_PROVISION, RUN_PROVISION_SIZE,
                     FLASH_PAGE_SIZE, 16);
    if (!have_id) {
        if (provision_identity(&fl, cloud ? cloud->ca : ca, cloud ? cloud->ca_key : ca_key,
                               id) != 0) {
            fprintf(stderr, "keel run: cannot give the device an identity\n");
            goto out;
        }
        fprintf(stderr, "keel: provisioned device %s\n", id);
    } else if (run_cloud_identity_from(mem + 3 * FLASH_PAGE_SIZE, FLASH_PAGE_SIZE,
                                       cloud->ca) != 0) {
        fprintf(stderr, "keel run: warning: device %.34s has a certificate from another CA; "
                        "the broker will refuse it (use a new --flash)\n", rec.device_id);
    }
    if (cloud && provision_cloud(&fl, &cloud->page, cloud->ca) != 0)
        goto out;
    if (flash_file_write(fd, FLASH_PROVISION, mem, RUN_PROVISION_SIZE) != 0)
        goto out;
    rc = 0;
out:
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    free(mem);
    return rc;
}

struct run_image {
    uint8_t env[MANIFEST_MAX_SIZE];
    size_t env_len;
    uint8_t *bytes; /* the slot's image bytes, padded to 16 with 0xFF */
    size_t len;
};

/* An ELF (or keel pack image) as a signed manifest and its slot bytes. */
static int run_seal(const char *path, uint32_t kind, const uint8_t seed[32],
                    struct run_image *out)
{
    uint8_t *img, payload[1024];
    size_t len, plen;
    struct image_header h;
    if (load_image(path, kind, RUN_VERSION, &img, &len) != 0)
        return -1;
    memcpy(&h, img, sizeof(h));
    int app = kind == IMAGE_KIND_APP;
    struct manifest m = {
        .component = app ? MANIFEST_COMP_APP : MANIFEST_COMP_MICROVISOR,
        .version = RUN_VERSION, .security_counter = RUN_COUNTER, .n_layers = 1,
        .min_mv_version = app ? RUN_VERSION : 0, .has_policy = app,
        .policy = {.politeness = MANIFEST_UPDATE_POLITE},
    };
    m.layers[0].target = h.load_addr;
    m.layers[0].size = h.image_size;
    keel_ossl_sha256(img + IMAGE_HEADER_SIZE, h.image_size, m.layers[0].sha256);
    out->len = (h.image_size + 15u) & ~15u;
    out->bytes = malloc(out->len);
    int rc = -1;
    if (out->bytes && manifest_image_encode(&m, payload, sizeof(payload), &plen) == 0 &&
        bundle_seal(payload, plen, seed, out->env, &out->env_len) == 0) {
        memset(out->bytes, 0xFF, out->len);
        memcpy(out->bytes, img + IMAGE_HEADER_SIZE, h.image_size);
        rc = 0;
    } else {
        fprintf(stderr, "keel run: %s: cannot make its manifest\n", path);
    }
    free(img);
    return rc;
}

/* Erases what keel run rewrites: signers, both components' slots and the
 * journal. The identity (provisioning record) stays. */
static void run_erase(uint8_t *mem)
{
    static const uint32_t areas[][2] = {
        {FLASH_TRUST, 2 * FLASH_PAGE_SIZE},
        {FLASH_MV_SLOT_A, 2 * FLASH_MV_SLOT_SIZE},
        {FLASH_APP_SLOT_A, FLASH_APP_SLOT_B - FLASH_APP_SLOT_A + FLASH_APP_SLOT_SIZE},
        {FLASH_STATE, 2 * FLASH_PAGE_SIZE},
    };
    for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
        memset(mem + (areas[i][0] - FLASH_BASE), 0xFF, areas[i][1]);
}

/* Trusts the development key for both components, formats the journal and
 * installs mv and app with the update engine, as keel provision does. */
static int run_install_images(uint8_t *mem, const uint8_t seed[32], struct run_image *mv,
                              struct run_image *app, const char *mv_name, const char *app_name)
{
    static uint8_t bitmap[FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16)];
    struct manifest_trust trust;
    flash_sim_t sim;
    flash_t fl;
    memset(&trust, 0, sizeof(trust));
    trust.n_keys = 1;
    trust.keys[0].kid_len = MANIFEST_KID_SIZE;
    trust.keys[0].scopes = (1u << MANIFEST_COMP_MICROVISOR) | (1u << MANIFEST_COMP_APP);
    keel_ossl_ed25519_public(seed, trust.keys[0].public_key);
    keel_ossl_kid(trust.keys[0].public_key, trust.keys[0].kid);
    run_erase(mem);
    flash_sim_attach(&sim, &fl, mem, bitmap, FLASH_BASE, FLASH_SIZE, FLASH_PAGE_SIZE, 16);
    update_t *u = calloc(1, sizeof(*u));
    int rc = !u || update_trust_write(&fl, FLASH_TRUST, &trust) != UPDATE_OK ||
             update_init(u, &fl, &keel_an505_layout, &trust, &keel_ossl_crypto) != UPDATE_OK ||
             update_journal_format(u) != UPDATE_OK;
    if (rc)
        fprintf(stderr, "keel run: cannot write the signers and update state\n");
    if (!rc)
        rc = provision_install(u, mv->env, mv->env_len, mv->bytes, mv->len,
                               MANIFEST_COMP_MICROVISOR, mv_name, true) ||
             provision_install(u, app->env, app->env_len, app->bytes, app->len,
                               MANIFEST_COMP_APP, app_name, true);
    free(u);
    return rc ? -1 : 0;
}

/* Signs the microvisor and the app with the development key and installs
 * them into the flash file (provisioning the device first if it has no
 * identity). 0 or -1. */
static int run_install(int fd, const char *fw, const char *key, const char *mv,
                       const char *app)
{
    uint8_t seed[32];
    struct run_image *im = calloc(2, sizeof(*im));
    uint8_t *mem = malloc(FLASH_SIZE);
    int rc = -1;
    if (!im || !mem || run_dev_key(fw, key, seed) != 0 ||
        run_seal(mv, IMAGE_KIND_MICROVISOR, seed, &im[0]) != 0 ||
        run_seal(app, IMAGE_KIND_APP, seed, &im[1]) != 0)
        goto out;
    if (flash_file_read(fd, FLASH_BASE, mem, FLASH_SIZE) != 0 ||
        run_install_images(mem, seed, &im[0], &im[1], mv, app) != 0 ||
        flash_file_write(fd, FLASH_BASE, mem, FLASH_SIZE) != 0)
        goto out;
    rc = 0;
out:
    if (im) {
        free(im[0].bytes);
        free(im[1].bytes);
    }
    free(im);
    free(mem);
    return rc;
}

static const char run_usage[] =
    "usage: keel run [options] APP.elf|APP.img [-- QEMU-ARGS...]\n"
    "Boots the emulated device (QEMU mps2-an505): boot ROM, microvisor, and the\n"
    "given application. Both images are signed and installed as keel provision\n"
    "installs them (signers, journal, slot A, confirmed); the device's identity\n"
    "is kept if the flash has one. Both consoles print on the terminal, whole\n"
    "lines in the order the device wrote them: the microvisor's (UART0) as they\n"
    "are, the application's (UART1) tagged \"" CONSOLE_APP_TAG "\" so that they cannot pass\n"
    "for the microvisor's. Input goes to the application's UART; Ctrl-C quits.\n"
    "  --flash FILE    keep the device's flash in FILE (created and provisioned\n"
    "                  if missing); default: a temporary flash\n"
    "  --fw DIR        firmware build directory (default " KEEL_DEFAULT_FW_DIR ",\n"
    "                  or $KEEL_FW_DIR)\n"
    "  --microvisor F  microvisor ELF or image (default DIR/microvisor/microvisor.elf)\n"
    "  --key KEY.pem   sign the images with KEY (default: a development key,\n"
    "                  DIR/keel-dev-key.pem, made on first use); the device then\n"
    "                  trusts KEY for both microvisor and app\n"
    "  --no-install    boot whatever the flash holds; APP is not needed\n"
    "  --timeout SEC   stop QEMU after SEC seconds (exit status 124)\n"
    "  --icount        deterministic instruction-counted time (1 ns per instruction)\n"
    "  --gdb           wait for gdb-multiarch on localhost:1234\n"
    "  --no-reboot     a device reset ends QEMU (exit status 0)\n"
    "  --cloud DIR     connect the device to the keel-cloud instance in DIR\n"
    "                  (keel-cloud init DIR): its identity comes from DIR's fleet\n"
    "                  CA and the only network it reaches is DIR's broker\n"
    "  --register      with --cloud: register the device with keel-cloud (the\n"
    "                  keel login, or KEEL_URL / KEEL_TOKEN; deploy scope) before\n"
    "                  it boots; one already registered is left as it is\n"
    "  --update-socket PATH\n"
    "                  put the device's update port (UART2, Secure only) on a\n"
    "                  unix socket at PATH, for keel update --uart PATH\n"
    "  --qmp PATH      QEMU's QMP control socket at PATH (a unix socket), for\n"
    "                  tests: with --cloud, {\"execute\": \"set_link\", \"arguments\":\n"
    "                  {\"name\": \"cloud\", \"up\": false}} cuts the device's network\n";

static pid_t qemu_pid;

static void on_alarm(int sig)
{
    (void)sig;
    if (qemu_pid > 0)
        kill(qemu_pid, SIGKILL);
}

/* keel run stopped (SIGTERM, SIGHUP): QEMU must not outlive it, or an
 * emulated device keeps running, unseen, with nobody to stop it. */
static volatile sig_atomic_t stop_signal;
static void on_stop(int sig)
{
    stop_signal = sig;
    if (qemu_pid > 0)
        kill(qemu_pid, SIGKILL);
}

static int cmd_run(int argc, char **argv)
{
    const char *flash = NULL, *fw = getenv("KEEL_FW_DIR"), *mv = NULL, *app = NULL;
    const char *key = NULL, *update_sock = NULL, *cloud_dir = NULL, *qmp = NULL;
    int install = 1, icount = 0, gdb = 0, noreboot = 0, timeout = 0, reg = 0;
    int i = 1;
    char **extra = NULL;
    int nextra = 0;

    if (!fw)
        fw = KEEL_DEFAULT_FW_DIR;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(run_usage, stdout);
            return 0;
        } else if (!strcmp(a, "--flash") && i + 1 < argc) {
            flash = argv[++i];
        } else if (!strcmp(a, "--fw") && i + 1 < argc) {
            fw = argv[++i];
        } else if (!strcmp(a, "--microvisor") && i + 1 < argc) {
            mv = argv[++i];
        } else if (!strcmp(a, "--key") && i + 1 < argc) {
            key = argv[++i];
        } else if (!strcmp(a, "--register")) {
            reg = 1;
        } else if (!strcmp(a, "--cloud") && i + 1 < argc) {
            cloud_dir = argv[++i];
        } else if (!strcmp(a, "--update-socket") && i + 1 < argc) {
            update_sock = argv[++i];
            if (strchr(update_sock, ',') || strlen(update_sock) >= 108) {
                /* QEMU's option syntax splits at commas; sun_path holds 108 */
                fprintf(stderr, "keel run: --update-socket: a path without commas, "
                                "shorter than 108 bytes\n");
                return 2;
            }
        } else if (!strcmp(a, "--qmp") && i + 1 < argc) {
            qmp = argv[++i];
            if (strchr(qmp, ',') || strlen(qmp) >= 108) {
                fprintf(stderr, "keel run: --qmp: a path without commas, shorter than 108 "
                                "bytes\n");
                return 2;
            }
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            timeout = atoi(argv[++i]);
            if (timeout <= 0) {
                fprintf(stderr, "keel run: --timeout needs a positive number of seconds\n");
                return 2;
            }
        } else if (!strcmp(a, "--no-install")) {
            install = 0;
        } else if (!strcmp(a, "--icount")) {
            icount = 1;
        } else if (!strcmp(a, "--gdb")) {
            gdb = 1;
        } else if (!strcmp(a, "--no-reboot")) {
            noreboot = 1;
        } else if (!strcmp(a, "--")) {
            extra = argv + i + 1;
            nextra = argc - i - 1;
            break;
        } else if (a[0] == '-') {
            fprintf(stderr, "keel run: unknown option '%s'\n%s", a, run_usage);
            return 2;
        } else if (!app) {
            app = a;
        } else {
            fprintf(stderr, "keel run: more than one application given\n");
            return 2;
        }
    }
    if (install && !app) {
        fprintf(stderr, "%s", run_usage);
        return 2;
    }

    char bootrom[4096], mvpath[4096], tmpflash[] = "/tmp/keel-flash-XXXXXX";
    snprintf(bootrom, sizeof(bootrom), "%s/boot/bootrom.bin", fw);
    snprintf(mvpath, sizeof(mvpath), "%s", mv ? mv : "");
    if (!mv)
        snprintf(mvpath, sizeof(mvpath), "%s/microvisor/microvisor.elf", fw);
    if (reg && !cloud_dir) {
        fprintf(stderr, "keel run: --register needs --cloud DIR\n");
        return 2;
    }
    if (access(bootrom, R_OK) != 0) {
        fprintf(stderr, "keel run: no boot ROM at %s (build first: make, or pass --fw)\n", bootrom);
        return 1;
    }
    if (!flash) {
        int t = mkstemp(tmpflash);
        if (t < 0) {
            perror("keel run: temporary flash");
            return 1;
        }
        close(t);
        flash = tmpflash;
    }
    int fd = flash_file_open(flash);
    if (fd < 0) {
        fprintf(stderr, "keel run: %s: %s\n", flash, strerror(errno));
        return 1;
    }
    static struct run_cloud cloud;
    static char nic[8192];
    if (cloud_dir && (run_cloud_load(cloud_dir, &cloud) != 0 ||
                      run_cloud_nic(&cloud, nic, sizeof(nic)) != 0)) {
        close(fd);
        run_cloud_free(&cloud);
        fprintf(stderr, "keel run: cannot connect the device to %s\n", cloud_dir);
        return 1;
    }
    char id[PROVISION_ID_LEN + 1] = "";
    int rc = run_provision(fd, fw, cloud_dir ? &cloud : NULL, id);
    run_cloud_free(&cloud);
    if (rc == 0 && reg && run_cloud_register(id) != 0) {
        close(fd);
        fprintf(stderr, "keel run: device %s not registered\n", id);
        return 1;
    }
    if (rc == 0 && install)
        rc = run_install(fd, fw, key, mvpath, app);
    close(fd);
    if (rc != 0) {
        fprintf(stderr, "keel run: could not prepare the flash\n");
        return 1;
    }

    static struct console_relay relay;
    if (console_relay_open(&relay) != 0)
        return 1;
    char loader[4200], backend[4200], port[4200], qmparg[4200];
    snprintf(loader, sizeof(loader), "loader,file=%s,addr=0x%08x,force-raw=on", bootrom,
             BOOTROM_CODE_BASE);
    snprintf(backend, sizeof(backend),
             "memory-backend-file,id=flash,size=16M,mem-path=%s,share=on", flash);
    const char *args[64 + 32];
    int n = 0;
    const char *base[] = {
        "qemu-system-arm", "-M", "mps2-an505", "-display", "none", "-monitor", "none",
        "-chardev", relay.chardev[0], "-serial", "chardev:uart0",
        "-chardev", relay.chardev[1], "-serial", "chardev:uart1",
        "-semihosting-config", "enable=on,target=native",
        "-device", loader, "-object", backend, "-machine", "memory-backend=flash",
    };
    for (size_t k = 0; k < sizeof(base) / sizeof(base[0]); k++)
        args[n++] = base[k];
    if (update_sock) {
        /* UART2, after the two consoles: -serial order is UART order */
        snprintf(port, sizeof(port), "unix:%s,server=on,wait=off", update_sock);
        args[n++] = "-serial";
        args[n++] = port;
    }
    if (qmp) {
        /* wait=off: the device boots without anyone on the socket */
        snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", qmp);
        args[n++] = "-qmp";
        args[n++] = qmparg;
    }
    if (icount) {
        args[n++] = "-icount";
        args[n++] = "shift=0,align=off,sleep=off";
    }
    if (gdb) {
        args[n++] = "-s";
        args[n++] = "-S";
    }
    if (noreboot)
        args[n++] = "-no-reboot";
    if (cloud_dir) {
        args[n++] = "-nic";
        args[n++] = nic;
    }
    if (nextra > 32) {
        fprintf(stderr, "keel run: too many QEMU arguments\n");
        return 2;
    }
    for (int k = 0; k < nextra; k++)
        args[n++] = extra[k];
    args[n] = NULL;

    fflush(stdout);
    qemu_pid = fork();
    if (qemu_pid < 0) {
        perror("keel run: fork");
        return 1;
    }
    if (qemu_pid == 0) {
        console_relay_child(&relay);
        execvp(args[0], (char *const *)args);
        perror("keel run: qemu-system-arm");
        _exit(127);
    }
    signal(SIGINT, SIG_IGN); /* QEMU gets the terminal's Ctrl-C */
    signal(SIGTERM, on_stop);
    signal(SIGHUP, on_stop);
    if (timeout) {
        signal(SIGALRM, on_alarm);
        alarm((unsigned)timeout);
    }
    int status = console_relay_run(&relay, qemu_pid);
    if (flash == tmpflash)
        unlink(tmpflash);
    if (stop_signal)
        return 128 + stop_signal;
    if (WIFSIGNALED(status))
        return WTERMSIG(status) == SIGKILL && timeout ? 124 : 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        puts("usage: keel <verb> [options]\n"
             "verbs:\n"
             "  pack   turn an ELF into a Keel image\n"
             "  run    boot the emulated device with an application\n"
             "  keygen make an Ed25519 signing key\n"
             "  bundle turn an ELF into a bundle: signed manifest + image\n"
             "  sign   sign a bundle's manifest\n"
             "  inspect print a bundle's manifest\n"
             "  verify check a bundle's signature and image as a device does\n"
             "  provision write a device's flash: identity, signers, first images\n"
             "  update stream a bundle into a running device over its update port\n"
             "  relay  (used by run --cloud) a byte pipe from stdin/stdout to HOST PORT\n"
             "cloud (keel-cloud, docs/cloud.md; -o json on each):\n"
             "  login, signers, apps, devices, deploy, deployments, logs, config, secret\n"
             "`keel <verb> --help` for details.\n"
             "exit codes: 0 ok, 1 failure, 2 usage, 4 cloud authentication or permission");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "pack"))
        return cmd_pack(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "relay"))
        return cmd_relay(argc - 1, argv + 1);
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } verbs[] = {{"keygen", cmd_keygen}, {"bundle", cmd_bundle}, {"sign", cmd_sign},
                 {"inspect", cmd_inspect}, {"verify", cmd_verify},
                 {"provision", cmd_provision}, {"update", cmd_update},
                 {"login", cmd_cloud}, {"signers", cmd_cloud}, {"apps", cmd_cloud}, {"devices", cmd_cloud},
                 {"deploy", cmd_cloud}, {"deployments", cmd_cloud}, {"logs", cmd_cloud},
                 {"config", cmd_cloud}, {"secret", cmd_cloud}};
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (!strcmp(argv[1], verbs[i].name))
            return verbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "keel: unknown verb '%s' (see keel --help)\n", argv[1]);
    return 2;
}
