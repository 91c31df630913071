/*
 * keel update: streams a bundle into a running device's update engine over
 * its update port (docs/update-uart.md), which QEMU exposes as a unix
 * socket (keel run --update-socket PATH).
 *
 * IMPLEMENTATION NOTES
 * Stop and wait: one request, then its response (matched by type and
 * sequence number), with a timeout and a bounded number of resends, so a
 * lost or garbled frame in either direction costs one timeout. Resuming is
 * the device's business: BEGIN with a manifest the device already holds
 * answers with the offset it has, and the host continues from there (also
 * after a WRITE answered "chunk not at the expected offset", which is what
 * a resend of an already-applied chunk gets). After any other error the
 * download is opened again with BEGIN, a bounded number of times.
 * A staged image that was damaged in the device's flash since it was
 * verified (FINISH answers UPDATE_E_DAMAGED) is opened again the same way:
 * the device resumes at its damaged part. What ACTIVATE did (rebooting,
 * deferred until the other component's trial ends, already the next
 * trial) is printed as the device answered it, never assumed.
 * Responses are parsed with the device's own parser (lib/uproto).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "manifest.h"
#include "update.h"
#include "uproto.h"

static const char usage[] =
    "usage: keel update --uart SOCKET [options] BUNDLE\n"
    "Streams BUNDLE (keel bundle) into a running device's update engine over\n"
    "its update port, which QEMU exposes as a unix socket (keel run\n"
    "--update-socket SOCKET), then has the device verify the image against\n"
    "its signed manifest and activate it: the device boots it on trial.\n"
    "An interrupted update resumes: run the same command again (also after the\n"
    "device rebooted) and it continues from where the device's flash stopped.\n"
    "  --uart SOCKET     the device's update port (a unix socket)\n"
    "  --no-activate     stop after the device has verified the image\n"
    "  --no-reboot       activate, but do not reboot the device now\n"
    "  --timeout SEC     give up on a silent device after SEC seconds per\n"
    "                    request (default 3; verifying may take 20 times longer)\n"
    "  --connect SEC     wait up to SEC seconds for the socket (default 10)\n"
    "  --quiet           no progress lines\n"
    "A bundle the device already runs, confirmed, is not sent again: keel update\n"
    "says so and exits 0. A staged image damaged in the device's flash is\n"
    "repaired: its damaged part is sent again.\n"
    "If the other component is on trial, the device activates the image at once\n"
    "but reboots into it only when that trial ends (a reboot now would revert it);\n"
    "keel update says so and how long that should take.\n"
    "Exit status: 0 done (or already installed), 1 the device refused (the reason\n"
    "is printed), 2 usage, 3 no answer from the device.\n";

struct link {
    int fd;
    uint8_t seq;
    int timeout_ms;
    struct uproto_parser parser;
};

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int link_open(struct link *l, const char *path, int connect_s)
{
    struct sockaddr_un a;
    if (strlen(path) >= sizeof(a.sun_path)) {
        fprintf(stderr, "keel update: socket path too long: %s\n", path);
        return -1;
    }
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    long deadline = now_ms() + connect_s * 1000L;
    for (;;) {
        l->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (l->fd < 0) {
            perror("keel update: socket");
            return -1;
        }
        if (connect(l->fd, (struct sockaddr *)&a, sizeof(a)) == 0)
            break;
        int e = errno;
        close(l->fd);
        l->fd = -1;
        if (now_ms() >= deadline) {
            fprintf(stderr, "keel update: %s: %s (is the device running with "
                            "keel run --update-socket?)\n", path, strerror(e));
            return -1;
        }
        usleep(20000);
    }
    /* a device that stops reading (QEMU takes a byte only when the guest
     * has read the last) must not block a send for ever */
    struct timeval tv = {.tv_sec = l->timeout_ms / 1000, .tv_usec = (l->timeout_ms % 1000) * 1000};
    setsockopt(l->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    uproto_parser_init(&l->parser);
    return 0;
}

/* Sends one request and waits for its response; resends on silence.
 * 0 with *r, or -1 if the device never answered. */
