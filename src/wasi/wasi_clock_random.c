/*
** wasi_clock_random.c: clocks, random bytes and poll_oneoff.
*/
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__) || defined(__APPLE__)
#include <sys/random.h>
#endif

#include "wasi.h"

#define ARG32(i) ((uint32_t)a[i])

static bool host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case 0: *out = CLOCK_REALTIME; return true;
  case 1: *out = CLOCK_MONOTONIC; return true;
#if defined(CLOCK_PROCESS_CPUTIME_ID)
  case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
#endif
#if defined(CLOCK_THREAD_CPUTIME_ID)
  case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
#endif
  default: return false;
  }
}

static uint64_t ns_of(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

static uint64_t now_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return ns_of(&t);
}

uint32_t wasi_clock_res_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                            kite_error *err) {
  (void)w;
  (void)err;
  clockid_t c;
  if (!host_clock(ARG32(0), &c)) return WASI_EINVAL;
  if (!wasi_mem_ok(m, ARG32(1), 8)) return WASI_EFAULT;
  struct timespec t;
  if (clock_getres(c, &t) != 0) return wasi_errno(errno);
  uint64_t res = ns_of(&t);
  wasi_st64(m->base + ARG32(1), res ? res : 1);
  return WASI_ESUCCESS;
}

uint32_t wasi_clock_time_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                             kite_error *err) {
  (void)w;
  (void)err;
  clockid_t c;
  if (!host_clock(ARG32(0), &c)) return WASI_EINVAL;
  if (!wasi_mem_ok(m, ARG32(2), 8)) return WASI_EFAULT;
  struct timespec t;
  if (clock_gettime(c, &t) != 0) return wasi_errno(errno);
  wasi_st64(m->base + ARG32(2), ns_of(&t));
  return WASI_ESUCCESS;
}

/* Fill buf from the OS's random source: getentropy (256 bytes a call), else /dev/urandom. */
static bool fill_random(uint8_t *buf, size_t len) {
  size_t done = 0;
#if defined(__linux__) || defined(__APPLE__) || defined(__OpenBSD__) || defined(__FreeBSD__)
  while (done < len) {
    size_t n = len - done < 256 ? len - done : 256;
    if (getentropy(buf + done, n) != 0) break;
    done += n;
  }
  if (done == len) return true;
#endif
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  while (done < len) {
    ssize_t r = read(fd, buf + done, len - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += (size_t)r;
  }
  close(fd);
  return done == len;
}

uint32_t wasi_random_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)w;
  (void)err;
  uint32_t buf = ARG32(0), len = ARG32(1);
  if (!wasi_mem_ok(m, buf, len)) return WASI_EFAULT;
  return fill_random(m->base + buf, len) ? WASI_ESUCCESS : WASI_EIO;
}

/*
** poll_oneoff. Clock subscriptions become one deadline on the monotonic clock; fd
** subscriptions go to poll(2). We wait until an fd is ready or the earliest deadline
** passes, then report every subscription that is ready at that moment. A subscription
** that cannot be waited on (bad fd, missing right, unknown clock) is reported at once as
** an event carrying its error, as the witx describes.
*/
enum { SUB_CLOCK = 0, SUB_FD_READ = 1, SUB_FD_WRITE = 2 };

typedef struct poll_sub {
  uint64_t userdata;
  uint8_t type;
  uint16_t error;    /* nonzero: reported immediately */
  uint64_t deadline; /* clock: monotonic ns */
  wasi_fd *fd;
  int pollidx; /* index in the pollfd array, or -1 */
} poll_sub;

static void put_event(uint8_t *e, const poll_sub *s, uint16_t error, uint64_t nbytes,
                      uint16_t flags) {
  memset(e, 0, WASI_EVENT_SIZE);
  wasi_st64(e, s->userdata);
  wasi_st16(e + 8, error);
  e[10] = s->type;
  if (s->type != SUB_CLOCK) {
    wasi_st64(e + 16, nbytes);
    wasi_st16(e + 24, flags);
  }
}

/* Bytes available on an fd that poll(2) called ready. */
static uint64_t ready_bytes(const poll_sub *s) {
  if (s->type == SUB_FD_WRITE) return 0;
  struct stat st;
  if (s->fd->filetype == WASI_FILETYPE_REGULAR_FILE && fstat(s->fd->host, &st) == 0) {
    off_t pos = lseek(s->fd->host, 0, SEEK_CUR);
    return pos >= 0 && st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
  }
  int n = 0;
  if (ioctl(s->fd->host, FIONREAD, &n) == 0 && n > 0) return (uint64_t)n;
  return 0;
}

