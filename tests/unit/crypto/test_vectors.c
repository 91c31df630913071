/*
 * Known-answer tests: FIPS 180-4 examples, RFC 4231 (HMAC-SHA-256),
 * RFC 5869 (HKDF), RFC 8439 (ChaCha20, Poly1305, AEAD), RFC 7748 (X25519),
 * RFC 8032 section 7.1 (Ed25519), FIPS 197 C.1, twelve NIST CAVP
 * gcmEncryptExtIV128 vectors and the GCM specification's
 * AES-128 test cases 1-6 (as published by NIST with SP 800-38D).
 */
#include "crypto.h"
#include "testutil.h"

static uint8_t A[2048], B[2048], C[2048], D[2048], E[2048];

static void sha(void)
{
    static const char *m3 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static uint8_t a[1000];
    uint8_t h[64];
    crypto_sha256_t c;
    crypto_sha512_t c5;

    crypto_sha256(h, "abc", 3);
    t_unhex(A, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_MEM(h, A, 32, "sha256 abc");
    crypto_sha256(h, "", 0);
    t_unhex(A, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_MEM(h, A, 32, "sha256 empty");
    crypto_sha256(h, m3, strlen(m3));
    t_unhex(A, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK_MEM(h, A, 32, "sha256 448 bits");
    memset(a, 'a', sizeof a);
    crypto_sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        crypto_sha256_update(&c, a, 1000);
    crypto_sha256_final(&c, h);
    t_unhex(A, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK_MEM(h, A, 32, "sha256 million a");

    crypto_sha512(h, "abc", 3);
    t_unhex(A, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    CHECK_MEM(h, A, 64, "sha512 abc");
    crypto_sha512(h, "", 0);
    t_unhex(A, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
               "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    CHECK_MEM(h, A, 64, "sha512 empty");
    crypto_sha512_init(&c5);
    for (int i = 0; i < 1000; i++)
        crypto_sha512_update(&c5, a, 1000);
    crypto_sha512_final(&c5, h);
    t_unhex(A, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
               "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
    CHECK_MEM(h, A, 64, "sha512 million a");
}

static void hmac_hkdf(void)
{
    uint8_t h[32], okm[82];
    size_t n;
    /* RFC 4231 cases 1, 2, 6 (key longer than a block) */
    memset(B, 0x0b, 20);
    crypto_hmac_sha256(h, B, 20, "Hi There", 8);
    t_unhex(A, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK_MEM(h, A, 32, "rfc4231 1");
    crypto_hmac_sha256(h, "Jefe", 4, "what do ya want for nothing?", 28);
    t_unhex(A, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK_MEM(h, A, 32, "rfc4231 2");
    memset(B, 0xaa, 131);
    crypto_hmac_sha256(h, B, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54);
    t_unhex(A, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    CHECK_MEM(h, A, 32, "rfc4231 6");

    /* RFC 5869 A.1, A.2, A.3 */
    memset(B, 0x0b, 22);
    n = t_unhex(C, "000102030405060708090a0b0c");
    t_unhex(D, "f0f1f2f3f4f5f6f7f8f9");
    crypto_hkdf_sha256_extract(h, C, n, B, 22);
    t_unhex(A, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    CHECK_MEM(h, A, 32, "rfc5869 A.1 prk");
    CHECK(crypto_hkdf_sha256(okm, 42, C, n, B, 22, D, 10) == 0, "A.1");
    t_unhex(A, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
               "34007208d5b887185865");
    CHECK_MEM(okm, A, 42, "rfc5869 A.1 okm");

    for (int i = 0; i < 80; i++) {
        B[i] = (uint8_t)i;
        C[i] = (uint8_t)(0x60 + i);
        D[i] = (uint8_t)(0xb0 + i);
    }
    CHECK(crypto_hkdf_sha256(okm, 82, C, 80, B, 80, D, 80) == 0, "A.2");
    t_unhex(A, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
               "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
               "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    CHECK_MEM(okm, A, 82, "rfc5869 A.2 okm");

    memset(B, 0x0b, 22);
    CHECK(crypto_hkdf_sha256(okm, 42, NULL, 0, B, 22, NULL, 0) == 0, "A.3");
    t_unhex(A, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
               "9d201395faa4b61a96c8");
    CHECK_MEM(okm, A, 42, "rfc5869 A.3 okm");
}

static const char sunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one "
    "tip for the future, sunscreen would be it.";

static void chacha_poly(void)
{
    uint8_t key[32], nonce[12], tag[16];
    size_t n = strlen(sunscreen), an;
    crypto_poly1305_t p;

    /* 2.4.2 */
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    t_unhex(nonce, "000000000000004a00000000");
    crypto_chacha20(B, (const uint8_t *)sunscreen, n, key, nonce, 1);
    t_unhex(A, "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
               "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
               "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
               "5af90bbf74a35be6b40b8eedf2785e42874d");
    CHECK_MEM(B, A, n, "rfc8439 2.4.2");

    /* A.1 test vector 1: all-zero key stream block */
    memset(key, 0, 32);
    memset(nonce, 0, 12);
    memset(C, 0, 64);
    crypto_chacha20(B, C, 64, key, nonce, 0);
    t_unhex(A, "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
               "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
    CHECK_MEM(B, A, 64, "rfc8439 A.1 #1");

    /* 2.5.2 */
    t_unhex(key, "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    crypto_poly1305_init(&p, key);
    crypto_poly1305_update(&p, "Cryptographic Forum Research Group", 34);
    crypto_poly1305_final(&p, tag);
    t_unhex(A, "a8061dc1305136c6c22b8baf0c0127a9");
    CHECK_MEM(tag, A, 16, "rfc8439 2.5.2");

    /* A.3 #11-ish edge: h wraps exactly to p (r = 1, s = 0, m = p - 1 ...)
     * covered by test vector 5: r=2, m = ff..ff -> tag 03 00.. */
    memset(key, 0, 32);
    key[0] = 2;
    memset(C, 0xff, 16);
    crypto_poly1305_init(&p, key);
    crypto_poly1305_update(&p, C, 16);
    crypto_poly1305_final(&p, tag);
    t_unhex(A, "03000000000000000000000000000000");
    CHECK_MEM(tag, A, 16, "rfc8439 A.3 #5");

    /* 2.8.2 AEAD */
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(0x80 + i);
    t_unhex(nonce, "070000004041424344454647");
    an = t_unhex(D, "50515253c0c1c2c3c4c5c6c7");
    crypto_chacha20poly1305_encrypt(B, tag, key, nonce, D, an,
                                    (const uint8_t *)sunscreen, n);
    t_unhex(A, "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
               "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
               "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
               "3ff4def08e4b7a9de576d26586cec64b6116");
    CHECK_MEM(B, A, n, "rfc8439 2.8.2 ct");
    t_unhex(A, "1ae10b594f09e26a7e902ecbd0600691");
    CHECK_MEM(tag, A, 16, "rfc8439 2.8.2 tag");
    CHECK(crypto_chacha20poly1305_decrypt(C, key, nonce, D, an, B, n, tag) == 0, "2.8.2 open");
    CHECK_MEM(C, sunscreen, n, "2.8.2 roundtrip");
}

static void x25519(void)
{
    uint8_t k[32], u[32], r[32], e[32], t[32];
    t_unhex(k, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    t_unhex(u, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    t_unhex(e, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    CHECK(crypto_x25519(r, k, u) == 0, "rc");
    CHECK_MEM(r, e, 32, "rfc7748 5.2 #1");
    t_unhex(k, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
    t_unhex(u, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
    t_unhex(e, "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    CHECK(crypto_x25519(r, k, u) == 0, "rc");
    CHECK_MEM(r, e, 32, "rfc7748 5.2 #2");

    /* iterated: k = X25519(k, u), u = old k */
    memset(k, 0, 32);
    k[0] = 9;
    memcpy(u, k, 32);
    for (int i = 1; i <= 1000; i++) {
        crypto_x25519(t, k, u);
        memcpy(u, k, 32);
        memcpy(k, t, 32);
        if (i == 1) {
            t_unhex(e, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
            CHECK_MEM(k, e, 32, "rfc7748 iterated 1");
        }
    }
    t_unhex(e, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    CHECK_MEM(k, e, 32, "rfc7748 iterated 1000");

    /* 6.1 Diffie-Hellman */
    uint8_t ask[32], bsk[32], apk[32], bpk[32], s1[32], s2[32];
    t_unhex(ask, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    t_unhex(bsk, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    crypto_x25519_public_key(apk, ask);
    crypto_x25519_public_key(bpk, bsk);
    t_unhex(e, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    CHECK_MEM(apk, e, 32, "rfc7748 6.1 alice pk");
    t_unhex(e, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    CHECK_MEM(bpk, e, 32, "rfc7748 6.1 bob pk");
    crypto_x25519(s1, ask, bpk);
    crypto_x25519(s2, bsk, apk);
    t_unhex(e, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    CHECK_MEM(s1, e, 32, "rfc7748 6.1 shared a");
    CHECK_MEM(s2, e, 32, "rfc7748 6.1 shared b");

    /* small-order peer point (u = 0): all-zero output, reported */
    memset(u, 0, 32);
    CHECK(crypto_x25519(r, ask, u) == CRYPTO_EWEAK, "weak point");
}

static void ed25519_case(const char *name, const char *seed_hex, const char *pk_hex,
                         const char *msg_hex, const char *sig_hex)
{
    uint8_t seed[32], pk[32], sk[64], sig[64], esig[64], epk[32];
    size_t n;
    t_unhex(seed, seed_hex);
    t_unhex(epk, pk_hex);
    n = t_unhex(E, msg_hex);
    t_unhex(esig, sig_hex);
    crypto_ed25519_keypair(pk, sk, seed);
    CHECK_MEM(pk, epk, 32, "%s pk", name);
    crypto_ed25519_sign(sig, sk, E, n);
    CHECK_MEM(sig, esig, 64, "%s sig", name);
    CHECK(crypto_ed25519_verify(esig, epk, E, n) == 0, "%s verify", name);
}

static void ed25519(void)
{
    ed25519_case("rfc8032 test 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    ed25519_case("rfc8032 test 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
    ed25519_case("rfc8032 test 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
    ed25519_case("rfc8032 test SHA(abc)",
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704");
}

static void gcm_case(const char *name, const char *k, const char *iv, const char *p,
                     const char *a, const char *c, const char *t)
{
    uint8_t key[16], tag[16], etag[16];
    size_t ivn = t_unhex(B, iv), pn = t_unhex(C, p), an = t_unhex(D, a);
    t_unhex(key, k);
    t_unhex(E, c);
    t_unhex(etag, t);
    CHECK(crypto_aes128gcm_encrypt(A, tag, key, B, ivn, D, an, C, pn) == 0, "%s rc", name);
    CHECK_MEM(A, E, pn, "%s ct", name);
    CHECK_MEM(tag, etag, 16, "%s tag", name);
    CHECK(crypto_aes128gcm_decrypt(A, key, B, ivn, D, an, E, pn, etag) == 0, "%s open", name);
    CHECK_MEM(A, C, pn, "%s roundtrip", name);
}

/* A selection of NIST CAVP gcmEncryptExtIV128.rsp vectors (96-bit IV,
 * 128-bit tag): key, iv, pt, aad, ct, tag. */
static const char *const cavp_gcm[][6] = {
    {"11754cd72aec309bf52f7687212e8957",
     "3c819d9a9bed087615030b65",
     "",
     "",
     "",
     "250327c674aaf477aef2675748cf6971"},
    {"ca47248ac0b6f8372a97ac43508308ed",
     "ffd2b598feabc9019262d2be",
     "",
     "",
     "",
     "60d20404af527d248d893ae495707d1a"},
    {"77be63708971c4e240d1cb79e8d77feb",
     "e0e00f19fed7ba0136a797f3",
     "",
     "7a43ec1d9c0a5a78a0b16533a6213cab",
     "",
     "209fcc8d3675ed938e9c7166709dd946"},
    {"7680c5d3ca6154758e510f4d25b98820",
     "f8f105f9c3df4965780321f8",
     "",
     "c94c410194c765e3dcc7964379758ed3",
     "",
     "94dca8edfcf90bb74b153c8d48a17930"},
    {"7fddb57453c241d03efbed3ac44e371c",
     "ee283a3fc75575e33efd4887",
     "d5de42b461646c255c87bd2962d3b9a2",
     "",
     "2ccda4a5415cb91e135c2a0f78c9b2fd",
     "b36d1df9b9d5e596f83e8b7f52971cb3"},
    {"ab72c77b97cb5fe9a382d9fe81ffdbed",
     "54cc7dc2c37ec006bcc6d1da",
     "007c5e5b3e59df24a7c355584fc1518d",
     "",
     "0e1bde206a07a9c2c1b65300f8c64997",
     "2b4401346697138c7a4891ee59867d0c"},
    {"fe47fcce5fc32665d2ae399e4eec72ba",
     "5adb9609dbaeb58cbd6e7275",
     "7c0e88c88899a779228465074797cd4c2e1498d259b54390b85e3eef1c02df60e743f1b840382c4bccaf3bafb4ca8429bea063",
     "88319d6e1d3ffa5f987199166c8a9b56c2aeba5a",
     "98f4826f05a265e6dd2be82db241c0fbbbf9ffb1c173aa83964b7cf5393043736365253ddbc5db8778371495da76d269e5db3e",
     "291ef1982e4defedaa2249f898556b47"},
    {"ec0c2ba17aa95cd6afffe949da9cc3a8",
     "296bce5b50b7d66096d627ef",
     "b85b3753535b825cbe5f632c0b843c741351f18aa484281aebec2f45bb9eea2d79d987b764b9611f6c0f8641843d5d58f3a242",
     "f8d00f05d22bf68599bcdeb131292ad6e2df5d14",
     "a7443d31c26bdf2a1c945e29ee4bd344a99cfaf3aa71f8b3f191f83c2adfc7a07162995506fde6309ffc19e716eddf1a828c5a",
     "890147971946b627c40016da1ecf3e77"},
    {"2c1f21cf0f6fb3661943155c3e3d8492",
     "23cb5ff362e22426984d1907",
     "42f758836986954db44bf37c6ef5e4ac0adaf38f27252a1b82d02ea949c8a1a2dbc0d68b5615ba7c1220ff6510e259f06655d8",
     "5d3624879d35e46849953e45a32a624d6a6c536ed9857c613b572b0333e701557a713e3f010ecdf9a6bd6c9e3e44b065208645aff4aabee611b391528514170084ccf587177f4488f33cfb5e979e42b6e1cfc0a60238982a7aec",
     "81824f0e0d523db30d3da369fdc0d60894c7a0a20646dd015073ad2732bd989b14a222b6ad57af43e1895df9dca2a5344a62cc",
     "57a3ee28136e94c74838997ae9823f3a"},
    {"d9f7d2411091f947b4d6f1e2d1f0fb2e",
     "e1934f5db57cc983e6b180e7",
     "73ed042327f70fe9c572a61545eda8b2a0c6e1d6c291ef19248e973aee6c312012f490c2c6f6166f4a59431e182663fcaea05a",
     "0a8a18a7150e940c3d87b38e73baee9a5c049ee21795663e264b694a949822b639092d0e67015e86363583fcf0ca645af9f43375f05fdb4ce84f411dcbca73c2220dea03a20115d2e51398344b16bee1ed7c499b353d6c597af8",
     "aaadbd5c92e9151ce3db7210b8714126b73e43436d242677afa50384f2149b831f1d573c7891c2a91fbc48db29967ec9542b23",
     "21b51ca862cb637cdd03b99a0f93b134"},
    {"fe9bb47deb3a61e423c2231841cfd1fb",
     "4d328eb776f500a2f7fb47aa",
     "f1cc3818e421876bb6b8bbd6c9",
     "",
     "b88c5c1977b35b517b0aeae967",
     "43fd4727fe5cdb4b5b42818dea7ef8c9"},
    {"6703df3701a7f54911ca72e24dca046a",
     "12823ab601c350ea4bc2488c",
     "793cd125b0b84a043e3ac67717",
     "",
     "b2051c80014f42f08735a7b0cd",
     "38e6bcd29962e5f2c13626b85a877101"},
};

static void aes_gcm(void)
{
    uint8_t key[16], in[16], out[16];
    t_unhex(key, "000102030405060708090a0b0c0d0e0f");
    t_unhex(in, "00112233445566778899aabbccddeeff");
    t_unhex(A, "69c4e0d86a7b0430d8cdb78070b4c55a");
    crypto_aes128_encrypt_block(out, key, in);
    CHECK_MEM(out, A, 16, "fips197 C.1");

    static const char *K0 = "00000000000000000000000000000000";
    static const char *K = "feffe9928665731c6d6a8f9467308308";
    static const char *P =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    static const char *P60 =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    static const char *AD = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    gcm_case("gcm 1", K0, "000000000000000000000000", "", "", "",
             "58e2fccefa7e3061367f1d57a4e7455a");
    gcm_case("gcm 2", K0, "000000000000000000000000", "00000000000000000000000000000000", "",
             "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf");
    gcm_case("gcm 3", K, "cafebabefacedbaddecaf888", P, "",
             "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
             "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
             "4d5c2af327cd64a62cf35abd2ba6fab4");
    gcm_case("gcm 4", K, "cafebabefacedbaddecaf888", P60, AD,
             "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
             "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
             "5bc94fbc3221a5db94fae95ae7121a47");
    gcm_case("gcm 5", K, "cafebabefacedbad", P60, AD,
             "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423"
             "73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
             "3612d2e79e3b0785561be14aaca2fccb");
    gcm_case("gcm 6", K,
             "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
             "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
             P60, AD,
             "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
             "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
             "619cc5aefffe0bfa462af43c1699d050");
    for (size_t i = 0; i < sizeof cavp_gcm / sizeof cavp_gcm[0]; i++) {
        const char *const *v = cavp_gcm[i];
        gcm_case("cavp", v[0], v[1], v[2], v[3], v[4], v[5]);
    }
    CHECK(crypto_aes128gcm_init(&(crypto_aes128gcm_t){0}, key, B, 0, NULL, 0) == CRYPTO_EINVAL,
          "empty iv");
}

int main(void)
{
    sha();
    hmac_hkdf();
    chacha_poly();
    x25519();
    ed25519();
    aes_gcm();
    return t_report("crypto_vectors");
}