static int transact(struct link *l, uint8_t type, const uint8_t *pl, size_t len, int slow,
                    struct uproto_response *r)
{
    static uint8_t frame[UPROTO_FRAME_MAX];
    uint8_t in[256];
    for (int attempt = 0; attempt < 4; attempt++) {
        uint8_t seq = ++l->seq;
        size_t n = uproto_encode(type, seq, pl, len, frame, sizeof(frame));
        if (n == 0)
            return -1;
        if (send(l->fd, frame, n, MSG_NOSIGNAL) != (ssize_t)n) {
            fprintf(stderr, "keel update: the device went away (%s)\n", strerror(errno));
            return -1;
        }
        long deadline = now_ms() + (long)l->timeout_ms * (slow ? 20 : 1);
        for (;;) {
            long left = deadline - now_ms();
            if (left <= 0)
                break;
            struct pollfd p = {.fd = l->fd, .events = POLLIN};
            if (poll(&p, 1, (int)left) <= 0)
                continue;
            ssize_t got = recv(l->fd, in, sizeof(in), 0);
            if (got <= 0) {
                fprintf(stderr, "keel update: the device went away\n");
                return -1;
            }
            size_t off = 0;
            while (off < (size_t)got) {
                struct uproto_frame f;
                size_t used;
                int rc = uproto_feed(&l->parser, in + off, (size_t)got - off,
                                     (uint32_t)now_ms(), &used, &f);
                off += used;
                if (rc == UPROTO_FRAME && f.type == (type | UPROTO_RESPONSE) && f.seq == seq &&
                    uproto_response_decode(&f, r) == UPROTO_OK)
                    return 0;
            }
        }
    }
    fprintf(stderr, "keel update: no answer from the device\n");
    return -1;
}

static void print_refusal(const char *what, const struct uproto_response *r)
{
    const char *s = uproto_strerror(r->status);
    fprintf(stderr, "keel update: the device refused %s: %s", what,
            s ? s : update_strerror(r->status));
    if (r->status == UPDATE_E_MANIFEST)
        fprintf(stderr, ": %s", manifest_strerror(r->detail));
    if (r->status == UPDATE_E_FLASH)
        fprintf(stderr, " (flash error %d)", r->detail);
    fputc('\n', stderr);
}

/* What the device says its activation did (UPROTO_ACT_*). */
static void print_activation(const char *path, const struct uproto_response *r)
{
    const char *other = r->comp == MANIFEST_COMP_MICROVISOR ? "microvisor" : "application";
    uint8_t what = (uint8_t)r->detail & ~UPROTO_ACT_ALREADY;
    printf("%s: %s ", r->detail & UPROTO_ACT_ALREADY ? "already activated" : "activated", path);
    if (r->detail & UPROTO_ACT_ALREADY)
        printf("(it was the device's next trial already; nothing written) ");
    if (what == UPROTO_ACT_NO_REBOOT)
        printf("(the device boots it, on trial, at its next reset)\n");
    else if (what == UPROTO_ACT_DEFERRED)
        printf("(the device reboots into it, on trial, once its %s's trial ends, in about "
               "%u s: a reboot now would revert that trial)\n", other,
               (r->next + 999u) / 1000u);
    else if (what == UPROTO_ACT_ENDS_TRIAL)
        printf("(the device reboots into it, on trial; the reboot ends the %s's trial, "
               "which could not pass any more: it reverts)\n", other);
    else
        printf("(the device reboots into it, on trial)\n");
}

static void progress(int quiet, uint32_t done, uint32_t total, int *shown)
{
    int pct = total ? (int)((uint64_t)done * 100u / total) : 100;
    if (quiet || pct / 10 == *shown / 10)
        return;
    *shown = pct;
    fprintf(stderr, "keel update: %3d%% (%u of %u bytes)\n", pct, done, total);
}

#define STREAM_INSTALLED 10 /* the device runs this image, confirmed */

/* BEGIN then WRITEs until the device has the whole image. 0, 1 refused,
 * 3 no answer, STREAM_INSTALLED. */
static int stream(struct link *l, const struct bundle *b, int quiet)
{
    struct uproto_response r;
    uint8_t chunk[4 + UPROTO_CHUNK_MAX];
    int shown = -1;
    for (int opens = 0; opens < 4; opens++) {
        if (transact(l, UPROTO_BEGIN, b->envelope, b->envelope_len, 1, &r))
            return 3;
        if (r.status == UPDATE_E_INSTALLED)
            return STREAM_INSTALLED;
        if (r.status) {
            print_refusal("the manifest", &r);
            return 1;
        }
        if (r.total != b->image_len) {
            fprintf(stderr, "keel update: the device expects %u image bytes, the bundle "
                            "has %zu\n", r.total, b->image_len);
            return 1;
        }
        if (!quiet && r.next)
            fprintf(stderr, "keel update: resuming at byte %u of %u\n", r.next, r.total);
        uint32_t next = r.next;
        int failed = 0;
        while (next < r.total && r.state == UPDATE_DOWNLOADING) {
            uint32_t max = r.chunk_max && r.chunk_max <= UPROTO_CHUNK_MAX ? r.chunk_max
                                                                          : UPROTO_CHUNK_MAX;
            uint32_t n = r.total - next < max ? r.total - next : max;
            chunk[0] = (uint8_t)next;
            chunk[1] = (uint8_t)(next >> 8);
            chunk[2] = (uint8_t)(next >> 16);
            chunk[3] = (uint8_t)(next >> 24);
            memcpy(chunk + 4, b->image + next, n);
            if (transact(l, UPROTO_WRITE, chunk, 4 + n, 0, &r))
                return 3;
            if (r.status && r.status != UPDATE_E_OFFSET) {
                print_refusal("a chunk", &r);
                failed = 1;
                break;
            }
            if (r.next > r.total || r.state != UPDATE_DOWNLOADING) {
                failed = 1; /* the device lost the download: open it again */
                break;
            }
            next = r.next;
            progress(quiet, next, r.total, &shown);
        }
        if (!failed)
            return 0;
    }
    fprintf(stderr, "keel update: giving up after repeated failures\n");
    return 1;
}

