#!/usr/bin/env python3
"""Writes the gateway fuzzer's seed inputs to tests/fuzz/corpus/gateway/.

A record is op, x, then four (selector, u32 LE) argument pairs; see
fuzz_gateway.c. Slots come from microvisor/core/gateway_calls.h.
"""
import os, re, struct, sys

root = os.path.dirname(os.path.abspath(__file__))
keel = os.path.normpath(os.path.join(root, '..', '..', '..'))
names = re.findall(r'^MV_CALL(?:_PARK)?\((\w+),', open(os.path.join(keel, 'microvisor/core/gateway_calls.h')).read(), re.M)
slot = {n: i for i, n in enumerate(names)}
RAW, RAM, RAM8, CODE, EDGE, SIZE, SECURE, IRQ, HANDLE, BUF, PERIPH = range(11)
LOGBUF = 15
SIZES = [0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 33, 34, 35, 48, 64, 511, 512]

def arg(sel, r):
    return struct.pack('<BI', sel, r & 0xFFFFFFFF)

def rec(op, x=0, *args):
    args = list(args) + [arg(RAW, 0)] * (4 - len(args))
    return bytes([op, x]) + b''.join(args)

def call(name, *args, x=0):
    return rec(slot[name], x, *args)

STORE, WORK, TIME, SETUP, VECTOR, RESET, LOG, TRIGGER, LINK, NETREQ = range(0xC0, 0xCA)
seeds = {
    'basic': b''.join([
        call('mvNoOp'),
        call('mvGetMicroseconds', arg(RAM, 0x100)),
        call('mvGetSysClk', arg(RAM, 0x108)),
        call('mvGetPClk2', arg(RAM, 0x10A)),
        call('mvGetWallTime', arg(RAM, 0x110)),
        call('mvGetDeviceId', arg(RAM, 0x200), arg(SIZE, SIZES.index(34))),
        call('mvGetDeviceId', arg(RAM, 0x300), arg(SIZE, SIZES.index(33))),
        call('mvGetWakeReason', arg(RAM, 0x401)),
        call('mvPeriphPeek32', arg(PERIPH, 0), arg(RAM, 0x500)),
        call('mvPeriphPoke32', arg(PERIPH, 0), arg(RAW, 3), arg(RAW, 1)),
        call('mvPeriphPeek32', arg(PERIPH, 2), arg(RAM, 0x504)),
        call('mvOpenChannel', arg(RAM, 0x600), arg(RAM, 0x700)),
    ]),
    'notify': b''.join([
        rec(SETUP, 2, arg(RAM8, 0x1000), arg(RAM8, 0x2000), arg(RAM8, 0x3000), arg(SIZE, SIZES.index(64))),
        rec(SETUP, 8, arg(RAM8, 0x1000), arg(RAM8, 0x2008), arg(RAM8, 0x3020), arg(SIZE, SIZES.index(32))),
        rec(TRIGGER, 0, arg(RAW, 0), arg(RAW, 1), arg(RAW, 0x55)),
        rec(TRIGGER, 0, arg(RAW, 0), arg(RAW, 1), arg(RAW, 0x56)),
        rec(TRIGGER, 0, arg(RAW, 0), arg(RAW, 1), arg(RAW, 0x57)),
        rec(TRIGGER, 0, arg(RAW, 0), arg(RAW, 1), arg(RAW, 0x58)),
        rec(TRIGGER, 0, arg(RAW, 0), arg(RAW, 1), arg(RAW, 0x59)),
        rec(TRIGGER, 0x80, arg(RAW, 0), arg(RAW, 1), arg(RAW, 0x5A)),
        call('mvTempTriggerNotification', arg(HANDLE, 0), arg(RAW, 2), arg(RAW, 3)),
        call('mvCloseNotifications', arg(RAM8, 0x2000)),
        call('mvCloseNotifications', arg(RAM8, 0x2000)),
    ]),
    'log': b''.join([
        call('mvServerLoggingInit', arg(LOGBUF, 8), arg(SIZE, SIZES.index(512))),
        rec(LOG, 0, arg(RAM, 0x5000), arg(RAW, 20), arg(RAW, 0x41424344)),
        rec(LOG, 0, arg(RAM, 0x5100), arg(RAW, 300), arg(RAW, 0x30313233)),
        rec(WORK),
        rec(STORE, 2, arg(LOGBUF, 8), arg(RAW, 0xFFFFFFFF)),
        rec(LOG, 0, arg(RAM, 0x5000), arg(RAW, 5), arg(RAW, 0x41424344)),
        rec(STORE, 1, arg(BUF, 0x200), arg(RAW, 0xFFFF)),
        rec(WORK),
        call('mvServerLoggingInit', arg(LOGBUF, 9), arg(SIZE, SIZES.index(512))),
    ]),
    'fast': b''.join([
        rec(VECTOR, 2, arg(CODE, 0), arg(CODE, 0x400)),
        call('mvEnableFastInterrupt', arg(IRQ, 2)),
        call('mvDisableAllFastInterrupts'),
        call('mvDisableFastInterrupt', arg(IRQ, 2)),
        call('mvEnableFastInterrupt', arg(IRQ, 2)),
        call('mvEnableAllFastInterrupts'),
        call('mvClearFastInterrupt', arg(IRQ, 2)),
        rec(VECTOR, 0x40 | 11, arg(CODE, 0), arg(CODE, 0x400)),
        rec(TIME, 2, arg(RAW, 5)),
        call('mvRestart', arg(RAW, 0)),
        call('mvGetWakeReason', arg(RAM, 1)),
        rec(TIME, 0, arg(RAW, 5)),
        call('mvRestart', arg(RAW, 0)),
        rec(RESET),
    ]),
    'network': b''.join([
        rec(SETUP, 2, arg(RAM8, 0x1000), arg(RAM8, 0x2000), arg(RAM8, 0x3000), arg(SIZE, SIZES.index(64))),
        rec(NETREQ, 0x10, arg(RAM8, 0x4000), arg(RAM8, 0x4100), arg(RAW, 0), arg(RAW, 0x77)),
        rec(NETREQ, 0, arg(RAM8, 0x4200), arg(RAM8, 0x4300), arg(RAW, 0), arg(RAW, 0x78)),
        call('mvGetNetworkStatus', arg(HANDLE, 0x400), arg(RAM8, 0x4400)),
        call('mvGetNetworkReasons', arg(RAM8, 0x4500), arg(RAM8, 0x4508)),
        call('mvGetNetworkReasons', arg(RAM8, 0x4500), arg(RAM8, 0x4500)),
        rec(LINK, 0, arg(RAW, 0), arg(RAW, 2)),
        rec(LINK, 0, arg(RAW, 0), arg(RAW, 1)),
        rec(LINK, 0, arg(RAW, 0), arg(RAW, 1)),
        rec(LINK, 1, arg(RAW, 0), arg(RAW, 3)),
        call('mvGetNetworkStatus', arg(HANDLE, 0x400), arg(RAM8, 0x4400)),
        call('mvReleaseNetwork', arg(RAM8, 0x4300)),
        call('mvReleaseNetwork', arg(RAM8, 0x4300)),
        call('mvGetNetworkStatus', arg(HANDLE, 0x400), arg(RAM8, 0x4400)),
        rec(NETREQ, 0x40, arg(RAM8, 0x4600), arg(RAM8, 0x4700), arg(RAW, 0), arg(RAW, 2)),
        rec(NETREQ, 0x20, arg(RAM8, 0x4600), arg(RAM8, 0x4700), arg(RAW, 0x12345), arg(RAW, 0)),
        call('mvCloseNotifications', arg(RAM8, 0x2000)),
        rec(LINK, 0, arg(RAW, 0), arg(RAW, 2)),
        rec(NETREQ, 0, arg(RAM8, 0x4800), arg(RAM8, 0x4900)),
        rec(NETREQ, 0, arg(RAM8, 0x4800), arg(RAM8, 0x4908)),
        rec(NETREQ, 0, arg(RAM8, 0x4800), arg(RAM8, 0x4910)),
        rec(NETREQ, 0, arg(RAM8, 0x4800), arg(RAM8, 0x4918)),
        call('mvGetNetworkReasons', arg(RAM8, 0x4500), arg(RAM8, 0x4508)),
        rec(RESET),
        call('mvGetNetworkStatus', arg(HANDLE, 0x400), arg(RAM8, 0x4400)),
    ]),
}
out = os.path.join(keel, 'tests/fuzz/corpus/gateway')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
print('wrote', len(seeds), 'seeds to', out)
