/*
 * manifest.h: Keel's signed image manifests and key-rotation messages
 * (lib/manifest), shared by the device (decode + verify), the CLI and the
 * cloud (encode). docs/images.md is the format's reference; in short:
 *
 *   envelope = COSE_Sign1 (RFC 9052), tag 18:
 *     18([ protected: bstr .cbor { 1 (alg): -8 (EdDSA), 4 (kid): bstr },
 *          unprotected: {},
 *          payload: bstr .cbor message,
 *          signature: bstr (64, Ed25519 over the Sig_structure
 *                     ["Signature1", protected, h'', payload]) ])
 *   message = { 1 (type): 1 manifest | 2 key rotation, ... }
 *
 * Everything is deterministic CBOR; maps must have unsigned integer keys in
 * increasing order. Keys below 64 are critical: an unknown one is rejected
 * (MANIFEST_E_UNKNOWN_CRITICAL); keys from 64 up are ignorable extensions.
 * In the protected header an unknown label is ignored unless the crit
 * header (2) lists it.
 *
 * Crypto is not linked in: the device passes lib/crypto through struct
 * manifest_crypto, host tests and tools pass OpenSSL, so this library
 * builds before and without either.
 *
 * Errors: 0 or a negative MANIFEST_E_* code, each a precise reason
 * (manifest_strerror). Verdicts: MANIFEST_OK is 0 and the signature
 * failure is checked twice.
 *
 * Ownership: every function borrows its buffers for the call only; parsed
 * structs hold copies, never pointers into the input, except struct
 * manifest_cose which points into the envelope it was parsed from.
 */
#ifndef KEEL_MANIFEST_H
#define KEEL_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef MANIFEST_MAX_SIZE
#define MANIFEST_MAX_SIZE 2048u /* a whole envelope */
#endif
#define MANIFEST_MAX_LAYERS 4u
#define MANIFEST_KID_MAX 16u
#define MANIFEST_KID_SIZE 8u      /* kids keel makes: SHA-256(pk)[0..8) */
#define MANIFEST_MAX_RESTARTS 8u
#ifndef MANIFEST_MAX_KEYS
#define MANIFEST_MAX_KEYS 8u      /* trusted signers, all scopes */
#endif
#define MANIFEST_MAX_ROTATION_KEYS 4u /* adds or removes per message */
/* Scratch a caller lends manifest_open for the Sig_structure. */
#define MANIFEST_SCRATCH_SIZE (MANIFEST_MAX_SIZE + 32u)
#define MANIFEST_ALG_EDDSA (-8)
#define MANIFEST_COSE_TAG 18u

#define MANIFEST_OK 0
#define MANIFEST_E_TOO_LARGE (-1)        /* envelope over MANIFEST_MAX_SIZE */
#define MANIFEST_E_CBOR (-2)             /* malformed or non-deterministic CBOR */
#define MANIFEST_E_NOT_SIGN1 (-3)        /* not tag 18 with a 4-element array */
#define MANIFEST_E_TRAILING (-4)         /* bytes after the envelope or a bstr .cbor */
#define MANIFEST_E_HEADER (-5)           /* protected/unprotected header malformed */
#define MANIFEST_E_ALG (-6)              /* alg missing or not EdDSA */
#define MANIFEST_E_KID (-7)              /* kid missing, empty or too long */
#define MANIFEST_E_UNKNOWN_KID (-8)      /* no trusted signer with that kid for that component */
#define MANIFEST_E_SIGNATURE (-9)        /* signature not 64 bytes or does not verify */
#define MANIFEST_E_UNKNOWN_CRITICAL (-10) /* a critical key or header not understood */
#define MANIFEST_E_KEY_ORDER (-11)       /* map keys duplicated or out of order */
#define MANIFEST_E_TYPE (-12)            /* message type unknown or not the expected one */
#define MANIFEST_E_MISSING (-13)         /* a required field is missing */
#define MANIFEST_E_FIELD (-14)           /* a field has the wrong type or is out of range */
#define MANIFEST_E_COMPONENT (-15)       /* component unknown or not the expected one */
#define MANIFEST_E_LAYERS (-16)          /* no layers, too many, or a layer malformed */
#define MANIFEST_E_HASH (-17)            /* a layer digest is not 32 bytes */
#define MANIFEST_E_POLICY (-18)          /* app policy malformed, or on a microvisor */
#define MANIFEST_E_MIN_MV (-19)          /* app without minimum microvisor version, or mv with one */
#define MANIFEST_E_ROTATION (-20)        /* rotation replayed, empties a scope or overflows the store */
#define MANIFEST_E_NOSPACE (-21)         /* encoder or scratch buffer too small */
#define MANIFEST_E_LAYER_MISMATCH (-22)  /* image bytes do not hash to the layer digest */
#define MANIFEST_E_COUNT 23

