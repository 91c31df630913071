/*
 * migrations.c: keel-cloud's schema, as numbered migrations. Append only:
 * a released migration is never edited; a change is a new number. @ID and
 * @BLOB are expanded per backend (store.c). Times are integer milliseconds
 * since the Unix epoch, ids of devices are their "UV..." strings, every
 * other id an integer.
 */
#include "migrations.h"

const struct store_migration store_migrations[] = {
    {1, "accounts and tokens",
     "CREATE TABLE accounts (id @ID, name TEXT NOT NULL UNIQUE, created_ms BIGINT NOT NULL);"
     "CREATE TABLE tokens (id @ID, account_id BIGINT NOT NULL REFERENCES accounts(id),"
     " name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,"
     " created_ms BIGINT NOT NULL, revoked_ms BIGINT);"
     "CREATE TABLE signers (id @ID, account_id BIGINT NOT NULL REFERENCES accounts(id),"
     " name TEXT NOT NULL, kid TEXT NOT NULL, public_key TEXT NOT NULL,"
     " created_ms BIGINT NOT NULL, UNIQUE (account_id, kid));"},
    {2, "apps and their bundles",
     "CREATE TABLE blobs (hash TEXT PRIMARY KEY, size BIGINT NOT NULL, data @BLOB NOT NULL);"
     "CREATE TABLE apps (id @ID, account_id BIGINT NOT NULL REFERENCES accounts(id),"
     " name TEXT NOT NULL, hash TEXT NOT NULL REFERENCES blobs(hash), size BIGINT NOT NULL,"
     " version BIGINT NOT NULL, security_counter BIGINT NOT NULL, kid TEXT NOT NULL,"
     " created_ms BIGINT NOT NULL, UNIQUE (account_id, hash));"},
    {3, "devices and deployments",
     "CREATE TABLE devices (id TEXT PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES accounts(id),"
     " name TEXT NOT NULL DEFAULT '', tags TEXT NOT NULL DEFAULT '',"
     " app_version BIGINT, mv_version BIGINT, update_status TEXT, uptime_s BIGINT,"
     " online INTEGER NOT NULL DEFAULT 0, first_seen_ms BIGINT NOT NULL,"
     " last_seen_ms BIGINT NOT NULL, revoked_ms BIGINT);"
     "CREATE TABLE deployments (id @ID, account_id BIGINT NOT NULL REFERENCES accounts(id),"
     " app_id BIGINT NOT NULL REFERENCES apps(id), device_id TEXT, tag TEXT,"
     " state TEXT NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL);"},
    {4, "logs",
     "CREATE TABLE logs (id @ID, device_id TEXT NOT NULL, seq BIGINT NOT NULL,"
     " device_ms BIGINT NOT NULL, received_ms BIGINT NOT NULL, level INTEGER NOT NULL,"
     " text TEXT NOT NULL, UNIQUE (device_id, seq));"
     "CREATE INDEX logs_device_time ON logs (device_id, received_ms);"},
    {5, "configs and secrets",
     "CREATE TABLE configs (account_id BIGINT NOT NULL REFERENCES accounts(id),"
     " device_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
     " updated_ms BIGINT NOT NULL, PRIMARY KEY (account_id, device_id, key));"
     "CREATE TABLE secrets (account_id BIGINT NOT NULL REFERENCES accounts(id),"
     " device_id TEXT NOT NULL, key TEXT NOT NULL, sealed @BLOB NOT NULL,"
     " updated_ms BIGINT NOT NULL, PRIMARY KEY (account_id, device_id, key));"},
    {6, "fault records reported by devices",
     "CREATE TABLE faults (id @ID, device_id TEXT NOT NULL, code BIGINT NOT NULL,"
     " pc BIGINT NOT NULL, uptime_ms BIGINT NOT NULL, received_ms BIGINT NOT NULL,"
     " UNIQUE (device_id, uptime_ms, code, pc));"},
    {7, "when the broker was told to deny a revoked device",
     "ALTER TABLE devices ADD COLUMN acl_applied_ms BIGINT;"},
    {8, "log records a device lost (its flash spool full), since it booted",
     "ALTER TABLE devices ADD COLUMN logs_dropped BIGINT;"},
    {9, "updates over the air: each target device's state in a deployment",
     "CREATE TABLE deployment_devices (deployment_id BIGINT NOT NULL REFERENCES deployments(id),"
     " device_id TEXT NOT NULL, state TEXT NOT NULL, done BIGINT NOT NULL DEFAULT 0,"
     " total BIGINT NOT NULL DEFAULT 0, reason BIGINT NOT NULL DEFAULT 0, sent_ms BIGINT,"
     " updated_ms BIGINT NOT NULL, PRIMARY KEY (deployment_id, device_id));"
     "CREATE INDEX deployment_devices_device ON deployment_devices (device_id, deployment_id);"},
};

const int store_n_migrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
