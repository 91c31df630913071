/*
 * The randomized hostile application (tests/qemu/test_hostile_random.py).
 *
 * A seeded generator (xorshift32; the seed is patched into the image by
 * the test, after the marker below, and printed) picks one action per
 * step: any veneer with random arguments (words, or pointers into secure
 * memory, the NSC table, unmapped space, the app's own scratch and its lent
 * buffers), interrupts pended at random priorities whose handlers nest,
 * call, fault or forge exception returns, TIMER0 as a fast interrupt over
 * deferred work, forged EXC_RETURN values and frames, stack switches
 * (PSP, stack limits), priority and mask changes, notification centers and
 * log lines, deliberate faults. After every step the application checks
 * the microvisor is alive (mvNoOp answers, the clock moves).
 *
 * Whatever happens the application may be stopped and restarted: the
 * generator's state, the step count and the failures survive in .noinit
 * memory (guarded by a check word), and a restart continues the sequence.
 * Every restart after a stop first asks for mvRestart, so the back-off
 * stays at its minimum and the run keeps moving.
 */
#include <string.h>

#include "ns_hw.h"
#include "testapp.h"

#define NSC_BASE 0x10010400u
#define NCALLS 74u
#define SLOT_RESTART 62u /* mvRestart's slot: parks the caller (counted apart) */

/* The test replaces the 4 bytes after this marker with the seed. */
__attribute__((used)) static volatile const struct {
    char marker[16];
    uint32_t seed;
} seed_cell = { "KEEL-HOSTILE-SD", 0x12345678u };

struct state {
    uint32_t magic, rng, step, runs, failures, stops, seed, check;
};
static struct state st TESTAPP_NOINIT;
#define MAGIC 0x4A7D0B1Eu

static uint32_t st_check(void)
{
    return st.magic ^ st.rng ^ (st.step * 2654435761u) ^ st.runs ^ st.failures ^ st.stops ^
           st.seed ^ 0x5A5A5A5Au;
}

static void st_save(void)
{
    st.check = st_check();
}

static uint32_t rnd(void)
{
    uint32_t x = st.rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    st.rng = x ? x : 0x9E3779B9u;
    st_save(); /* handlers draw too: the state must be whole at any fault */
    return st.rng;
}

static uint32_t below(uint32_t n)
{
    return rnd() % n;
}

/* ---- memory the attacks aim at --------------------------------------------------- */

static uint8_t scratch[2048] __attribute__((aligned(8)));
static uint8_t spool[1024] __attribute__((aligned(512)));
static struct MvNotification ring[4] __attribute__((aligned(8)));
static uint32_t stacks[2][256] __attribute__((aligned(8)));  /* forged frames land here */
static uint32_t pstacks[2][256] __attribute__((aligned(8))); /* process stacks */
static char line[600];

static uint32_t rnd_pointer(void)
{
    static const uint32_t bad[] = {
        0x38000000u, 0x38000100u, 0x10010400u, 0x10000000u, 0x00000000u, 0x80000000u,
        0x60000000u, 0xF0000000u, 0x40200000u, 0x003FFF00u, 0x283FFFFCu, 0xFFFFFFF0u,
    };
    switch (below(6)) {
    case 0: case 1: return bad[below(sizeof(bad) / sizeof(bad[0]))];
    case 2: return (uint32_t)(uintptr_t)scratch + (below(sizeof(scratch)) & ~3u);
    case 3: return (uint32_t)(uintptr_t)ring + below(sizeof(ring));
    case 4: return (uint32_t)(uintptr_t)spool + below(sizeof(spool));
    default: return rnd();
    }
}

static uint32_t rnd_arg(void)
{
    switch (below(4)) {
    case 0: return rnd_pointer();
    case 1: return below(128);
    case 2: return rnd();
    default: return (uint32_t)(uintptr_t)scratch;
    }
}

typedef uint32_t (*call4_t)(uint32_t, uint32_t, uint32_t, uint32_t);

static uint32_t call_slot(uint32_t slot)
{
    call4_t f = (call4_t)(uintptr_t)((NSC_BASE + 8u * slot) | 1u);
    return f(rnd_arg(), rnd_arg(), rnd_arg(), rnd_arg());
}

static uint32_t random_call(void)
{
    uint32_t slot = below(NCALLS);
    if (slot == SLOT_RESTART && below(4) != 0)
        slot = 0; /* a restart now and then, not one in 74 steps */
    return call_slot(slot);
}

/* ---- forging ----------------------------------------------------------------------- */