int cmd_update(int argc, char **argv)
{
    const char *sock = NULL, *path = NULL;
    int activate = 1, reboot = 1, quiet = 0, timeout_s = 3, connect_s = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--uart") && i + 1 < argc) {
            sock = argv[++i];
        } else if ((!strcmp(a, "--timeout") || !strcmp(a, "--connect")) && i + 1 < argc) {
            int v = atoi(argv[++i]);
            if (v <= 0) {
                fprintf(stderr, "keel update: %s needs a positive number of seconds\n", a);
                return 2;
            }
            *(a[2] == 't' ? &timeout_s : &connect_s) = v;
        } else if (!strcmp(a, "--no-activate")) {
            activate = 0;
        } else if (!strcmp(a, "--no-reboot")) {
            reboot = 0;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "keel update: unknown option '%s' (or it needs a value)\n%s", a,
                    usage);
            return 2;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "keel update: more than one bundle given\n");
            return 2;
        }
    }
    if (!sock || !path) {
        fprintf(stderr, "keel update: --uart SOCKET and BUNDLE are required\n%s", usage);
        return 2;
    }
    struct bundle b;
    char err[512];
    if (bundle_read(path, &b, err, sizeof(err)) != 0) {
        fprintf(stderr, "keel update: %s\n", err);
        return 1;
    }
    struct link l = {.fd = -1, .seq = (uint8_t)getpid(), .timeout_ms = timeout_s * 1000};
    struct uproto_response r;
    int rc = 3;
    if (link_open(&l, sock, connect_s) != 0)
        goto out;
    if (transact(&l, UPROTO_STATUS, NULL, 0, 0, &r))
        goto out;
    if (r.version != UPROTO_VERSION) {
        fprintf(stderr, "keel update: the device speaks update protocol %u, not %u\n",
                r.version, UPROTO_VERSION);
        rc = 1;
        goto out;
    }
    /* a staged image found damaged at FINISH is opened again: the device
     * resumes at its damaged part (bounded, like every reopen) */
    for (int pass = 0;; pass++) {
        if ((rc = stream(&l, &b, quiet)) == STREAM_INSTALLED) {
            printf("already installed: %s is the device's confirmed image; nothing sent\n",
                   path);
            rc = 0;
            goto out;
        }
        if (rc != 0)
            goto out;
        if (!quiet)
            fprintf(stderr, "keel update: all %zu bytes on the device; it verifies them\n",
                    b.image_len);
        rc = 3;
        if (transact(&l, UPROTO_FINISH, NULL, 0, 1, &r))
            goto out;
        rc = 1;
        if (r.status == UPDATE_E_DAMAGED && pass < 3) {
            fprintf(stderr, "keel update: the image staged on the device was damaged in its "
                            "flash since it was verified; sending the damaged part again\n");
            continue;
        }
        if (r.status) {
            print_refusal("the image", &r);
            goto out;
        }
        break;
    }
    if (!activate) {
        printf("verified: %s is staged on the device (not activated)\n", path);
        rc = 0;
        goto out;
    }
    uint8_t flags = reboot ? UPROTO_ACTIVATE_REBOOT : 0;
    rc = 3;
    if (transact(&l, UPROTO_ACTIVATE, &flags, 1, 0, &r))
        goto out;
    rc = 1;
    if (r.status) {
        print_refusal("activation", &r);
        goto out;
    }
    print_activation(path, &r);
    rc = 0;
out:
    if (l.fd >= 0)
        close(l.fd);
    bundle_free(&b);
    return rc;
}
