/*
 * seal.c: secrets at rest, AES-256-GCM (OpenSSL). Layout of a sealed
 * value: 12-byte random nonce, ciphertext, 16-byte tag. The key lives in a
 * file outside the database (config secrets_key), so a copy of the
 * database alone reveals no secret.
 */
#include <openssl/evp.h>
#include <string.h>

#include "cloud.h"

int cloud_seal(const uint8_t key[32], const char *aad, const void *in, size_t n, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len, ok = c && cloud_random(out, 12) == 0 &&
                  EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) == 1 &&
                  EVP_EncryptUpdate(c, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
                  EVP_EncryptUpdate(c, out + 12, &len, in, (int)n) == 1 &&
                  EVP_EncryptFinal_ex(c, out + 12 + len, &len) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + n) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int cloud_unseal(const uint8_t key[32], const char *aad, const uint8_t *in, size_t n,
                 uint8_t *out)
{
    if (n < CLOUD_SEAL_OVERHEAD)
        return -1;
    size_t m = n - CLOUD_SEAL_OVERHEAD;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len, ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
                  EVP_DecryptUpdate(c, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
                  EVP_DecryptUpdate(c, out, &len, in + 12, (int)m) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(in + 12 + m)) == 1 &&
                  EVP_DecryptFinal_ex(c, out + len, &len) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}
