/*
 * The newlib system calls a Keel application needs: a heap in the RAM the
 * linker script leaves free, stdout/stderr on the application's own UART
 * (UART1, 0x40201000), and exit/abort as a restart request.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "mv_syscalls.h"

#define UART1_DATA  (*(volatile uint32_t *)0x40201000u)
#define UART1_STATE (*(volatile uint32_t *)0x40201004u)

extern char __heap_start[], __heap_end[];
static char *heap_top = __heap_start;

void *_sbrk(ptrdiff_t increment)
{
    if (increment < 0 || increment > __heap_end - heap_top) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = heap_top;
    heap_top += increment;
    return old;
}

int _write(int fd, const char *buf, int len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    for (int i = 0; i < len; i++) {
        while (UART1_STATE & 1u)
            ;
        UART1_DATA = (uint8_t)buf[i];
    }
    return len;
}

int _read(int fd, char *buf, int len)
{
    (void)fd, (void)buf, (void)len;
    errno = EBADF;
    return -1;
}

int _close(int fd)
{
    (void)fd;
    return -1;
}

int _lseek(int fd, int offset, int whence)
{
    (void)fd, (void)offset, (void)whence;
    return -1;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd)
{
    return fd <= 2;
}

int _getpid(void)
{
    return 1;
}

int _kill(int pid, int sig)
{
    (void)pid, (void)sig;
    errno = EINVAL;
    return -1;
}

void _exit(int status)
{
    (void)status;
    for (;;)
        mvRestart(MV_RESTARTMODE_AUTOAPPLYUPDATE);
}