static uint32_t parse_sub(kite_wasi *w, const uint8_t *p, poll_sub *s, uint64_t mono_now) {
  memset(s, 0, sizeof *s);
  s->pollidx = -1;
  s->userdata = kite_load_u64le(p);
  s->type = p[8];
  if (s->type == SUB_CLOCK) {
    uint32_t id = kite_load_u32le(p + 16);
    uint64_t timeout = kite_load_u64le(p + 24);
    uint16_t flags = (uint16_t)(p[40] | p[41] << 8);
    clockid_t c;
    if (!host_clock(id, &c) || id > 1) {
      s->error = WASI_EINVAL; /* only realtime and monotonic can be waited on */
      return WASI_ESUCCESS;
    }
    if (flags & 1) { /* abstime: convert to a distance from now on the monotonic clock */
      uint64_t cnow = now_ns(c);
      timeout = timeout > cnow ? timeout - cnow : 0;
    }
    s->deadline = timeout > UINT64_MAX - mono_now ? UINT64_MAX : mono_now + timeout;
    return WASI_ESUCCESS;
  }
  if (s->type != SUB_FD_READ && s->type != SUB_FD_WRITE) return WASI_EINVAL;
  uint32_t fd = kite_load_u32le(p + 16), rc;
  s->fd = wasi_fd_get(w, fd, WASI_RIGHT_POLL_FD_READWRITE, &rc);
  if (!s->fd) s->error = (uint16_t)rc;
  else if (s->fd->host < 0) s->error = WASI_EBADF;
  return WASI_ESUCCESS;
}

uint32_t wasi_poll_oneoff(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                          kite_error *err) {
  (void)err;
  uint32_t in = ARG32(0), out = ARG32(1), nsubs = ARG32(2), nout = ARG32(3);
  if (nsubs == 0) return WASI_EINVAL;
  if (!wasi_mem_ok(m, in, (uint64_t)nsubs * WASI_SUBSCRIPTION_SIZE) ||
      !wasi_mem_ok(m, out, (uint64_t)nsubs * WASI_EVENT_SIZE) || !wasi_mem_ok(m, nout, 4))
    return WASI_EFAULT;
  poll_sub *subs = kite_calloc(w->alloc, nsubs, sizeof *subs);
  struct pollfd *pfds = kite_calloc(w->alloc, nsubs, sizeof *pfds);
  uint32_t rc = WASI_ESUCCESS;
  if (!subs || !pfds) {
    rc = WASI_ENOMEM;
    goto done;
  }
  uint64_t start = now_ns(CLOCK_MONOTONIC), deadline = UINT64_MAX;
  nfds_t npfd = 0;
  bool immediate = false;
  for (uint32_t i = 0; i < nsubs; i++) {
    poll_sub *s = &subs[i];
    rc = parse_sub(w, m->base + in + (uint64_t)i * WASI_SUBSCRIPTION_SIZE, s, start);
    if (rc) goto done;
    if (s->error) {
      immediate = true;
    } else if (s->type == SUB_CLOCK) {
      if (s->deadline < deadline) deadline = s->deadline;
    } else {
      s->pollidx = (int)npfd;
      pfds[npfd].fd = s->fd->host;
      pfds[npfd].events = s->type == SUB_FD_READ ? POLLIN : POLLOUT;
      npfd++;
    }
  }
  for (;;) {
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    int timeout_ms;
    if (immediate || now >= deadline) timeout_ms = 0;
    else if (deadline == UINT64_MAX) timeout_ms = -1;
    else {
      uint64_t ms = (deadline - now + 999999) / 1000000; /* round up: never wake early */
      timeout_ms = ms > INT32_MAX ? INT32_MAX : (int)ms;
    }
    int ready;
    if (npfd) {
      ready = poll(pfds, npfd, timeout_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        rc = wasi_errno(errno);
        goto done;
      }
    } else {
      ready = 0;
      if (timeout_ms != 0) {
        uint64_t left = deadline == UINT64_MAX ? UINT64_C(1) << 40 : deadline - now;
        struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
        nanosleep(&ts, NULL);
      }
    }
    if (ready > 0 || immediate || now_ns(CLOCK_MONOTONIC) >= deadline) break;
  }
  uint64_t end = now_ns(CLOCK_MONOTONIC);
  uint32_t nev = 0;
  for (uint32_t i = 0; i < nsubs; i++) {
    poll_sub *s = &subs[i];
    uint8_t *e = m->base + out + (uint64_t)nev * WASI_EVENT_SIZE;
    if (s->error) {
      put_event(e, s, s->error, 0, 0);
      nev++;
    } else if (s->type == SUB_CLOCK) {
      if (end >= s->deadline) {
        put_event(e, s, 0, 0, 0);
        nev++;
      }
    } else {
      short re = pfds[s->pollidx].revents;
      if (re & POLLNVAL) {
        put_event(e, s, WASI_EBADF, 0, 0);
        nev++;
      } else if (re & (POLLIN | POLLOUT | POLLHUP | POLLERR)) {
        uint16_t flags = (re & POLLHUP) ? 1 : 0; /* eventrwflags.fd_readwrite_hangup */
        put_event(e, s, 0, ready_bytes(s), flags);
        nev++;
      }
    }
  }
  wasi_st32(m->base + nout, nev);
done:
  kite_free(w->alloc, subs, subs ? (size_t)nsubs * sizeof *subs : 0);
  kite_free(w->alloc, pfds, pfds ? (size_t)nsubs * sizeof *pfds : 0);
  return rc;
}
