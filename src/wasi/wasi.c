/*
** wasi.c: the WASI context (arguments, environment, descriptor table) and the small
** process-level functions: args_*, environ_*, proc_exit, proc_raise, sched_yield.
** The table of every wasi_snapshot_preview1 function lives here too.
*/
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi.h"

void kite_wasi_config_init(kite_wasi_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->stdio[0] = 0;
  cfg->stdio[1] = 1;
  cfg->stdio[2] = 2;
}

uint32_t wasi_errno(int e) {
  switch (e) {
  case 0: return WASI_ESUCCESS;
  case E2BIG: return WASI_E2BIG;
  case EACCES: return WASI_EACCES;
  case EADDRINUSE: return WASI_EADDRINUSE;
  case EADDRNOTAVAIL: return WASI_EADDRNOTAVAIL;
  case EAFNOSUPPORT: return WASI_EAFNOSUPPORT;
  case EAGAIN: return WASI_EAGAIN;
#if EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK: return WASI_EAGAIN;
#endif
  case EALREADY: return WASI_EALREADY;
  case EBADF: return WASI_EBADF;
  case EBADMSG: return WASI_EBADMSG;
  case EBUSY: return WASI_EBUSY;
  case ECANCELED: return WASI_ECANCELED;
  case ECHILD: return WASI_ECHILD;
  case ECONNABORTED: return WASI_ECONNABORTED;
  case ECONNREFUSED: return WASI_ECONNREFUSED;
  case ECONNRESET: return WASI_ECONNRESET;
  case EDEADLK: return WASI_EDEADLK;
  case EDESTADDRREQ: return WASI_EDESTADDRREQ;
  case EDOM: return WASI_EDOM;
  case EDQUOT: return WASI_EDQUOT;
  case EEXIST: return WASI_EEXIST;
  case EFAULT: return WASI_EFAULT;
  case EFBIG: return WASI_EFBIG;
  case EHOSTUNREACH: return WASI_EHOSTUNREACH;
  case EIDRM: return WASI_EIDRM;
  case EILSEQ: return WASI_EILSEQ;
  case EINPROGRESS: return WASI_EINPROGRESS;
  case EINTR: return WASI_EINTR;
  case EINVAL: return WASI_EINVAL;
  case EIO: return WASI_EIO;
  case EISCONN: return WASI_EISCONN;
  case EISDIR: return WASI_EISDIR;
  case ELOOP: return WASI_ELOOP;
  case EMFILE: return WASI_EMFILE;
  case EMLINK: return WASI_EMLINK;
  case EMSGSIZE: return WASI_EMSGSIZE;
#ifdef EMULTIHOP
  case EMULTIHOP: return WASI_EMULTIHOP;
#endif
  case ENAMETOOLONG: return WASI_ENAMETOOLONG;
  case ENETDOWN: return WASI_ENETDOWN;
  case ENETRESET: return WASI_ENETRESET;
  case ENETUNREACH: return WASI_ENETUNREACH;
  case ENFILE: return WASI_ENFILE;
  case ENOBUFS: return WASI_ENOBUFS;
  case ENODEV: return WASI_ENODEV;
  case ENOENT: return WASI_ENOENT;
  case ENOEXEC: return WASI_ENOEXEC;
  case ENOLCK: return WASI_ENOLCK;
#ifdef ENOLINK
  case ENOLINK: return WASI_ENOLINK;
#endif
  case ENOMEM: return WASI_ENOMEM;
  case ENOMSG: return WASI_ENOMSG;
  case ENOPROTOOPT: return WASI_ENOPROTOOPT;
  case ENOSPC: return WASI_ENOSPC;
  case ENOSYS: return WASI_ENOSYS;
  case ENOTCONN: return WASI_ENOTCONN;
  case ENOTDIR: return WASI_ENOTDIR;
  case ENOTEMPTY: return WASI_ENOTEMPTY;
#ifdef ENOTRECOVERABLE
  case ENOTRECOVERABLE: return WASI_ENOTRECOVERABLE;
#endif
  case ENOTSOCK: return WASI_ENOTSOCK;
  case ENOTSUP: return WASI_ENOTSUP;
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP: return WASI_ENOTSUP;
#endif
  case ENOTTY: return WASI_ENOTTY;
  case ENXIO: return WASI_ENXIO;
  case EOVERFLOW: return WASI_EOVERFLOW;
#ifdef EOWNERDEAD
  case EOWNERDEAD: return WASI_EOWNERDEAD;
#endif
  case EPERM: return WASI_EPERM;
  case EPIPE: return WASI_EPIPE;
  case EPROTO: return WASI_EPROTO;
  case EPROTONOSUPPORT: return WASI_EPROTONOSUPPORT;
  case EPROTOTYPE: return WASI_EPROTOTYPE;
  case ERANGE: return WASI_ERANGE;
  case EROFS: return WASI_EROFS;
  case ESPIPE: return WASI_ESPIPE;
  case ESRCH: return WASI_ESRCH;
  case ESTALE: return WASI_ESTALE;
  case ETIMEDOUT: return WASI_ETIMEDOUT;
  case ETXTBSY: return WASI_ETXTBSY;
  case EXDEV: return WASI_EXDEV;
  default: return WASI_EIO;
  }
}

