#include "bufreg.h"

struct bufreg_entry {
    uint32_t base, len; /* len 0: free */
};
static struct bufreg_entry entries[BUFREG_MAX];

bool bufreg_overlaps(uint32_t base, uint32_t len)
{
    for (uint32_t i = 0; i < BUFREG_MAX; i++) {
        const struct bufreg_entry *e = &entries[i];
        /* Overlap iff either start lies inside the other range. Written
         * with differences, not end addresses: ns_mem_ok accepts a range
         * ending exactly at 2^32, whose end would wrap to 0. */
        if (e->len && (base - e->base < e->len || e->base - base < len))
            return true;
    }
    return false;
}

int bufreg_add(uint32_t base, uint32_t len)
{
    if (len == 0 || bufreg_overlaps(base, len))
        return -1;
    for (uint32_t i = 0; i < BUFREG_MAX; i++) {
        if (entries[i].len == 0) {
            entries[i] = (struct bufreg_entry){ base, len };
            return (int)i;
        }
    }
    return -1;
}

void bufreg_remove(int id)
{
    if (id >= 0 && (uint32_t)id < BUFREG_MAX)
        entries[id] = (struct bufreg_entry){ 0, 0 };
}

void bufreg_clear(void)
{
    for (uint32_t i = 0; i < BUFREG_MAX; i++)
        entries[i] = (struct bufreg_entry){ 0, 0 };
}
