/*
 * image_header_check: one test per rejection reason (in the order the
 * function checks them, so each test trips exactly one rule), then the
 * boundaries: a payload exactly filling its slot and its load region, one
 * byte or one alignment step more, and load addresses and sizes chosen to
 * wrap a 32-bit sum.
 */
#include <stdint.h>

#include "image.h"
#include "keel_test.h"
#include "memory_map.h"

/* The application's real parameters on an505 (app.c passes these). */
#define SLOT   FLASH_APP_SLOT_SIZE
#define RBASE  NS_CODE_BASE
#define RSIZE  NS_APP_CODE_SIZE

static struct image_header good(void)
{
    struct image_header h = {
        .magic = IMAGE_MAGIC,
        .header_size = IMAGE_HEADER_SIZE,
        .kind = IMAGE_KIND_APP,
        .load_addr = RBASE,
        .image_size = 0x1000,
        .version = 0x01020003,
    };
    return h;
}

static int check(const struct image_header *h)
{
    return image_header_check(h, IMAGE_KIND_APP, SLOT, RBASE, RSIZE);
}

static void test_accepts_good(void)
{
    struct image_header h = good();
    CHECK_EQ(check(&h), IMAGE_OK);
    h.kind = IMAGE_KIND_MICROVISOR;
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_MICROVISOR, FLASH_MV_SLOT_SIZE,
                                RBASE, RSIZE), IMAGE_OK);
}

static void test_each_rejection(void)
{
    struct image_header h = good();

    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, 0, RBASE, RSIZE), IMAGE_ERR_SHORT);
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, IMAGE_HEADER_SIZE - 1, RBASE, RSIZE),
             IMAGE_ERR_SHORT);

    h = good(); h.magic = 0xFFFFFFFFu; /* erased flash */
    CHECK_EQ(check(&h), IMAGE_ERR_MAGIC);
    h = good(); h.magic = IMAGE_MAGIC ^ 1u;
    CHECK_EQ(check(&h), IMAGE_ERR_MAGIC);

    h = good(); h.header_size = IMAGE_HEADER_SIZE + 4;
    CHECK_EQ(check(&h), IMAGE_ERR_HEADER_SIZE);
    h = good(); h.header_size = 0;
    CHECK_EQ(check(&h), IMAGE_ERR_HEADER_SIZE);

    h = good(); h.kind = IMAGE_KIND_MICROVISOR;
    CHECK_EQ(check(&h), IMAGE_ERR_KIND);
    h = good(); h.kind = 0;
    CHECK_EQ(check(&h), IMAGE_ERR_KIND);

    for (int i = 0; i < 10; i++) {
        h = good();
        h.reserved[i] = 1u << (i * 3);
        CHECK_EQ(check(&h), IMAGE_ERR_RESERVED);
    }

    h = good(); h.image_size = 0;
    CHECK_EQ(check(&h), IMAGE_ERR_SIZE);
    h = good(); h.image_size = SLOT - IMAGE_HEADER_SIZE + 1;
    CHECK_EQ(check(&h), IMAGE_ERR_SIZE);
    h = good(); h.image_size = 0xFFFFFFFFu;
    CHECK_EQ(check(&h), IMAGE_ERR_SIZE);

    for (uint32_t bit = 1; bit < 0x200u; bit <<= 1) {
        h = good();
        h.load_addr = RBASE + bit;
        CHECK_EQ(check(&h), IMAGE_ERR_ALIGN);
    }

    h = good(); h.load_addr = RBASE - 0x200u;
    CHECK_EQ(check(&h), IMAGE_ERR_LOAD_REGION);
    h = good(); h.load_addr = 0;
    CHECK_EQ(check(&h), IMAGE_ERR_LOAD_REGION);
    h = good(); h.load_addr = NS_CODE_BASE + NS_CODE_SIZE; /* past the window */
    CHECK_EQ(check(&h), IMAGE_ERR_LOAD_REGION);
    h = good(); h.load_addr = NS_RAM_BASE; /* app RAM is not a load region */
    CHECK_EQ(check(&h), IMAGE_ERR_LOAD_REGION);
    h = good(); h.load_addr = MV_CODE_BASE; /* secure code */
    CHECK_EQ(check(&h), IMAGE_ERR_LOAD_REGION);
}

/* The checks run in a fixed order: a header wrong in every way reports the
 * first rule (after the slot size) it breaks. */
static void test_order(void)
{
    struct image_header h = good();
    h.header_size = 0; h.kind = 9; h.reserved[0] = 1; h.image_size = 0; h.load_addr = 1;
    CHECK_EQ(check(&h), IMAGE_ERR_HEADER_SIZE);
    h.header_size = IMAGE_HEADER_SIZE;
    CHECK_EQ(check(&h), IMAGE_ERR_KIND);
    h.kind = IMAGE_KIND_APP;
    CHECK_EQ(check(&h), IMAGE_ERR_RESERVED);
    h.reserved[0] = 0;
    CHECK_EQ(check(&h), IMAGE_ERR_SIZE);
    h.image_size = 4;
    CHECK_EQ(check(&h), IMAGE_ERR_ALIGN);
}