uint8_t wasi_filetype_of_mode(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
  case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
  case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
  case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
  case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
  case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
  default: return WASI_FILETYPE_UNKNOWN; /* FIFOs, as wasmtime reports them */
  }
}

/* ---- The descriptor table ---- */

wasi_fd *wasi_fd_get(kite_wasi *w, uint32_t fd, uint64_t need, uint32_t *err) {
  if (fd >= w->nfds || w->fds[fd].kind == WASI_FD_FREE) {
    *err = WASI_EBADF;
    return NULL;
  }
  wasi_fd *f = &w->fds[fd];
  if ((f->base & need) != need) {
    *err = WASI_ENOTCAPABLE;
    return NULL;
  }
  *err = WASI_ESUCCESS;
  return f;
}

uint32_t wasi_fd_insert(kite_wasi *w, const wasi_fd *proto, uint32_t *out_fd) {
  uint32_t i = 0;
  while (i < w->nfds && w->fds[i].kind != WASI_FD_FREE) i++;
  if (i == w->nfds) {
    if (w->nfds >= (1u << 20)) return WASI_EMFILE;
    uint32_t ncap = w->nfds ? w->nfds * 2 : 8;
    wasi_fd *nf = kite_realloc(w->alloc, w->fds, w->nfds * sizeof *nf, ncap * sizeof *nf);
    if (!nf) return WASI_ENOMEM;
    memset(nf + w->nfds, 0, (ncap - w->nfds) * sizeof *nf);
    w->fds = nf;
    w->nfds = ncap;
  }
  w->fds[i] = *proto;
  *out_fd = i;
  return WASI_ESUCCESS;
}

void wasi_fd_release(kite_wasi *w, wasi_fd *f) {
  if (f->dir) closedir((DIR *)f->dir);
  if (f->owned && f->host >= 0) close(f->host);
  if (f->preopen) kite_free(w->alloc, f->preopen, f->preopen_len + 1);
  memset(f, 0, sizeof *f);
}

/* Rights a host fd can carry, judged by what it is. */
static uint64_t rights_for_filetype(uint8_t type) {
  switch (type) {
  case WASI_FILETYPE_REGULAR_FILE: return WASI_RIGHTS_REGULAR_FILE;
  case WASI_FILETYPE_DIRECTORY: return WASI_RIGHTS_DIRECTORY;
  case WASI_FILETYPE_SOCKET_STREAM:
  case WASI_FILETYPE_SOCKET_DGRAM: return WASI_RIGHTS_SOCKET;
  default: return WASI_RIGHTS_TTY;
  }
}

