/*
 * test_store_sqlite: the SQLite backend's durability settings. Every
 * connection keel-cloud opens runs in WAL mode with synchronous=FULL (2),
 * so a commit it acknowledged is on disk before the ack, power cut
 * included (docs/cloud.md, Storage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_test.h"
#include "store.h"

int main(void)
{
    char path[] = "/tmp/keel-store-XXXXXX", url[64], err[256];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    struct store *s;
    CHECK_EQ(store_open(url, &s, err, sizeof(err)), STORE_OK);
    struct store_result r;
    CHECK_EQ(store_exec(s, "PRAGMA journal_mode", NULL, 0, &r), STORE_OK);
    CHECK_STR(store_cell(&r, 0, 0) ? store_cell(&r, 0, 0) : "", "wal");
    store_result_free(&r);
    CHECK_EQ(store_exec(s, "PRAGMA synchronous", NULL, 0, &r), STORE_OK);
    CHECK_EQ(store_cell_int(&r, 0, 0), 2); /* FULL */
    store_result_free(&r);
    /* the setting is per connection: a pool's every connection has it */
    setenv("KEEL_CLOUD_SQLITE_SYNC", "normal", 1); /* the old switch does nothing */
    struct store_pool *p;
    CHECK_EQ(store_pool_open(url, 3, &p, err, sizeof(err)), STORE_OK);
    for (int i = 0; i < 3; i++) {
        struct store *c = store_pool_get(p);
        CHECK_EQ(store_exec(c, "PRAGMA synchronous", NULL, 0, &r), STORE_OK);
        CHECK_EQ(store_cell_int(&r, 0, 0), 2);
        store_result_free(&r);
    }
    store_pool_close(p);
    store_close(s);
    unlink(path);
    char side[96];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    return keel_test_done("test_store_sqlite");
}