enum manifest_component {
    MANIFEST_COMP_MICROVISOR = 1,
    MANIFEST_COMP_APP = 2,
};

enum manifest_type {
    MANIFEST_TYPE_IMAGE = 1,
    MANIFEST_TYPE_ROTATION = 2,
};

/* Payload keys (docs/images.md) */
enum {
    MANIFEST_K_TYPE = 1,
    MANIFEST_K_COMPONENT = 2,
    MANIFEST_K_VERSION = 3,
    MANIFEST_K_COUNTER = 4,
    MANIFEST_K_LAYERS = 5,
    MANIFEST_K_MIN_MV = 6,
    MANIFEST_K_POLICY = 7,
    MANIFEST_K_FIRST_NONCRITICAL = 64,
};

/* App update politeness, as Twilio's bundle has it. */
enum manifest_politeness {
    MANIFEST_UPDATE_IMMEDIATE = 0, /* restart into the new app at once */
    MANIFEST_UPDATE_POLITE = 1,    /* tell the app; restart when it agrees */
    MANIFEST_UPDATE_ON_RESTART = 2,/* wait for the next restart */
};

struct manifest_layer {
    uint32_t target;     /* load address of the layer's bytes */
    uint32_t size;       /* bytes, > 0 */
    uint8_t sha256[32];
};

struct manifest_policy {
    bool debug;                    /* a debugger may attach to the app */
    uint8_t n_restarts;
    uint32_t restart_ms[MANIFEST_MAX_RESTARTS]; /* delays before restart k after a crash */
    uint32_t politeness;           /* enum manifest_politeness */
    uint32_t checkin_s;            /* connectivity check-in interval, 0 = default */
    uint32_t trial_s;              /* health time: a new version that runs this long
                                    * without crashing is confirmed; 0 = default
                                    * (MANIFEST_TRIAL_DEFAULT_S); at most
                                    * MANIFEST_TRIAL_MAX_S */
};

#define MANIFEST_TRIAL_DEFAULT_S 10u
#define MANIFEST_TRIAL_MAX_S 86400u

struct manifest {
    uint32_t component;            /* enum manifest_component */
    uint32_t version;              /* major << 24 | minor << 16 | patch */
    uint32_t security_counter;     /* anti-rollback: never below the device's floor */
    uint32_t min_mv_version;       /* apps: oldest microvisor that runs it; mv: 0 */
    uint32_t n_layers;
    struct manifest_layer layers[MANIFEST_MAX_LAYERS];
    bool has_policy;               /* apps only */
    struct manifest_policy policy;
};

struct manifest_key {
    uint8_t kid_len;
    uint8_t kid[MANIFEST_KID_MAX];
    uint8_t public_key[32];
    uint32_t scopes;               /* bit (1 << component) per component it may sign */
};

struct manifest_rotation {
    uint32_t scope;                /* the component whose signers change */
    uint32_t sequence;             /* strictly increasing per scope */
    uint32_t n_add, n_remove;
    struct manifest_key add[MANIFEST_MAX_ROTATION_KEYS]; /* scopes unused */
    struct {
        uint8_t kid_len;
        uint8_t kid[MANIFEST_KID_MAX];
    } remove[MANIFEST_MAX_ROTATION_KEYS];
};

/* The device's trust anchors: who may sign what. */
struct manifest_trust {
    uint32_t n_keys;
    struct manifest_key keys[MANIFEST_MAX_KEYS];
    uint32_t rotation_seq[3];      /* last applied sequence, by scope */
};

/* A parsed (not yet verified) envelope: pointers into the caller's bytes. */
struct manifest_cose {
    const uint8_t *protected_hdr; size_t protected_len;
    const uint8_t *payload; size_t payload_len;
    const uint8_t *signature; size_t signature_len;
    const uint8_t *kid; size_t kid_len;
};