static bool add_stdio(kite_wasi *w, int host, uint64_t drop, kite_error *err) {
  wasi_fd f = {0};
  struct stat st;
  if (host < 0 || fstat(host, &st) != 0) {
    /* A closed host descriptor: keep the slot so numbering stays 0, 1, 2. */
    f.kind = WASI_FD_FILE;
    f.host = -1;
    f.filetype = WASI_FILETYPE_UNKNOWN;
  } else {
    f.kind = WASI_FD_FILE;
    f.host = host;
    f.filetype = wasi_filetype_of_mode(st.st_mode);
    if (f.filetype == WASI_FILETYPE_DIRECTORY) f.filetype = WASI_FILETYPE_UNKNOWN;
    f.base = rights_for_filetype(f.filetype) & ~drop;
  }
  uint32_t out;
  if (wasi_fd_insert(w, &f, &out) != WASI_ESUCCESS)
    return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  return true;
}

static bool add_preopen(kite_wasi *w, const kite_wasi_preopen *p, kite_error *err) {
  int fd = open(p->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return kite_fail(err, KITE_ERR_IO, errno, 0, "cannot open directory '%s': %s", p->host,
                     strerror(errno));
  wasi_fd f = {0};
  f.kind = WASI_FD_DIR;
  f.host = fd;
  f.owned = true;
  f.filetype = WASI_FILETYPE_DIRECTORY;
  f.base = WASI_RIGHTS_DIRECTORY;
  f.inheriting = WASI_RIGHTS_ALL;
  const char *guest = p->guest ? p->guest : p->host;
  f.preopen_len = strlen(guest);
  f.preopen = kite_malloc(w->alloc, f.preopen_len + 1);
  uint32_t out;
  if (!f.preopen || wasi_fd_insert(w, &f, &out) != WASI_ESUCCESS) {
    if (f.preopen) kite_free(w->alloc, f.preopen, f.preopen_len + 1);
    close(fd);
    return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  memcpy(f.preopen, guest, f.preopen_len + 1);
  w->fds[out].preopen = f.preopen;
  return true;
}

static bool add_listener(kite_wasi *w, const char *addr, kite_error *err) {
  int fd = wasi_listen(addr, err);
  if (fd < 0) return false;
  wasi_fd f = {0};
  f.kind = WASI_FD_LISTENER;
  f.host = fd;
  f.owned = true;
  f.filetype = WASI_FILETYPE_SOCKET_STREAM;
  f.base = WASI_RIGHTS_LISTENER;
  f.inheriting = WASI_RIGHTS_SOCKET;
  uint32_t out;
  if (wasi_fd_insert(w, &f, &out) != WASI_ESUCCESS) {
    close(fd);
    return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  return true;
}

/* Pack strings back to back with their NULs; false on overflow of the u32 sizes. */
static bool pack_strings(kite_alloc *a, const char *const *v, size_t n, uint8_t **out, size_t *len,
                         uint32_t *count, kite_error *err) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(v[i]) + 1;
    if (l > UINT32_MAX - total)
      return kite_fail(err, KITE_ERR_USAGE, 0, 0, "arguments or environment too large");
    total += l;
  }
  if (n > UINT32_MAX / 4)
    return kite_fail(err, KITE_ERR_USAGE, 0, 0, "arguments or environment too large");
  *out = NULL;
  if (total) {
    *out = kite_malloc(a, total);
    if (!*out) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(v[i]) + 1;
    memcpy(*out + pos, v[i], l);
    pos += l;
  }
  *len = total;
  *count = (uint32_t)n;
  return true;
}

kite_wasi *kite_wasi_new(kite_alloc *alloc, const kite_wasi_config *cfg, kite_error *err) {
  kite_wasi *w = kite_calloc(alloc, 1, sizeof *w);
  if (!w) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  w->alloc = alloc;
  w->portable_paths = cfg->portable_paths;
  if (!pack_strings(alloc, cfg->argv, cfg->argc, &w->args, &w->args_len, &w->argc, err) ||
      !pack_strings(alloc, cfg->envp, cfg->envc, &w->env, &w->env_len, &w->envc, err))
    goto fail;
  if (!add_stdio(w, cfg->stdio[0], WASI_RIGHT_FD_WRITE, err) ||
      !add_stdio(w, cfg->stdio[1], WASI_RIGHT_FD_READ, err) ||
      !add_stdio(w, cfg->stdio[2], WASI_RIGHT_FD_READ, err))
    goto fail;
  /* Preopened directories come right after stdio: wasi-libc stops scanning for them at
     the first descriptor that fd_prestat_get calls bad. Listeners follow. */
  for (size_t i = 0; i < cfg->npreopens; i++)
    if (!add_preopen(w, &cfg->preopens[i], err)) goto fail;
  for (size_t i = 0; i < cfg->nlisten; i++)
    if (!add_listener(w, cfg->listen[i], err)) goto fail;
  return w;
fail:
  kite_wasi_free(w);
  return NULL;
}

void kite_wasi_free(kite_wasi *w) {
  if (!w) return;
  for (uint32_t i = 0; i < w->nfds; i++)
    if (w->fds[i].kind != WASI_FD_FREE) wasi_fd_release(w, &w->fds[i]);
  kite_free(w->alloc, w->fds, w->nfds * sizeof *w->fds);
  kite_free(w->alloc, w->args, w->args_len);
  kite_free(w->alloc, w->env, w->env_len);
  kite_free(w->alloc, w, sizeof *w);
}

/* ---- args and environ ---- */

/* Write the pointer array and the packed strings (args_get / environ_get). */
static uint32_t put_strings(const kite_wasi_mem *m, uint32_t ptrs, uint32_t buf,
                            const uint8_t *strings, size_t len, uint32_t count) {
  if (!wasi_mem_ok(m, ptrs, (uint64_t)count * 4) || !wasi_mem_ok(m, buf, len)) return WASI_EFAULT;
  size_t pos = 0;
  for (uint32_t i = 0; i < count; i++) {
    wasi_st32(m->base + ptrs + 4 * (uint64_t)i, (uint32_t)(buf + pos));
    pos += strlen((const char *)strings + pos) + 1;
  }
  if (len) memcpy(m->base + buf, strings, len);
  return WASI_ESUCCESS;
}

static uint32_t put_sizes(const kite_wasi_mem *m, uint32_t count_ptr, uint32_t size_ptr,
                          uint32_t count, size_t len) {
  if (!wasi_mem_ok(m, count_ptr, 4) || !wasi_mem_ok(m, size_ptr, 4)) return WASI_EFAULT;
  wasi_st32(m->base + count_ptr, count);
  wasi_st32(m->base + size_ptr, (uint32_t)len);
  return WASI_ESUCCESS;
}

uint32_t wasi_args_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  return put_strings(m, (uint32_t)a[0], (uint32_t)a[1], w->args, w->args_len, w->argc);
}

