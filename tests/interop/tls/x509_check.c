/*
 * x509_check: microvisor/tls's X.509 verdict on certificate files made by
 * the openssl command (interop_tls.py's X.509 cases).
 *
 *   x509_check --anchor ca.der --host NAME [--time UNIX] leaf.der [chain.der...]
 *       prints the verdict: "ok" or the X509_E_* name;
 *   x509_check --truncate cert.der...
 *       parses every proper prefix of each file (and the file with one
 *       byte more) and prints "ok" only if each is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509.h"

static uint8_t files[TLS_CHAIN_MAX + 2][TLS_CERT_MAX + 1];

static size_t load(const char *path, uint8_t *buf)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t n = fread(buf, 1, TLS_CERT_MAX + 1, f);
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    const char *anchor_path = NULL, *host = "";
    int64_t now = 0;
    bool known = false;
    int i = 1;
    if (argc > 1 && !strcmp(argv[1], "--truncate")) {
        for (i = 2; i < argc; i++) {
            size_t n = load(argv[i], files[0]);
            x509_cert_t x;
            if (x509_parse(&x, files[0], n) != 0) {
                printf("%s: does not parse whole\n", argv[i]);
                return 1;
            }
            for (size_t k = 0; k < n; k++)
                if (x509_parse(&x, files[0], k) == 0) {
                    printf("%s: prefix of %zu bytes accepted\n", argv[i], k);
                    return 1;
                }
            files[0][n] = 0;
            if (x509_parse(&x, files[0], n + 1) == 0) {
                printf("%s: trailing byte accepted\n", argv[i]);
                return 1;
            }
        }
        printf("ok\n");
        return 0;
    }
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--anchor"))
            anchor_path = argv[i + 1];
        else if (!strcmp(argv[i], "--host"))
            host = argv[i + 1];
        else if (!strcmp(argv[i], "--time"))
            now = strtoll(argv[i + 1], NULL, 10), known = true;
    }
    if (!anchor_path || i >= argc || argc - i > (int)TLS_CHAIN_MAX + 1)
        return 2;
    x509_cert_t anchor, chain[TLS_CHAIN_MAX + 1];
    size_t an = load(anchor_path, files[TLS_CHAIN_MAX + 1]);
    if (x509_parse(&anchor, files[TLS_CHAIN_MAX + 1], an) != 0)
        return 2;
    size_t n = 0;
    int rc = 0;
    for (; i < argc && rc == 0; i++, n++)
        rc = x509_parse(&chain[n], files[n], load(argv[i], files[n]));
    if (rc == 0)
        rc = x509_chain_check(chain, n, &anchor, host, strlen(host), known, now, NULL);
    printf("%s\n", x509_error_name(rc));
    return 0;
}
