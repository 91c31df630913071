/*
 * M33 bench image for microvisor/mqtt: what the session costs in
 * instructions under QEMU -icount (one CMSDK TIMER0 tick is 50
 * instructions, as in tests/bench/tls), each figure the mean of ROUNDS
 * runs, with the broker's packets made here in memory:
 *   mqtt_connect        mqtt_connect, the CONNECT sent, CONNACK taken
 *   mqtt_publish_qos1   a 512-byte QoS 1 publish to devices/<id>/up/logs:
 *                       queued, sent, its PUBACK taken
 *   mqtt_receive_qos1   a 256-byte QoS 1 PUBLISH taken (topic checked,
 *                       event delivered) and its PUBACK sent
 *   mqtt_keepalive      a PINGREQ queued by mqtt_tick and sent, the
 *                       PINGRESP taken
 *   mqtt_context        sizeof(mqtt_client_t), bytes
 *   mqtt_stack          peak stack depth of all of it, bytes
 * Printed as "M33 <name> <value> 0" through semihosting. Exit code 0 only
 * if every step gave the events it should.
 */
#include <stdint.h>
#include <string.h>

#include "mqtt.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
int main(void);

void bench_reset(void)
{
    uint32_t *s = &__data_load, *d = &__data_start;
    while (d < &__data_end)
        *d++ = *s++;
    for (d = &__bss_start; d < &__bss_end;)
        *d++ = 0;
    main();
    for (;;)
        ;
}

static void bench_fault(void)
{
    for (;;)
        ;
}

__attribute__((section(".vectors"), used)) void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, bench_reset, bench_fault, bench_fault,
    bench_fault, bench_fault, bench_fault, bench_fault,
};

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void print_result(const char *name, uint32_t v)
{
    char line[64], num[12], *p = line;
    int n = 0;
    for (const char *q = "M33 "; *q;)
        *p++ = *q++;
    while (*name)
        *p++ = *name++;
    *p++ = ' ';
    do {
        num[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = num[--n];
    *p++ = ' ', *p++ = '0', *p++ = '\n', *p = 0;
    semihost(0x04, line); /* SYS_WRITE0 */
}

static void sh_exit(uint32_t code)
{
    uint32_t blk[2] = {0x20026, code}; /* ADP_Stopped_ApplicationExit */
    semihost(0x20, blk);               /* SYS_EXIT_EXTENDED */
    for (;;)
        ;
}

#define TIMER0_CTRL (*(volatile uint32_t *)0x50000000)
#define TIMER0_VALUE (*(volatile uint32_t *)0x50000004)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x50000008)

#define STACK_PAINT 0x5a5a5a5au
#define STACK_SCAN 8192u
#define ROUNDS 16u
#define ID "UV0123456789ABCDEF0123456789ABCDEF"

static mqtt_client_t mq;
static uint32_t events[8];
static uint8_t payload[512];
static uint8_t incoming[300];
static size_t incoming_len;
static uint32_t wire; /* bytes "sent" (a checksum so nothing is optimised away) */

static void on_event(void *arg, const mqtt_event_t *ev)
{
    (void)arg;
    events[ev->type & 7]++;
}

static const mqtt_config_t cfg = {.client_id = ID, .keepalive_s = 60, .on_event = on_event,
                                  .will_topic = "devices/" ID "/up/offline"};

static void send_all(uint64_t now)
{
    size_t len;
    const uint8_t *p;
    while ((p = mqtt_sendbuf(&mq, &len)), len) {
        wire += p[0] + (uint32_t)len;
        mqtt_sent(&mq, len, now);
    }
}

static __attribute__((noinline)) void paint(void)
{
    uint32_t *sp = (uint32_t *)__builtin_frame_address(0);
    for (uint32_t i = 64; i < STACK_SCAN / 4; i++)
        sp[-(int32_t)i] = STACK_PAINT;
}

static uint32_t stack_used(const uint32_t *top)
{
    uint32_t i = STACK_SCAN / 4;
    while (i > 64 && top[-(int32_t)i] == STACK_PAINT)
        i--;
    return i * 4;
}

static uint32_t overhead;
static uint32_t t_start;
static void start(void)
{
    t_start = TIMER0_VALUE;
}
static uint32_t stop(void)
{
    uint32_t t = TIMER0_VALUE;
    return (t_start - t) * 50 - overhead;
}

int main(void)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xffffffff;
    TIMER0_VALUE = 0xffffffff;
    TIMER0_CTRL = 1;
    uint32_t e0 = TIMER0_VALUE, e1 = TIMER0_VALUE;
    overhead = (e0 - e1) * 50;
    static const uint8_t connack[] = {0x20, 2, 0, 0}, pingresp[] = {0xd0, 0};
    const char *topic = "devices/" ID "/down/command";
    size_t tl = strlen(topic);
    /* an incoming QoS 1 PUBLISH with a 256-byte payload */
    size_t rem = 2 + tl + 2 + 256;
    incoming[0] = 0x32;
    incoming[1] = (uint8_t)(rem | 0x80);
    incoming[2] = (uint8_t)(rem >> 7);
    incoming[3] = (uint8_t)(tl >> 8);
    incoming[4] = (uint8_t)tl;
    memcpy(incoming + 5, topic, tl);
    incoming_len = 5 + tl + 2 + 256;
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)i;

    bool ok = mqtt_init(&mq, &cfg) == 0;
    paint();
    const uint32_t *top = (const uint32_t *)__builtin_frame_address(0);
    uint64_t now = 0;
    uint32_t t_connect = 0, t_pub = 0, t_recv = 0, t_ka = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        start();
        mqtt_connect(&mq, now);
        send_all(now);
        ok &= mqtt_feed(&mq, connack, sizeof(connack), now) == (int)sizeof(connack);
        t_connect += stop();

        uint16_t id = 0;
        start();
        ok &= mqtt_publish(&mq, "devices/" ID "/up/logs", payload, sizeof(payload), 1, false,
                           &id) == 0;
        send_all(now);
        uint8_t ack[4] = {0x40, 2, (uint8_t)(id >> 8), (uint8_t)id};
        ok &= mqtt_feed(&mq, ack, 4, now) == 4;
        t_pub += stop();

        incoming[5 + tl] = 0;
        incoming[6 + tl] = (uint8_t)(r + 1);
        start();
        ok &= mqtt_feed(&mq, incoming, incoming_len, now) == (int)incoming_len;
        send_all(now);
        t_recv += stop();

        now += 60000;
        start();
        ok &= mqtt_tick(&mq, now) == 0;
        send_all(now);
        ok &= mqtt_feed(&mq, pingresp, 2, now) == 2;
        t_ka += stop();
        mqtt_connection_lost(&mq);
    }
    uint32_t stack = stack_used(top);
    ok &= events[MQTT_EV_CONNACK] == ROUNDS && events[MQTT_EV_PUBACK] == ROUNDS &&
          events[MQTT_EV_PUBLISH] == ROUNDS && events[MQTT_EV_PINGRESP] == ROUNDS &&
          mqtt_stats(&mq)->acked == ROUNDS && wire != 0;
    print_result("mqtt_connect", t_connect / ROUNDS);
    print_result("mqtt_publish_qos1", t_pub / ROUNDS);
    print_result("mqtt_receive_qos1", t_recv / ROUNDS);
    print_result("mqtt_keepalive", t_ka / ROUNDS);
    print_result("mqtt_context", (uint32_t)sizeof(mq));
    print_result("mqtt_stack", stack);
    sh_exit(ok ? 0 : 1);
    return 0;
}