static void __attribute__((naked, noreturn)) forge(uint32_t exc_return __attribute__((unused)),
                                                   uint32_t *frame __attribute__((unused)))
{
    __asm volatile("msr psp, r1\n\t"
                   "mov sp, r1\n\t"
                   "bx r0\n");
}

static void __attribute__((noreturn)) run_steps(void);

static void __attribute__((noreturn)) landed(void)
{
    __asm volatile("msr primask, %0\n\tmsr basepri, %0\n\tmsr control, %0\n\tisb" ::"r"(0));
    run_steps();
}

static void forge_random(void)
{
    static const uint32_t values[] = {
        0xFFFFFFF8u, 0xFFFFFFFCu, 0xFFFFFFF0u, 0xFFFFFFF9u, 0xFFFFFFFDu, 0xFFFFFFF1u,
        0xFFFFFFD8u, 0xFFFFFFE8u, 0xFFFFFFB9u, 0xFFFFFFB0u, 0xFFFFFFBCu, 0xFFFFFFB8u,
        0xFFFFFF98u, 0xFFFFFFA8u,
    };
    uint32_t v = values[below(sizeof(values) / sizeof(values[0]))];
    if (below(8) == 0)
        v ^= 1u << below(7);
    /* Not the stack this handler runs on. */
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    uint32_t k = sp >= (uint32_t)(uintptr_t)stacks[0] && sp < (uint32_t)(uintptr_t)stacks[1];
    uint32_t *top = stacks[k ? 1 : 0] + 256 - 8u * below(4);
    uint32_t *f = top - 8;
    memset(f, 0, 32);
    f[5] = 0xFFFFFFFFu;
    f[6] = (uint32_t)(uintptr_t)landed & ~1u;
    f[7] = 0x01000000u | (below(4) == 0 ? 16u + 80u + below(16) : 0u);
    st_save();
    forge(v, f);
}

/* ---- handlers ---------------------------------------------------------------------- */

static volatile uint32_t in_handler;

static void handler_action(void)
{
    in_handler++;
    switch (below(10)) {
    case 0: case 1: case 2: random_call(); break;
    case 3: ns_irq_pend(80u + below(16)); mvNoOp(); break;
    case 4: if (below(3) == 0) forge_random(); break;
    case 5: if (below(4) == 0) (void)*(volatile uint32_t *)0x38000000u; break;
    case 6: mvTempTriggerNotification((MvNotificationHandle)rnd(), 1, 1); break;
    default: mvNoOp(); break;
    }
    in_handler--;
}

#define SPARE_HANDLER(n) void IRQ##n##_Handler(void) { handler_action(); }
SPARE_HANDLER(80) SPARE_HANDLER(81) SPARE_HANDLER(82) SPARE_HANDLER(83)
SPARE_HANDLER(84) SPARE_HANDLER(85) SPARE_HANDLER(86) SPARE_HANDLER(87)
SPARE_HANDLER(88) SPARE_HANDLER(89) SPARE_HANDLER(90) SPARE_HANDLER(91)
SPARE_HANDLER(92) SPARE_HANDLER(93) SPARE_HANDLER(94)

/* IRQ 95 always forges its return. */
void IRQ95_Handler(void)
{
    forge_random();
}

void TIMER0_IRQHandler(void)
{
    TIMER0_INTCLR = 1;
    if (below(16) == 0)
        TIMER0_CTRL = 0;
    handler_action();
}

void SysTick_Handler(void)
{
    if (below(8) == 0)
        SYST_CSR = 0;
    handler_action();
}

void PendSV_Handler(void)
{
    handler_action();
}

void SVC_Handler(void)
{
    handler_action();
}

/* ---- the actions ------------------------------------------------------------------- */

static MvNotificationHandle center;

