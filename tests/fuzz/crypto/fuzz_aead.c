/* Differential fuzzer for the AEADs: decryption of attacker-chosen input
 * (key, nonce, AD, ciphertext, tag all from the fuzzer) must never crash
 * and must give the same verdict and plaintext as libsodium (ChaCha20-
 * Poly1305) and OpenSSL (AES-128-GCM); encryption of the same bytes must
 * match too and round-trip through our streaming decryption. */
#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static uint8_t p1[4096], p2[4096], c1[4096], c2[4096];

static int gcm_ref_open(uint8_t *pt, const uint8_t *key, const uint8_t *iv,
                        const uint8_t *ad, size_t adlen, const uint8_t *ct,
                        size_t len, const uint8_t *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n, ok = EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv);
    if (adlen)
        ok &= EVP_DecryptUpdate(c, NULL, &n, ad, (int)adlen);
    if (len)
        ok &= EVP_DecryptUpdate(c, pt, &n, ct, (int)len);
    ok &= EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag);
    ok &= EVP_DecryptFinal_ex(c, pt + len, &n) > 0;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *key, *nonce, *tag, *ad, *ct;
    size_t adlen, len;
    uint8_t t1[16], t2[16];
    unsigned long long tl;

    if (size < 32 + 12 + 16 + 1)
        return 0;
    key = data;
    nonce = data + 32;
    tag = data + 44;
    adlen = data[60] % 64;
    data += 61;
    size -= 61;
    if (adlen > size)
        adlen = size;
    ad = data;
    ct = data + adlen;
    len = size - adlen;
    if (len > sizeof p1)
        len = sizeof p1;

    /* decryption of arbitrary input */
    int o = crypto_chacha20poly1305_decrypt(p1, key, nonce, ad, adlen, ct, len, tag);
    int r = crypto_aead_chacha20poly1305_ietf_decrypt_detached(p2, NULL, ct, len, tag, ad,
                                                               adlen, nonce, key);
    if ((o == 0) != (r == 0) || (o != 0 && o != CRYPTO_EFORGED))
        abort();
    if (o == 0 && memcmp(p1, p2, len))
        abort();
    o = crypto_aes128gcm_decrypt(p1, key, nonce, 12, ad, adlen, ct, len, tag);
    r = gcm_ref_open(p2, key, nonce, ad, adlen, ct, len, tag);
    if ((o == 0) != (r == 1))
        abort();

    /* encryption of the same bytes, then our streaming decryption */
    crypto_chacha20poly1305_encrypt(c1, t1, key, nonce, ad, adlen, ct, len);
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(c2, t2, &tl, ct, len, ad, adlen,
                                                       NULL, nonce, key);
    if (memcmp(c1, c2, len) || memcmp(t1, t2, 16))
        abort();
    crypto_aes128gcm_encrypt(c1, t1, key, nonce, 12, ad, adlen, ct, len);
    if (!gcm_ref_open(p2, key, nonce, ad, adlen, c1, len, t1) || memcmp(p2, ct, len))
        abort();
    {
        crypto_aes128gcm_t g;
        size_t step = 1 + adlen, off;
        crypto_aes128gcm_init(&g, key, nonce, 12, ad, adlen);
        for (off = 0; off < len; off += step)
            crypto_aes128gcm_decrypt_update(&g, p1 + off, c1 + off,
                                            len - off < step ? len - off : step);
        if (crypto_aes128gcm_decrypt_final(&g, t1) != 0 || memcmp(p1, ct, len))
            abort();
    }
    return 0;
}