static void test_exact_fits(void)
{
    struct image_header h = good();

    /* Payload exactly filling the slot (region large enough). */
    h.image_size = SLOT - IMAGE_HEADER_SIZE;
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, SLOT, RBASE, SLOT), IMAGE_OK);
    /* Slot of exactly a header: no payload fits. */
    h.image_size = 1;
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, IMAGE_HEADER_SIZE, RBASE, RSIZE),
             IMAGE_ERR_SIZE);
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, IMAGE_HEADER_SIZE + 1, RBASE, RSIZE),
             IMAGE_OK);

    /* Payload exactly filling the load region from its base... */
    h = good();
    h.image_size = RSIZE;
    CHECK_EQ(check(&h), IMAGE_OK);
    h.image_size = RSIZE + 1;
    CHECK_EQ(check(&h), IMAGE_ERR_LOAD_REGION);

    /* ...and ending exactly at its end from a higher load address. */
    h = good();
    h.load_addr = RBASE + 0x100000u;
    h.image_size = RSIZE - 0x100000u;
    CHECK_EQ(check(&h), IMAGE_OK);
    h.image_size++;
    CHECK_EQ(check(&h), IMAGE_ERR_LOAD_REGION);

    /* Last aligned load address in the region, one byte of payload. */
    h = good();
    h.load_addr = RBASE + RSIZE - 0x100u; /* the region ends 256 B past a 512 B step */
    CHECK_EQ(h.load_addr & 0x1FFu, 0);
    h.image_size = 0x100;
    CHECK_EQ(check(&h), IMAGE_OK);
    h.image_size = 0x101;
    CHECK_EQ(check(&h), IMAGE_ERR_LOAD_REGION);

    /* Empty region: nothing fits. */
    h = good();
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, SLOT, RBASE, 0), IMAGE_ERR_LOAD_REGION);
}

static void test_wrap_around(void)
{
    struct image_header h = good();

    /* load_addr near the top with a size that wraps the 32-bit sum back into
     * the region. */
    h.load_addr = 0xFFFFFE00u;
    h.image_size = 0x200u + RBASE + 0x1000u; /* load_addr + size == RBASE + 0x1000 */
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, 0xFFFFFFFFu, RBASE, RSIZE),
             IMAGE_ERR_LOAD_REGION);
    h.image_size = 0xFFFFFFFFu - IMAGE_HEADER_SIZE;
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, 0xFFFFFFFFu, RBASE, RSIZE),
             IMAGE_ERR_LOAD_REGION);

    /* A region ending exactly at the top of the address space. */
    const uint32_t top_base = 0xFFFF0000u, top_size = 0x10000u;
    h.load_addr = 0xFFFFFE00u;
    h.image_size = 0x200u;
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, SLOT, top_base, top_size), IMAGE_OK);
    h.image_size = 0x201u; /* would wrap to address 0 */
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, SLOT, top_base, top_size),
             IMAGE_ERR_LOAD_REGION);
    h.image_size = 0x200u + RBASE; /* wraps to RBASE */
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, SLOT, top_base, top_size),
             IMAGE_ERR_LOAD_REGION);

    /* Big region from 0: load_addr high, size big. */
    h.load_addr = 0x80000000u;
    h.image_size = 0x80000001u;
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, 0xFFFFFFFFu, 0, 0xFFFFFFFFu),
             IMAGE_ERR_LOAD_REGION);
    h.image_size = 0x7FFFFFFFu;
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, 0xFFFFFFFFu, 0, 0xFFFFFFFFu),
             IMAGE_OK);

    /* slot_size - header near 2^32 does not let a huge size slip through. */
    h = good();
    h.image_size = 0xFFFFFFFFu - IMAGE_HEADER_SIZE;
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, 0xFFFFFFFFu, RBASE, RSIZE),
             IMAGE_ERR_LOAD_REGION);
    CHECK_EQ(image_header_check(&h, IMAGE_KIND_APP, 0xFFFFFFFFu - 1u, RBASE, RSIZE),
             IMAGE_ERR_SIZE);
}

static void test_strerror(void)
{
    CHECK_STR(image_strerror(IMAGE_OK), "ok");
    for (int e = IMAGE_ERR_ALIGN; e <= IMAGE_ERR_SHORT; e++) {
        const char *s = image_strerror(e);
        CHECK(s != NULL && s[0] != '\0');
        CHECK(strcmp(s, "unknown error") != 0);
    }
    CHECK_STR(image_strerror(-99), "unknown error");
    CHECK_STR(image_strerror(1), "unknown error");
}

int main(void)
{
    test_accepts_good();
    test_each_rejection();
    test_order();
    test_exact_fits();
    test_wrap_around();
    test_strerror();
    return keel_test_done("test_image");
}
