/*
** wasi_fd.c: the fd_* functions of wasi_snapshot_preview1. Each checks the rights the
** witx names for it before touching the host descriptor.
*/
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi.h"

#define ARG32(i) ((uint32_t)a[i])

/* Look up `fd` with rights `need`, or return the errno from the calling function. */
#define GET_FD(f, fd, need)                                                                        \
  uint32_t rc_;                                                                                    \
  wasi_fd *f = wasi_fd_get(w, (fd), (need), &rc_);                                                 \
  if (!f) return rc_

/*
** A descriptor for byte I/O (read, write, seek, tell, allocate, set_size): a directory
** is EBADF whatever its rights say, as wasmtime answers; then the rights are checked.
*/
static wasi_fd *get_stream(kite_wasi *w, uint32_t fd, uint64_t need, uint32_t *rc) {
  wasi_fd *f = wasi_fd_get(w, fd, 0, rc);
  if (!f) return NULL;
  if (f->kind == WASI_FD_DIR) {
    *rc = WASI_EBADF;
    return NULL;
  }
  if ((f->base & need) != need) {
    *rc = WASI_ENOTCAPABLE;
    return NULL;
  }
  return f;
}

#define GET_STREAM(f, fd, need)                                                                    \
  uint32_t rc_;                                                                                    \
  wasi_fd *f = get_stream(w, (fd), (need), &rc_);                                                  \
  if (!f) return rc_

uint32_t wasi_fd_advise(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)m;
  (void)err;
  GET_FD(f, ARG32(0), WASI_RIGHT_FD_ADVISE);
  uint64_t offset = a[1], len = a[2];
  uint32_t advice = ARG32(3);
  if (advice > 5) return WASI_EINVAL;
  if (f->kind == WASI_FD_DIR) return WASI_ESUCCESS;
  if (offset > INT64_MAX || len > INT64_MAX) return WASI_EINVAL;
#if defined(POSIX_FADV_NORMAL)
  static const int host_advice[6] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                     POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                     POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  int r = posix_fadvise(f->host, (off_t)offset, (off_t)len, host_advice[advice]);
  if (r == ESPIPE) return WASI_ESPIPE;
  return r ? wasi_errno(r) : WASI_ESUCCESS;
#else
  return WASI_ESUCCESS; /* advice may be ignored */
#endif
}

uint32_t wasi_fd_allocate(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                          kite_error *err) {
  (void)m;
  (void)err;
  GET_STREAM(f, ARG32(0), WASI_RIGHT_FD_ALLOCATE);
  uint64_t offset = a[1], len = a[2];
  if (offset > INT64_MAX || len > INT64_MAX || offset + len > INT64_MAX) return WASI_EINVAL;
#if defined(__linux__)
  int r = posix_fallocate(f->host, (off_t)offset, (off_t)len);
  return r ? wasi_errno(r) : WASI_ESUCCESS;
#else
  struct stat st;
  if (fstat(f->host, &st) != 0) return wasi_errno(errno);
  if ((uint64_t)st.st_size < offset + len && ftruncate(f->host, (off_t)(offset + len)) != 0)
    return wasi_errno(errno);
  return WASI_ESUCCESS;
#endif
}

uint32_t wasi_fd_close(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)m;
  (void)err;
  GET_FD(f, ARG32(0), 0);
  wasi_fd_release(w, f);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_datasync(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                          kite_error *err) {
  (void)m;
  (void)err;
  GET_FD(f, ARG32(0), WASI_RIGHT_FD_DATASYNC);
#if defined(__APPLE__)
  if (fsync(f->host) != 0) return wasi_errno(errno);
#else
  if (fdatasync(f->host) != 0) return wasi_errno(errno);
#endif
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_sync(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)m;
  (void)err;
  GET_FD(f, ARG32(0), WASI_RIGHT_FD_SYNC);
  if (fsync(f->host) != 0) return wasi_errno(errno);
  return WASI_ESUCCESS;
}