/* A verified message: the signer and one of the two bodies. */
struct manifest_msg {
    uint32_t type;                 /* enum manifest_type */
    uint8_t kid_len;
    uint8_t kid[MANIFEST_KID_MAX];
    union {
        struct manifest image;
        struct manifest_rotation rotation;
    } u;
};

typedef struct {
    uint64_t opaque[32];           /* room for any SHA-256 context */
} manifest_sha256_ctx;

/* The verifier: 0 if sig is pk's Ed25519 signature of msg, anything else
 * if not. lib/crypto's crypto_ed25519_verify has exactly this type. */
typedef int (*manifest_verify_fn)(const uint8_t sig[64], const uint8_t public_key[32],
                                  const void *msg, size_t len);

struct manifest_crypto {
    manifest_verify_fn ed25519_verify;
    void (*sha256_init)(manifest_sha256_ctx *ctx);
    void (*sha256_update)(manifest_sha256_ctx *ctx, const void *data, size_t len);
    void (*sha256_final)(manifest_sha256_ctx *ctx, uint8_t out[32]);
};

/* ---- Decode (device) ------------------------------------------------------- */

/* Parses the COSE_Sign1 structure and protected header (no signature
 * check). out points into buf. */
int manifest_cose_parse(const uint8_t *buf, size_t len, struct manifest_cose *out);
/* Parses a message payload into msg (type and body; kid untouched). */
int manifest_payload_parse(const uint8_t *payload, size_t len, struct manifest_msg *msg);
/*
 * The whole check: structure, payload, signer, signature. The signer must
 * be in trust with the scope of the message (an image's component, a
 * rotation's scope). scratch (MANIFEST_SCRATCH_SIZE bytes, caller's, not
 * aliasing buf) holds the Sig_structure. MANIFEST_OK with *msg filled, or
 * the first reason found (msg then undefined).
 */
int manifest_open(const uint8_t *buf, size_t len, const struct manifest_trust *trust,
                  const struct manifest_crypto *crypto, uint8_t *scratch,
                  size_t scratch_len, struct manifest_msg *msg);
/* Applies a verified rotation to trust, all or nothing. */
int manifest_rotation_apply(struct manifest_trust *trust, const struct manifest_rotation *r);
/* The key with this kid that may sign for scope, or NULL. */
const struct manifest_key *manifest_trust_find(const struct manifest_trust *trust,
                                               const uint8_t *kid, size_t kid_len,
                                               uint32_t scope);
const char *manifest_strerror(int err);

/* ---- Encode (CLI, cloud, tests) -------------------------------------------- */

int manifest_image_encode(const struct manifest *m, uint8_t *buf, size_t cap, size_t *len);
int manifest_rotation_encode(const struct manifest_rotation *r, uint8_t *buf, size_t cap,
                             size_t *len);
/* The protected header { 1: -8, 4: kid }; kid_len 0 leaves the kid out
 * (an unsigned bundle). */
int manifest_protected_encode(const uint8_t *kid, size_t kid_len, uint8_t *buf, size_t cap,
                              size_t *len);
/* The bytes Ed25519 signs: ["Signature1", protected, h'', payload]. */
int manifest_sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                           size_t payload_len, uint8_t *buf, size_t cap, size_t *len);
int manifest_envelope_encode(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                             size_t payload_len, const uint8_t *sig, size_t sig_len,
                             uint8_t *buf, size_t cap, size_t *len);

/* ---- Bundle container (CLI, cloud) ---------------------------------------- */

#define MANIFEST_BUNDLE_HEADER 32u
#define MANIFEST_BUNDLE_VERSION 1u
#define MANIFEST_BUNDLE_E_MAGIC (-1)   /* no "KEELBDL\0" header */
#define MANIFEST_BUNDLE_E_VERSION (-2) /* another container version */
#define MANIFEST_BUNDLE_E_LENGTH (-3)  /* manifest length out of range, or sizes disagree */

/* The parts of a bundle file held in memory; pointers into the caller's
 * buffer. */
struct manifest_bundle {
    const uint8_t *envelope; size_t envelope_len;
    const uint8_t *image; size_t image_len;
};

/* 0, or a negative MANIFEST_BUNDLE_E_*. */
int manifest_bundle_split(const uint8_t *buf, size_t len, struct manifest_bundle *out);

#endif /* KEEL_MANIFEST_H */
