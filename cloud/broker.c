/* broker.c: the broker's ACL file (broker.h). */
#include "broker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"

int broker_acl_write(const char *path, const char *const *revoked, size_t n)
{
    size_t cap = 512 + n * 96, len = 0;
    char *b = malloc(cap);
    if (!b)
        return -1;
    len += snprintf(b + len, cap - len,
                    "# written by keel-cloud; edits are overwritten\n"
                    "user " CLOUD_MQTT_USER "\n"
                    "topic readwrite devices/#\n");
    for (size_t i = 0; i < n; i++)
        len += snprintf(b + len, cap - len, "\nuser %s\ntopic deny #\n", revoked[i]);
    len += snprintf(b + len, cap - len, "\npattern readwrite devices/%%u/#\n");
    int rc = cloud_write_file(path, b, len, 0644);
    free(b);
    return rc;
}

int broker_reload(const char *pidfile)
{
    FILE *f = fopen(pidfile, "r");
    long pid = 0;
    if (!f)
        return -1;
    int ok = fscanf(f, "%ld", &pid) == 1 && pid > 1;
    fclose(f);
    return ok && kill((pid_t)pid, SIGHUP) == 0 ? 0 : -1;
}
