/*
 * manifest_bundle.c: the keel bundle container (docs/images.md, "Bundle
 * file"), split in memory, for the CLI and the cloud alike.
 */
#include <string.h>

#include "manifest.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int manifest_bundle_split(const uint8_t *buf, size_t len, struct manifest_bundle *out)
{
    static const uint8_t magic[8] = {'K', 'E', 'E', 'L', 'B', 'D', 'L', 0};
    memset(out, 0, sizeof(*out));
    if (len < MANIFEST_BUNDLE_HEADER || memcmp(buf, magic, 8) != 0)
        return MANIFEST_BUNDLE_E_MAGIC;
    if (rd32(buf + 8) != MANIFEST_BUNDLE_VERSION)
        return MANIFEST_BUNDLE_E_VERSION;
    size_t m = rd32(buf + 12), n = rd32(buf + 16);
    if (m == 0 || m > MANIFEST_MAX_SIZE)
        return MANIFEST_BUNDLE_E_LENGTH;
    size_t mp = (m + 15) & ~(size_t)15, rest = len - MANIFEST_BUNDLE_HEADER;
    if (rest < mp || rest - mp != n)
        return MANIFEST_BUNDLE_E_LENGTH;
    out->envelope = buf + MANIFEST_BUNDLE_HEADER;
    out->envelope_len = m;
    out->image = buf + MANIFEST_BUNDLE_HEADER + mp;
    out->image_len = n;
    return 0;
}