static void act(uint32_t a)
{
    switch (a) {
    case 0: case 1: case 2:
        random_call();
        break;
    case 3: /* pended interrupts, random priorities, some pended by a call */
        for (uint32_t i = 0, n = 1 + below(4); i < n; i++) {
            uint32_t irq = 80u + below(16);
            ns_irq_setup(irq, (uint8_t)(below(256)));
            ns_irq_pend(irq);
        }
        if (center && below(2))
            mvTempTriggerNotification(center, 1, rnd());
        break;
    case 4: /* TIMER0, fast or not, over a log drain */
        if (below(2))
            mvSetFastInterrupt(IRQ_TIMER0);
        else
            mvClearFastInterrupt(IRQ_TIMER0);
        ns_timer0_start(50u + below(2000), (uint8_t)below(256));
        memset(line, 'a' + (char)below(26), sizeof(line));
        mvServerLoggingInit(spool, sizeof(spool));
        mvServerLog((const uint8_t *)line, (uint16_t)(1 + below(sizeof(line))));
        for (volatile uint32_t i = 0, n = below(20000); i < n; i++)
            ;
        TIMER0_CTRL = 0;
        break;
    case 5: /* a forged exception return, from an NS handler */
        ns_irq_setup(95, (uint8_t)below(256));
        ns_irq_pend(95);
        break;
    case 6: { /* stack switch: calls on PSP, limits moved */
        uint32_t *top = pstacks[below(2)] + 256;
        __asm volatile("msr psp, %0\n\tmsr psplim, %1" ::"r"(top), "r"(below(2) ? 0u : (uint32_t)(uintptr_t)(top - 64)));
        __asm volatile("mrs r0, control\n\torr r0, r0, #2\n\tmsr control, r0\n\tisb" ::: "r0", "memory");
        random_call();
        mvNoOp();
        __asm volatile("mrs r0, control\n\tbic r0, r0, #2\n\tmsr control, r0\n\tisb" ::: "r0", "memory");
        break;
    }
    case 7: { /* masks and priorities around calls */
        uint32_t bp = below(256);
        __asm volatile("msr basepri, %0" ::"r"(bp));
        if (below(2))
            __asm volatile("cpsid i");
        random_call();
        for (volatile uint32_t i = 0, n = below(5000); i < n; i++)
            ;
        __asm volatile("cpsie i\n\tmsr basepri, %0" ::"r"(0));
        break;
    }
    case 8: { /* notification centers */
        struct MvNotificationSetup s = { 80u + below(16), ring, below(2) ? sizeof(ring) : 32u };
        if (center && below(2)) {
            mvCloseNotifications(&center);
        } else if (!center) {
            if (mvSetupNotifications(&s, &center) != MV_STATUS_OKAY)
                center = 0;
            else
                ns_irq_setup(s.irq, (uint8_t)below(256));
        }
        break;
    }
    case 9: /* system exceptions: SVC, PendSV_NS, SysTick_NS */
        if (below(2))
            SCB_ICSR = ICSR_PENDSVSET;
        if (below(2))
            ns_systick_start(100u + below(5000));
        if (below(3) == 0)
            __asm volatile("svc #0");
        break;
    case 10: /* a deliberate fault, now and then */
        if (below(6) == 0) {
            static const uint32_t where[] = { 0x38000000u, 0x10000000u, 0x80000000u };
            st_save();
            (void)*(volatile uint32_t *)(uintptr_t)where[below(3)];
        }
        break;
    default:
        mvNoOp();
        break;
    }
}

static int alive(void)
{
    uint64_t a = 0, b = 0;
    uint32_t s0 = mvNoOp(), s1 = mvGetMicroseconds(&a), s2 = mvGetMicroseconds(&b);
    if (s0 == MV_STATUS_MICROVISORBUSY)
        return 1; /* over deferred work the app abandoned: the microvisor stops us */
    return s0 == MV_STATUS_OKAY && s1 == MV_STATUS_OKAY && s2 == MV_STATUS_OKAY && b >= a;
}

static void __attribute__((noreturn)) run_steps(void)
{
    __asm volatile("msr msplim, %0\n\tmsr psplim, %0" ::"r"(0));
    for (;;) {
        uint32_t a = below(12);
        st.step++;
        st_save();
        act(a);
        if (!alive()) {
            st.failures++;
            printf("FAIL: hostile_random: seed %lu step %lu action %lu: microvisor not answering\n",
                   (unsigned long)st.seed, (unsigned long)st.step, (unsigned long)a);
        }
        if (st.step % 200u == 0)
            printf("hostile_random: seed %lu step %lu runs %lu stops %lu failures %lu\n",
                   (unsigned long)st.seed, (unsigned long)st.step, (unsigned long)st.runs,
                   (unsigned long)st.stops, (unsigned long)st.failures);
        st_save();
    }
}

int main(void)
{
    enum MvWakeReason wake = 0xEE;
    mvGetWakeReason(&wake);
    if (st.magic != MAGIC || st.check != st_check() || st.seed != seed_cell.seed) {
        uint32_t seed = seed_cell.seed;
        st = (struct state){ .magic = MAGIC, .rng = seed ? seed : 1u, .seed = seed };
        printf("hostile_random: seed %lu\n", (unsigned long)seed);
    }
    st.runs++;
    center = 0;
    if (wake == MV_WAKEREASON_APPLICATIONCRASH) {
        st.stops++;
        st_save();
        /* Back to the minimum back-off: the run keeps moving. */
        mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE);
    }
    if (!alive()) {
        st.failures++;
        printf("FAIL: hostile_random: microvisor not answering after a restart\n");
    }
    st_save();
    run_steps();
}
