/*
 * fuzz_ota: the OTA client against a cloud that says anything. The input
 * is a list of operations: polls with time passing, correct answers to
 * the oldest fetch in flight (so that downloads get somewhere), answers
 * with fuzzed fields and bytes, raw chunk and deployment payloads,
 * session drops, reboots (a new update context and client on the same
 * flash). After every operation: the report says done <= total, the
 * staging buffer is lent at most once and only while an envelope is
 * fetched, and an activated image is always the deployment's, with every
 * layer hashing (the engine's full check): nothing the cloud sends can
 * get other bytes activated.
 */
#include "harness.h"

#include "ota.h"
#include "proto.h"

static const char ID[] = "UV0123456789abcdef0123456789abcdef";
#define LAYER 3001u

static struct image mv1, app1, app2;
static uint8_t bundle[32], env_digest[32], *snap_mem, *snap_bits;
static flash_sim_t snap_sim;
static update_t u;
static uint8_t stage[MANIFEST_MAX_SIZE];
static bool lent;
static struct ota o;

static update_t *e_update(void *ctx) { (void)ctx; return &u; }
static uint8_t *e_stage(void *ctx)
{
    (void)ctx;
    if (lent)
        abort(); /* lent twice */
    lent = true;
    return stage;
}
static void e_unstage(void *ctx) { (void)ctx; lent = false; }
static void e_restart(void *ctx, uint32_t comp) { (void)ctx; (void)comp; }
static const struct ota_engine eng = { e_update, e_stage, e_unstage, e_restart, NULL };

static int publish(void *ctx, const char *topic, const uint8_t *p, size_t len)
{
    (void)ctx; (void)topic; (void)p; (void)len;
    return 0;
}

static void boot(uint32_t seed)
{
    struct update_boot_result r;
    if (boot_ctx(&u) != UPDATE_OK)
        abort();
    (void)update_boot(&u, MANIFEST_COMP_MICROVISOR, &r);
    (void)update_boot(&u, MANIFEST_COMP_APP, &r);
    lent = false;
    ota_init(&o, ID, &eng, seed);
    ota_session(&o, true, 0);
}

static void deploy(uint64_t id, const uint8_t sha[32])
{
    struct proto_deploy d = { .msg_id = id, .deployment_id = id, .size = 1 };
    uint8_t b[128];
    size_t n;
    memcpy(d.sha256, sha, 32);
    if (proto_deploy_encode(&d, b, sizeof(b), &n) == PROTO_OK)
        (void)ota_deployment(&o, b, n, 0);
}