uint32_t wasi_args_sizes_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                             kite_error *err) {
  (void)err;
  return put_sizes(m, (uint32_t)a[0], (uint32_t)a[1], w->argc, w->args_len);
}

uint32_t wasi_environ_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                          kite_error *err) {
  (void)err;
  return put_strings(m, (uint32_t)a[0], (uint32_t)a[1], w->env, w->env_len, w->envc);
}

uint32_t wasi_environ_sizes_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                kite_error *err) {
  (void)err;
  return put_sizes(m, (uint32_t)a[0], (uint32_t)a[1], w->envc, w->env_len);
}

/* ---- proc and sched ---- */

uint32_t wasi_proc_exit(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)w;
  (void)m;
  uint32_t status = (uint32_t)a[0];
  kite_fail(err, KITE_ERR_EXIT, (int)status, 0, "exit status %u", status);
  return WASI_ESUCCESS;
}

/*
** proc_raise: signals are not delivered to the host process. A signal whose default
** action ends a process ends the guest instead, as an exit with status 128 + the POSIX
** number (what a shell reports); signals that are ignored by default are ignored.
** Numbers follow typenames.witx `signal`.
*/
uint32_t wasi_proc_raise(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)w;
  (void)m;
  /* witx signal -> POSIX number (Linux numbering; what shells print as 128+n). */
  static const uint8_t posix_number[31] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                           11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22,
                                           23, 24, 25, 26, 27, 28, 29, 30, 31};
  uint32_t sig = (uint32_t)a[0];
  if (sig >= KITE_ARRAY_LEN(posix_number)) return WASI_EINVAL;
  switch (sig) {
  case 0:  /* none */
  case 16: /* chld */
  case 17: /* cont */
  case 18: /* stop */
  case 19: /* tstp */
  case 20: /* ttin */
  case 21: /* ttou */
  case 22: /* urg */
  case 27: /* winch */ return WASI_ESUCCESS;
  default: break;
  }
  kite_fail(err, KITE_ERR_EXIT, 128 + posix_number[sig], 0, "guest raised signal %u", sig);
  return WASI_ESUCCESS;
}