static uint16_t host_fdflags(int host) {
  int fl = host >= 0 ? fcntl(host, F_GETFL) : 0;
  if (fl < 0) return 0;
  uint16_t r = 0;
  if (fl & O_APPEND) r |= WASI_FDFLAG_APPEND;
  if (fl & O_NONBLOCK) r |= WASI_FDFLAG_NONBLOCK;
#if defined(O_DSYNC)
  if ((fl & O_DSYNC) == O_DSYNC) r |= WASI_FDFLAG_DSYNC;
#endif
#if defined(O_SYNC)
  if ((fl & O_SYNC) == O_SYNC) r |= WASI_FDFLAG_SYNC;
#endif
#if defined(O_RSYNC) && O_RSYNC != O_SYNC
  if ((fl & O_RSYNC) == O_RSYNC) r |= WASI_FDFLAG_RSYNC;
#endif
  return r;
}

uint32_t wasi_fd_fdstat_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                            kite_error *err) {
  (void)err;
  GET_FD(f, ARG32(0), 0);
  uint32_t out = ARG32(1);
  if (!wasi_mem_ok(m, out, WASI_FDSTAT_SIZE)) return WASI_EFAULT;
  uint8_t *p = m->base + out;
  memset(p, 0, WASI_FDSTAT_SIZE);
  p[0] = f->filetype;
  wasi_st16(p + 2, host_fdflags(f->host));
  wasi_st64(p + 8, f->base);
  wasi_st64(p + 16, f->inheriting);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_fdstat_set_flags(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                  kite_error *err) {
  (void)m;
  (void)err;
  GET_FD(f, ARG32(0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS);
  uint32_t flags = ARG32(1);
  if (flags & ~(uint32_t)0x1f) return WASI_EINVAL;
  /* Only append and nonblock can change on an open descriptor (fcntl F_SETFL). */
  if (flags & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC)) return WASI_ENOTSUP;
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) return wasi_errno(errno);
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (flags & WASI_FDFLAG_APPEND) fl |= O_APPEND;
  if (flags & WASI_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
  if (fcntl(f->host, F_SETFL, fl) != 0) return wasi_errno(errno);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_fdstat_set_rights(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                   kite_error *err) {
  (void)m;
  (void)err;
  GET_FD(f, ARG32(0), 0);
  uint64_t base = a[1], inheriting = a[2];
  /* Rights can only be dropped, never gained back. */
  if ((base & ~f->base) || (inheriting & ~f->inheriting)) return WASI_ENOTCAPABLE;
  f->base = base;
  f->inheriting = inheriting;
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_filestat_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                              kite_error *err) {
  (void)err;
  GET_FD(f, ARG32(0), WASI_RIGHT_FD_FILESTAT_GET);
  uint32_t out = ARG32(1);
  if (!wasi_mem_ok(m, out, WASI_FILESTAT_SIZE)) return WASI_EFAULT;
  struct stat st;
  if (fstat(f->host, &st) != 0) return wasi_errno(errno);
  wasi_filestat_pack(m->base + out, &st);
  m->base[out + 16] = f->filetype; /* sockets: stream or datagram, as the table knows */
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_filestat_set_size(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                   kite_error *err) {
  (void)m;
  (void)err;
  GET_STREAM(f, ARG32(0), WASI_RIGHT_FD_FILESTAT_SET_SIZE);
  if (a[1] > INT64_MAX) return WASI_EINVAL;
  if (ftruncate(f->host, (off_t)a[1]) != 0) return wasi_errno(errno);
  return WASI_ESUCCESS;
}

bool wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec *ts) {
  if (fst & ~(uint32_t)0xf) return false;
  if ((fst & WASI_FST_ATIM) && (fst & WASI_FST_ATIM_NOW)) return false;
  if ((fst & WASI_FST_MTIM) && (fst & WASI_FST_MTIM_NOW)) return false;
  uint64_t t[2] = {atim, mtim};
  uint32_t set[2] = {WASI_FST_ATIM, WASI_FST_MTIM}, now[2] = {WASI_FST_ATIM_NOW, WASI_FST_MTIM_NOW};
  for (int i = 0; i < 2; i++) {
    ts[i].tv_sec = 0;
    if (fst & set[i]) {
      ts[i].tv_sec = (time_t)(t[i] / 1000000000u);
      ts[i].tv_nsec = (long)(t[i] % 1000000000u);
    } else if (fst & now[i]) {
      ts[i].tv_nsec = UTIME_NOW;
    } else {
      ts[i].tv_nsec = UTIME_OMIT;
    }
  }
  return true;
}

uint32_t wasi_fd_filestat_set_times(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                    kite_error *err) {
  (void)m;
  (void)err;
  GET_FD(f, ARG32(0), WASI_RIGHT_FD_FILESTAT_SET_TIMES);
  struct timespec ts[2];
  if (!wasi_times(a[1], a[2], ARG32(3), ts)) return WASI_EINVAL;
  if (futimens(f->host, ts) != 0) return wasi_errno(errno);
  return WASI_ESUCCESS;
}

/* Shared by fd_read, fd_pread, fd_write, fd_pwrite. */
static uint32_t transfer(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, bool write,
                         bool positioned) {
  uint64_t need = write ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ;
  if (positioned) need |= WASI_RIGHT_FD_SEEK;
  GET_STREAM(f, ARG32(0), need);
  uint32_t nout = positioned ? ARG32(4) : ARG32(3);
  struct iovec iov[WASI_IOV_MAX];
  int n = 0;
  uint32_t rc = wasi_iovecs(m, ARG32(1), ARG32(2), iov, &n);
  if (rc != WASI_ESUCCESS) return rc;
  if (!wasi_mem_ok(m, nout, 4)) return WASI_EFAULT;
  if (f->host < 0) return WASI_EBADF;
  ssize_t r;
  if (positioned) {
    if (a[3] > INT64_MAX) return WASI_EINVAL;
    off_t off = (off_t)a[3];
    if (n == 0) r = 0;
    else r = write ? pwritev(f->host, iov, n, off) : preadv(f->host, iov, n, off);
  } else {
    if (n == 0) r = 0;
    else if (write && f->kind == WASI_FD_SOCKET) r = wasi_sock_sendv(f->host, iov, n);
    else r = write ? writev(f->host, iov, n) : readv(f->host, iov, n);
  }
  if (r < 0) return wasi_errno(errno);
  wasi_st32(m->base + nout, (uint32_t)r);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_read(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  return transfer(w, m, a, false, false);
}

uint32_t wasi_fd_pread(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  return transfer(w, m, a, false, true);
}

uint32_t wasi_fd_write(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  return transfer(w, m, a, true, false);
}

uint32_t wasi_fd_pwrite(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  return transfer(w, m, a, true, true);
}

uint32_t wasi_fd_prestat_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                             kite_error *err) {
  (void)err;
  GET_FD(f, ARG32(0), 0);
  if (!f->preopen) return WASI_EBADF;
  uint32_t out = ARG32(1);
  if (!wasi_mem_ok(m, out, WASI_PRESTAT_SIZE)) return WASI_EFAULT;
  uint8_t *p = m->base + out;
  memset(p, 0, WASI_PRESTAT_SIZE);
  p[0] = 0; /* preopentype dir */
  wasi_st32(p + 4, (uint32_t)f->preopen_len);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_prestat_dir_name(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                  kite_error *err) {
  (void)err;
  GET_FD(f, ARG32(0), 0);
  if (!f->preopen) return WASI_EBADF;
  uint32_t buf = ARG32(1), len = ARG32(2);
  if (!wasi_mem_ok(m, buf, len)) return WASI_EFAULT;
  if (len < f->preopen_len) return WASI_ENAMETOOLONG;
  memcpy(m->base + buf, f->preopen, f->preopen_len);
  return WASI_ESUCCESS;
}

static uint8_t dirent_type(int dirfd, const struct dirent *e) {
#if defined(DT_UNKNOWN)
  switch (e->d_type) {
  case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
  case DT_DIR: return WASI_FILETYPE_DIRECTORY;
  case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
  case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
  case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
  case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
  case DT_FIFO: return WASI_FILETYPE_UNKNOWN;
  default: break;
  }
#endif
  struct stat st;
  if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return WASI_FILETYPE_UNKNOWN;
  return wasi_filetype_of_mode(st.st_mode);
}

/*
** fd_readdir: cookies are entry positions (0 = the first). The DIR stream remembers
** where it is, so sequential reads cost nothing; any other cookie rewinds and skips.
** An entry that does not fit is written in part and the buffer reported full, which
** tells the guest to come back with a larger buffer.
*/
uint32_t wasi_fd_readdir(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  GET_FD(f, ARG32(0), WASI_RIGHT_FD_READDIR);
  uint32_t buf = ARG32(1), len = ARG32(2), nout = ARG32(4);
  uint64_t cookie = a[3];
  if (!wasi_mem_ok(m, buf, len) || !wasi_mem_ok(m, nout, 4)) return WASI_EFAULT;
  if (f->kind != WASI_FD_DIR) return WASI_ENOTDIR;
  DIR *d = f->dir;
  if (!d) {
    /* A descriptor of its own, so the stream's position is independent of the fd's. */
    int fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return wasi_errno(errno);
    if (!(d = fdopendir(fd))) {
      int e = errno;
      close(fd);
      return wasi_errno(e);
    }
    f->dir = d;
    f->dir_next = 0;
  }
  if (cookie != f->dir_next) {
    rewinddir(d);
    f->dir_next = 0;
    while (f->dir_next < cookie) {
      errno = 0;
      if (!readdir(d)) {
        if (errno) return wasi_errno(errno);
        break;
      }
      f->dir_next++;
    }
  }
  uint32_t used = 0;
  while (used < len) {
    /* Remember the position so an entry cut short is returned again next time. */
    long pos = telldir(d);
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      if (errno) return wasi_errno(errno);
      break;
    }
    f->dir_next++;
    size_t namelen = strlen(e->d_name);
    uint8_t hdr[WASI_DIRENT_SIZE] = {0};
    wasi_st64(hdr, f->dir_next);
    wasi_st64(hdr + 8, (uint64_t)e->d_ino);
    wasi_st32(hdr + 16, (uint32_t)namelen);
    hdr[20] = dirent_type(dirfd(d), e);
    uint32_t room = len - used;
    uint32_t n = room < WASI_DIRENT_SIZE ? room : WASI_DIRENT_SIZE;
    memcpy(m->base + buf + used, hdr, n);
    used += n;
    room = len - used;
    n = room < namelen ? room : (uint32_t)namelen;
    memcpy(m->base + buf + used, e->d_name, n);
    used += n;
    if (n < namelen) {
      seekdir(d, pos);
      f->dir_next--;
      break;
    }
  }
  wasi_st32(m->base + nout, used);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_renumber(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                          kite_error *err) {
  (void)m;
  (void)err;
  uint32_t from = ARG32(0), to = ARG32(1);
  GET_FD(f, from, 0);
  wasi_fd *t = wasi_fd_get(w, to, 0, &rc_);
  if (!t) return rc_;
  if (f == t) return WASI_ESUCCESS;
  wasi_fd_release(w, t);
  *t = *f;
  memset(f, 0, sizeof *f);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_seek(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  int64_t delta = (int64_t)a[1];
  uint32_t whence = ARG32(2), out = ARG32(3);
  GET_STREAM(f, ARG32(0), 0);
  /* Asking where we are (cur + 0) needs fd_tell or fd_seek; moving needs fd_seek. */
  uint64_t need = WASI_RIGHT_FD_SEEK;
  if (delta == 0 && whence == 1 && (f->base & WASI_RIGHT_FD_TELL)) need = WASI_RIGHT_FD_TELL;
  if ((f->base & need) != need) return WASI_ENOTCAPABLE;
  if (!wasi_mem_ok(m, out, 8)) return WASI_EFAULT;
  int how;
  switch (whence) {
  case 0: how = SEEK_SET; break;
  case 1: how = SEEK_CUR; break;
  case 2: how = SEEK_END; break;
  default: return WASI_EINVAL;
  }
  off_t r = lseek(f->host, (off_t)delta, how);
  if (r < 0) return wasi_errno(errno);
  wasi_st64(m->base + out, (uint64_t)r);
  return WASI_ESUCCESS;
}

uint32_t wasi_fd_tell(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  GET_STREAM(f, ARG32(0), WASI_RIGHT_FD_TELL);
  uint32_t out = ARG32(1);
  if (!wasi_mem_ok(m, out, 8)) return WASI_EFAULT;
  off_t r = lseek(f->host, 0, SEEK_CUR);
  if (r < 0) return wasi_errno(errno);
  wasi_st64(m->base + out, (uint64_t)r);
  return WASI_ESUCCESS;
}