static void setup(void)
{
    struct update_boot_result r;
    harness_init();
    make_image(&mv1, MANIFEST_COMP_MICROVISOR, 0x01000000, 1, 1000, 1, seed_mv);
    make_image(&app1, MANIFEST_COMP_APP, 0x01000000, 1, 1000, 1, seed_app);
    make_image(&app2, MANIFEST_COMP_APP, 0x01010000, 2, LAYER, 2, seed_app);
    memset(bundle, 0x5B, sizeof(bundle)); /* a name only (the bundle file's hash) */
    keel_ossl_sha256(app2.env, app2.env_len, env_digest);
    if (boot_ctx(&u) || update_journal_format(&u) || install(&u, &mv1, 1024) ||
        install(&u, &app1, 1024) || boot_ctx(&u) ||
        update_boot(&u, MANIFEST_COMP_MICROVISOR, &r) ||
        update_confirm(&u, MANIFEST_COMP_MICROVISOR) || update_boot(&u, MANIFEST_COMP_APP, &r) ||
        update_confirm(&u, MANIFEST_COMP_APP))
        abort();
    snap_mem = malloc(FLASH_SIZE);
    snap_bits = malloc(FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
    memcpy(snap_mem, mem, FLASH_SIZE);
    memcpy(snap_bits, bitmap, FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
    snap_sim = sim;
}

/* The bytes of the object the client is fetching. */
static const uint8_t *object(uint32_t *size)
{
    if (o.st == OTA_ENVELOPE) {
        *size = (uint32_t)app2.env_len;
        return app2.env;
    }
    *size = LAYER;
    return app2.bytes + (size_t)(o.layer > 0 ? o.layer : 0) * ((LAYER + 15) & ~15u);
}

static void answer(const struct ota_fetch_slot *f, uint8_t flip, uint32_t now)
{
    uint32_t size;
    const uint8_t *obj = object(&size);
    static uint8_t buf[PROTO_CHUNK_MAX];
    uint8_t msg[PROTO_CHUNK_MAX + 64];
    size_t n;
    if (f->offset >= size)
        return;
    uint32_t len = size - f->offset < f->length ? size - f->offset : f->length;
    memcpy(buf, obj + f->offset, len);
    if (flip)
        buf[flip % len] ^= (uint8_t)(1u << (flip & 7u));
    struct proto_chunk c = { f->req_id, 0, f->offset, size, buf, len };
    if (proto_chunk_encode(&c, msg, sizeof(msg), &n) == PROTO_OK)
        (void)ota_chunk(&o, msg, n, now);
}

static void check(void)
{
    struct proto_ota_report r;
    if (ota_report(&o, &r) && r.done > r.total)
        abort();
    if (lent != (o.stage != NULL))
        abort();
    const struct update_comp_state *s = update_state(&u, MANIFEST_COMP_APP);
    if (s->trial.set) {
        struct update_slot_info info;
        if (memcmp(s->trial.digest, env_digest, 8) != 0 ||
            update_slot_check(&u, MANIFEST_COMP_APP, s->trial.slot, true, &info) != UPDATE_OK)
            abort(); /* activated bytes that are not the signed image */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    memcpy(mem, snap_mem, FLASH_SIZE);
    memcpy(bitmap, snap_bits, FLASH_SIM_BITMAP_SIZE(FLASH_SIZE, 16));
    sim = snap_sim;
    boot(1);
    deploy(1, bundle);
    uint32_t now = 0;
    bool up = true;
    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++], arg = i < size ? data[i] : 0;
        switch (op % 8) {
        case 0: /* time passes, a poll */
            now += 50u * (arg + 1u);
            i++;
            (void)ota_poll(&o, now, publish, NULL);
            break;
        case 1: /* the right answers, many times: downloads progress */
        case 2:
            for (unsigned k = 0; k < 1u + arg % 32u; k++) {
                (void)ota_poll(&o, now, publish, NULL);
                for (unsigned j = 0; j < OTA_INFLIGHT; j++)
                    if (o.fl[j].used && o.fl[j].sent)
                        answer(&o.fl[j], 0, now);
                now += 10;
                check();
            }
            i++;
            break;
        case 3: /* a right answer with one bit flipped */
            (void)ota_poll(&o, now, publish, NULL);
            for (unsigned j = 0; j < OTA_INFLIGHT; j++)
                if (o.fl[j].used && o.fl[j].sent) {
                    answer(&o.fl[j], (uint8_t)(arg | 1u), now);
                    break;
                }
            i++;
            break;
        case 4: { /* a chunk with fuzzed fields for a fetch in flight */
            uint8_t b[24] = { 0 };
            size_t take = size - i < sizeof(b) ? size - i : sizeof(b);
            memcpy(b, data + i, take);
            i += take;
            (void)ota_poll(&o, now, publish, NULL);
            const struct ota_fetch_slot *f = &o.fl[b[0] % OTA_INFLIGHT];
            struct proto_chunk c = {
                .req_id = (b[1] & 1) ? f->req_id : (uint32_t)(b[2] | b[3] << 8),
                .status = (int8_t)(b[4] & 0x83) == (int8_t)0x83 ? -(b[4] & 3) : 0,
                .offset = (b[5] & 1) ? f->offset : (uint32_t)(b[6] | b[7] << 8),
                .total = (b[8] & 1) ? (uint32_t)(b[9] | b[10] << 8 | b[11] << 16) : LAYER,
                .data = data, .len = (size_t)(b[12] | (b[13] & 3) << 8) % (size + 1),
            };
            if (c.status)
                c.total = 0, c.len = 0;
            uint8_t msg[PROTO_CHUNK_MAX + 64];
            size_t n;
            if (c.len <= PROTO_CHUNK_MAX && proto_chunk_encode(&c, msg, sizeof(msg), &n) == PROTO_OK)
                (void)ota_chunk(&o, msg, n, now);
            break;
        }
        case 5: { /* raw payloads on the chunk or deployment topic */
            size_t n = arg < size - i ? arg : size - i;
            if (i < size)
                i++;
            if (op & 8)
                (void)ota_deployment(&o, data + i, n, now);
            else
                (void)ota_chunk(&o, data + i, n, now);
            i += n;
            break;
        }
        case 6: /* the session drops or comes back */
            up = !up;
            ota_session(&o, up, now);
            break;
        default: /* a reboot, or the deployment again (or another one) */
            if (arg & 1) {
                boot(now);
                up = true;
            }
            if (arg & 2) {
                uint8_t other[32];
                memcpy(other, bundle, 32);
                other[0] ^= arg;
                deploy(2, other);
            } else {
                deploy(1, bundle);
            }
            i++;
            break;
        }
        check();
    }
    if (getenv("FUZZ_OTA_VERBOSE")) /* what a seed reaches */
        fprintf(stderr, "fuzz_ota: %s, trial %d, dropped %u\n", ota_state_name(o.st),
                update_state(&u, MANIFEST_COMP_APP)->trial.set, o.stats.dropped);
    return 0;
}
