/* fuzz_manifest: the envelope and payload parsers on any bytes. The
 * verifier here accepts every signature, so the fuzzer reaches everything
 * behind it; a parsed image must re-encode and re-parse to the same
 * fields, and an accepted rotation must apply or be refused cleanly. */
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

static int accept_all(const uint8_t sig[64], const uint8_t pk[32], const void *m, size_t n)
{
    (void)sig, (void)pk, (void)m, (void)n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t scratch[MANIFEST_SCRATCH_SIZE], buf[MANIFEST_MAX_SIZE];
    static struct manifest_trust trust;
    static const struct manifest_crypto crypto = {.ed25519_verify = accept_all};
    struct manifest_msg msg, again;
    struct manifest_cose c;
    size_t n;

    if (trust.n_keys == 0) {
        /* kid 0x00 may sign everything */
        trust.n_keys = 1;
        trust.keys[0].kid_len = 1;
        trust.keys[0].scopes = 0x6;
    }
    (void)manifest_cose_parse(data, size, &c);
    /* the bundle container keel-cloud splits every upload with: parts
     * inside the input, in order, covering it exactly */
    struct manifest_bundle b;
    if (manifest_bundle_split(data, size, &b) == 0 &&
        (b.envelope != data + MANIFEST_BUNDLE_HEADER || b.envelope_len == 0 ||
         b.envelope_len > MANIFEST_MAX_SIZE || b.image < b.envelope + b.envelope_len ||
         b.image + b.image_len != data + size || b.image - b.envelope > (long)b.envelope_len + 15))
        abort();
    if (manifest_payload_parse(data, size, &msg) == MANIFEST_OK &&
        msg.type == MANIFEST_TYPE_IMAGE) {
        if (manifest_image_encode(&msg.u.image, buf, sizeof(buf), &n) != MANIFEST_OK)
            abort();
        memset(&again, 0, sizeof(again));
        if (manifest_payload_parse(buf, n, &again) != MANIFEST_OK ||
            again.u.image.n_layers != msg.u.image.n_layers ||
            again.u.image.version != msg.u.image.version ||
            again.u.image.security_counter != msg.u.image.security_counter ||
            again.u.image.policy.trial_s != msg.u.image.policy.trial_s ||
            memcmp(again.u.image.layers, msg.u.image.layers,
                   sizeof(struct manifest_layer) * msg.u.image.n_layers) != 0)
            abort();
    }
    if (manifest_open(data, size, &trust, &crypto, scratch, sizeof(scratch), &msg) ==
            MANIFEST_OK &&
        msg.type == MANIFEST_TYPE_ROTATION) {
        struct manifest_trust t = trust;
        int rc = manifest_rotation_apply(&t, &msg.u.rotation);
        if (rc != MANIFEST_OK && memcmp(&t, &trust, sizeof(t)) != 0)
            abort();
    }
    return 0;
}
