/* port_fmt.c — a small printf for every target (no libc needed): formats into a
 * buffer and hands it to port_write. */
#include <stdarg.h>
#include "port.h"

typedef struct { char buf[128]; unsigned n; } port__out;

static void port__flush(port__out *o) {
    o->buf[o->n] = 0;
    port_write(o->buf);
    o->n = 0;
}
static void port__put(port__out *o, char c) {
    if (o->n == sizeof(o->buf) - 1) port__flush(o);
    o->buf[o->n++] = c;
}
static void port__pad(port__out *o, int n, char c) { while (n-- > 0) port__put(o, c); }

static void port__num(port__out *o, unsigned long long v, int neg, unsigned base, int width, int zero, int left) {
    char tmp[24];
    int i = 0, len;
    do {
        tmp[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    len = i + neg;
    if (!left && !zero) port__pad(o, width - len, ' ');
    if (neg) port__put(o, '-');
    if (!left && zero) port__pad(o, width - len, '0');
    while (i) port__put(o, tmp[--i]);
    if (left) port__pad(o, width - len, ' ');
}

void port_printf(const char *fmt, ...) {
    port__out o;
    va_list ap;
    o.n = 0;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        int width = 0, zero = 0, left = 0, lng = 0, prec = -1;
        if (*fmt != '%') { port__put(&o, *fmt); continue; }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '0') zero = 1;
            else break;
        }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            prec = 0;
            fmt++;
            while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') { lng++; fmt++; }
        switch (*fmt) {
        case 'd': case 'i': {
            long long v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            port__num(&o, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0, 10, width, zero, left);
            break;
        }
        case 'u': case 'x': {
            unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
                                 : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            port__num(&o, v, 0, *fmt == 'x' ? 16u : 10u, width, zero, left);
            break;
        }
        case 'p':
            port__put(&o, '0'); port__put(&o, 'x');
            port__num(&o, (unsigned long long)(uintptr_t)va_arg(ap, void *), 0, 16, 0, 0, 0);
            break;
        case 'c': port__put(&o, (char)va_arg(ap, int)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = 0;
            while (s[len]) len++;
            if (!left) port__pad(&o, width - len, ' ');
            while (*s) port__put(&o, *s++);
            if (left) port__pad(&o, width - len, ' ');
            break;
        }
#if ASYNC_CONFIG_FLOAT
        case 'f': {
            double d = va_arg(ap, double), scale = 1;
            unsigned long long ip, fp;
            int k, neg = d < 0;
            if (prec < 0) prec = 6;
            if (neg) d = -d;
            for (k = 0; k < prec; k++) scale *= 10;
            d = d * scale + 0.5;
            ip = (unsigned long long)(d / scale);
            fp = (unsigned long long)d - ip * (unsigned long long)scale;
            port__num(&o, ip, neg, 10, width - (prec ? prec + 1 : 0), zero, left);
            if (prec) {
                port__put(&o, '.');
                port__num(&o, fp, 0, 10, prec, 1, 0);
            }
            break;
        }
#endif
        case '%': port__put(&o, '%'); break;
        case 0: fmt--; break;
        default: port__put(&o, '%'); port__put(&o, *fmt); break;
        }
    }
    va_end(ap);
    port__flush(&o);
}
