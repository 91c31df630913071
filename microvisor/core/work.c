/*
 * IMPLEMENTATION NOTES
 * Pending work is one 32-bit mask: submitting is an OR under the lock,
 * running takes the whole mask at once (swap with 0) and runs the bits
 * lowest first. Nothing is allocated and nothing is queued twice, so the
 * worst-case latency of an item is one pass over all MV_WORK_MAX items.
 * pending_since_us records when the mask went from empty to non-empty; the
 * tick compares it with now to detect an application holding the
 * microvisor off. Taking the mask empties it, so the clock stops then, not
 * only when a pass finds nothing: time spent running work is not hold-off.
 */
#include "work.h"

#include <stddef.h>

#include "mv_config.h"

static const struct work_hooks *hooks;
static work_fn work_table[MV_WORK_MAX];
static unsigned work_count;
static volatile uint32_t work_pending;
static volatile uint64_t pending_since_us;
static volatile bool pending_clock_running;

struct timer {
    int work_id;
    bool armed;
    uint64_t deadline_us;
    uint32_t period_us;
};
static struct timer timer_table[MV_TIMER_MAX];
static unsigned timer_count;

void work_init(const struct work_hooks *h)
{
    hooks = h;
    work_count = 0;
    timer_count = 0;
    work_pending = 0;
    pending_clock_running = false;
}

int work_register(work_fn fn)
{
    if (work_count >= MV_WORK_MAX || fn == NULL)
        return -1;
    work_table[work_count] = fn;
    return (int)work_count++;
}

void work_submit(int id, uint64_t now_us)
{
    if (id < 0 || (unsigned)id >= work_count)
        return;
    uint32_t state = hooks->lock();
    if (!pending_clock_running) {
        pending_since_us = now_us;
        pending_clock_running = true;
    }
    work_pending |= 1u << id;
    hooks->unlock(state);
    hooks->pend();
}

void work_run_pending(uint64_t now_us)
{
    for (;;) {
        uint32_t state = hooks->lock();
        uint32_t todo = work_pending;
        work_pending = 0;
        /* Taken: nothing is pending any more, so the hold-off clock stops;
         * an item submitted while these run starts it afresh. */
        pending_clock_running = false;
        hooks->unlock(state);
        if (todo == 0)
            return;
        for (unsigned i = 0; i < work_count; i++)
            if (todo & (1u << i))
                work_table[i](now_us);
    }
}

bool work_held_off(uint64_t now_us, uint64_t limit_us)
{
    uint32_t state = hooks->lock();
    bool late = pending_clock_running && now_us - pending_since_us > limit_us;
    hooks->unlock(state);
    return late;
}

int timer_register(int work_id)
{
    if (timer_count >= MV_TIMER_MAX || work_id < 0 || (unsigned)work_id >= work_count)
        return -1;
    timer_table[timer_count] = (struct timer){ .work_id = work_id };
    return (int)timer_count++;
}

void timer_start(int timer_id, uint64_t deadline_us, uint32_t period_us)
{
    if (timer_id < 0 || (unsigned)timer_id >= timer_count)
        return;
    uint32_t state = hooks->lock();
    timer_table[timer_id].deadline_us = deadline_us;
    timer_table[timer_id].period_us = period_us;
    timer_table[timer_id].armed = true;
    hooks->unlock(state);
}

void timer_stop(int timer_id)
{
    if (timer_id < 0 || (unsigned)timer_id >= timer_count)
        return;
    uint32_t state = hooks->lock();
    timer_table[timer_id].armed = false;
    hooks->unlock(state);
}

void timers_expire(uint64_t now_us)
{
    for (unsigned i = 0; i < timer_count; i++) {
        struct timer *t = &timer_table[i];
        if (!t->armed || now_us < t->deadline_us)
            continue;
        if (t->period_us) {
            /* Skip missed periods rather than firing a burst. */
            do
                t->deadline_us += t->period_us;
            while (t->deadline_us <= now_us);
        } else {
            t->armed = false;
        }
        work_submit(t->work_id, now_us);
    }
}