uint32_t wasi_sched_yield(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                          kite_error *err) {
  (void)w;
  (void)m;
  (void)a;
  (void)err;
  sched_yield();
  return WASI_ESUCCESS;
}

/* ---- Shared helpers ---- */

uint32_t wasi_iovecs(const kite_wasi_mem *m, uint32_t iovs, uint32_t iovs_len, struct iovec *out,
                     int *count) {
  if (!wasi_mem_ok(m, iovs, (uint64_t)iovs_len * WASI_IOVEC_SIZE)) return WASI_EFAULT;
  uint64_t total = 0;
  int n = 0;
  for (uint32_t i = 0; i < iovs_len && n < WASI_IOV_MAX; i++) {
    const uint8_t *e = m->base + iovs + (uint64_t)i * WASI_IOVEC_SIZE;
    uint32_t buf = kite_load_u32le(e), len = kite_load_u32le(e + 4);
    if (!wasi_mem_ok(m, buf, len)) return WASI_EFAULT;
    if (len == 0) continue;
    if (total + len > INT32_MAX) len = (uint32_t)(INT32_MAX - total);
    out[n].iov_base = m->base + buf;
    out[n].iov_len = len;
    n++;
    total += len;
    if (total >= INT32_MAX) break;
  }
  *count = n;
  return WASI_ESUCCESS;
}

static uint64_t ts_ns(struct timespec t) {
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void wasi_filestat_pack(uint8_t out[WASI_FILESTAT_SIZE], const void *host_stat) {
  const struct stat *st = host_stat;
  memset(out, 0, WASI_FILESTAT_SIZE);
  wasi_st64(out + 0, (uint64_t)st->st_dev);
  wasi_st64(out + 8, (uint64_t)st->st_ino);
  out[16] = wasi_filetype_of_mode(st->st_mode);
  wasi_st64(out + 24, (uint64_t)st->st_nlink);
  wasi_st64(out + 32, (uint64_t)st->st_size);
#if defined(__APPLE__)
  wasi_st64(out + 40, ts_ns(st->st_atimespec));
  wasi_st64(out + 48, ts_ns(st->st_mtimespec));
  wasi_st64(out + 56, ts_ns(st->st_ctimespec));
#else
  wasi_st64(out + 40, ts_ns(st->st_atim));
  wasi_st64(out + 48, ts_ns(st->st_mtim));
  wasi_st64(out + 56, ts_ns(st->st_ctim));
#endif
}

/* ---- The function table ---- */

#define KITE_WASI_ENTRY(name, params, results) {#name, params, results, wasi_##name},
static const kite_wasi_func wasi_functions[] = {KITE_WASI_FUNCS(KITE_WASI_ENTRY)};
#undef KITE_WASI_ENTRY
_Static_assert(KITE_ARRAY_LEN(wasi_functions) == WASI_NFUNCS, "WASI_NFUNCS is the table size");

const kite_wasi_func *kite_wasi_functions(size_t *count) {
  *count = KITE_ARRAY_LEN(wasi_functions);
  return wasi_functions;
}

const kite_wasi_func *kite_wasi_lookup(const char *name, size_t len) {
  for (size_t i = 0; i < KITE_ARRAY_LEN(wasi_functions); i++) {
    const char *n = wasi_functions[i].name;
    if (strlen(n) == len && memcmp(n, name, len) == 0) return &wasi_functions[i];
  }
  return NULL;
}
