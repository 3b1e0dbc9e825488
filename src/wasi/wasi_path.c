/*
** wasi_path.c: the path_* functions of wasi_snapshot_preview1. Every path goes through
** wasi_resolve (wasi_sandbox.c), which yields a host directory fd and a last component;
** the operation itself is then one *at() call that does not follow a symlink there.
*/
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi.h"

#define ARG32(i) ((uint32_t)a[i])

/*
** Resolve the guest path at (ptr, len) beneath directory fd `fd`, which must hold
** `need`. On failure returns the errno; on success the caller must wasi_resolved_done.
*/
static uint32_t resolve_arg(kite_wasi *w, const kite_wasi_mem *m, uint32_t fd, uint64_t need,
                            uint32_t ptr, uint32_t len, bool follow, wasi_resolved *r,
                            wasi_fd **dir_out) {
  uint32_t rc;
  wasi_fd *dir = wasi_fd_get(w, fd, need, &rc);
  if (!dir) return rc;
  if (dir->kind != WASI_FD_DIR) return WASI_ENOTDIR;
  const uint8_t *path;
  if ((rc = wasi_guest_path(m, ptr, len, &path)) != WASI_ESUCCESS) return rc;
  if (dir_out) *dir_out = dir;
  return wasi_resolve(w, dir, path, len, follow, r);
}

/*
** A path that ended in '/' names a directory. The slash is not handed to the kernel (a
** trailing slash makes it follow a symlink there), so check it ourselves.
*/
static uint32_t check_trailing(const wasi_resolved *r) {
  if (!r->trailing_slash) return WASI_ESUCCESS;
  struct stat st;
  if (fstatat(r->dirfd, r->name, &st, AT_SYMLINK_NOFOLLOW) != 0) return wasi_errno(errno);
  return S_ISDIR(st.st_mode) ? WASI_ESUCCESS : WASI_ENOTDIR;
}

uint32_t wasi_path_create_directory(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                    kite_error *err) {
  (void)err;
  wasi_resolved r;
  uint32_t rc = resolve_arg(w, m, ARG32(0), WASI_RIGHT_PATH_CREATE_DIRECTORY, ARG32(1), ARG32(2),
                            false, &r, NULL);
  if (rc) return rc;
  if (mkdirat(r.dirfd, r.name, 0777) != 0) rc = wasi_errno(errno);
  wasi_resolved_done(w, &r);
  return rc;
}

uint32_t wasi_path_filestat_get(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                kite_error *err) {
  (void)err;
  uint32_t out = ARG32(4);
  if (!wasi_mem_ok(m, out, WASI_FILESTAT_SIZE)) return WASI_EFAULT;
  wasi_resolved r;
  uint32_t rc = resolve_arg(w, m, ARG32(0), WASI_RIGHT_PATH_FILESTAT_GET, ARG32(2), ARG32(3),
                            ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &r, NULL);
  if (rc) return rc;
  struct stat st;
  if (!(rc = check_trailing(&r))) {
    if (fstatat(r.dirfd, r.name, &st, AT_SYMLINK_NOFOLLOW) != 0) rc = wasi_errno(errno);
    else wasi_filestat_pack(m->base + out, &st);
  }
  wasi_resolved_done(w, &r);
  return rc;
}

uint32_t wasi_path_filestat_set_times(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                      kite_error *err) {
  (void)err;
  struct timespec ts[2];
  if (!wasi_times(a[4], a[5], ARG32(6), ts)) return WASI_EINVAL;
  wasi_resolved r;
  uint32_t rc = resolve_arg(w, m, ARG32(0), WASI_RIGHT_PATH_FILESTAT_SET_TIMES, ARG32(2), ARG32(3),
                            ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &r, NULL);
  if (rc) return rc;
  if (!(rc = check_trailing(&r)) && utimensat(r.dirfd, r.name, ts, AT_SYMLINK_NOFOLLOW) != 0)
    rc = wasi_errno(errno);
  wasi_resolved_done(w, &r);
  return rc;
}

uint32_t wasi_path_link(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  wasi_resolved from, to;
  uint32_t rc = resolve_arg(w, m, ARG32(0), WASI_RIGHT_PATH_LINK_SOURCE, ARG32(2), ARG32(3),
                            ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &from, NULL);
  if (rc) return rc;
  rc = resolve_arg(w, m, ARG32(4), WASI_RIGHT_PATH_LINK_TARGET, ARG32(5), ARG32(6), false, &to,
                   NULL);
  if (rc) {
    wasi_resolved_done(w, &from);
    return rc;
  }
  if (!(rc = check_trailing(&from))) {
    if (to.trailing_slash)
      rc = faccessat(to.dirfd, to.name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ? WASI_EEXIST : WASI_ENOENT;
    else if (linkat(from.dirfd, from.name, to.dirfd, to.name, 0) != 0) rc = wasi_errno(errno);
  }
  wasi_resolved_done(w, &from);
  wasi_resolved_done(w, &to);
  return rc;
}

/* Host open(2) flags for path_open's oflags, rights and fdflags. */
static int open_flags(uint32_t oflags, uint64_t base, uint32_t fdflags, bool trailing) {
  int fl = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  bool read = base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
  bool write = (base & (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_ALLOCATE |
                        WASI_RIGHT_FD_FILESTAT_SET_SIZE)) ||
               (oflags & WASI_O_TRUNC);
  if (oflags & WASI_O_DIRECTORY || trailing) {
    fl |= O_DIRECTORY;
    write = false;
  }
  fl |= write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & WASI_O_CREAT) fl |= O_CREAT;
  if (oflags & WASI_O_EXCL) fl |= O_EXCL;
  if (oflags & WASI_O_TRUNC) fl |= O_TRUNC;
  if (fdflags & WASI_FDFLAG_APPEND) fl |= O_APPEND;
  if (fdflags & WASI_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
#if defined(O_DSYNC)
  if (fdflags & WASI_FDFLAG_DSYNC) fl |= O_DSYNC;
#endif
#if defined(O_RSYNC)
  if (fdflags & WASI_FDFLAG_RSYNC) fl |= O_RSYNC;
#endif
  if (fdflags & WASI_FDFLAG_SYNC) fl |= O_SYNC;
  return fl;
}

uint32_t wasi_path_open(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  uint32_t oflags = ARG32(4), fdflags = ARG32(7), out = ARG32(8);
  uint64_t base = a[5] & WASI_RIGHTS_ALL, inheriting = a[6] & WASI_RIGHTS_ALL;
  if (!wasi_mem_ok(m, out, 4)) return WASI_EFAULT;
  if (oflags & ~(uint32_t)0xf || fdflags & ~(uint32_t)0x1f) return WASI_EINVAL;
  uint64_t need = WASI_RIGHT_PATH_OPEN;
  if (oflags & WASI_O_CREAT) need |= WASI_RIGHT_PATH_CREATE_FILE;
  if (oflags & WASI_O_TRUNC) need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
  wasi_resolved r;
  wasi_fd *dir;
  uint32_t rc = resolve_arg(w, m, ARG32(0), need, ARG32(2), ARG32(3),
                            ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &r, &dir);
  if (rc) return rc;
  /* A descriptor opened beneath a directory gets at most what the directory passes on. */
  if ((base & ~dir->inheriting) || (inheriting & ~dir->inheriting)) {
    wasi_resolved_done(w, &r);
    return WASI_ENOTCAPABLE;
  }
  int fd = openat(r.dirfd, r.name, open_flags(oflags, base, fdflags, r.trailing_slash), 0666);
  if (fd < 0) {
    int e = errno;
#if defined(__FreeBSD__) || defined(__NetBSD__)
    if (e == EMLINK) e = ELOOP; /* O_NOFOLLOW on a symlink */
#endif
    wasi_resolved_done(w, &r);
    return wasi_errno(e);
  }
  wasi_resolved_done(w, &r);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return wasi_errno(e);
  }
  wasi_fd f = {0};
  f.host = fd;
  f.owned = true;
  f.filetype = wasi_filetype_of_mode(st.st_mode);
  if (S_ISDIR(st.st_mode)) {
    f.kind = WASI_FD_DIR;
    f.base = base & WASI_RIGHTS_DIRECTORY;
    f.inheriting = inheriting;
  } else {
    f.kind = WASI_FD_FILE;
    f.base = base & (f.filetype == WASI_FILETYPE_REGULAR_FILE ? WASI_RIGHTS_REGULAR_FILE
                                                              : WASI_RIGHTS_TTY);
    f.inheriting = 0;
  }
  uint32_t guest;
  if ((rc = wasi_fd_insert(w, &f, &guest)) != WASI_ESUCCESS) {
    close(fd);
    return rc;
  }
  wasi_st32(m->base + out, guest);
  return WASI_ESUCCESS;
}

uint32_t wasi_path_readlink(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                            kite_error *err) {
  (void)err;
  uint32_t buf = ARG32(3), len = ARG32(4), nout = ARG32(5);
  if (!wasi_mem_ok(m, buf, len) || !wasi_mem_ok(m, nout, 4)) return WASI_EFAULT;
  wasi_resolved r;
  uint32_t rc =
      resolve_arg(w, m, ARG32(0), WASI_RIGHT_PATH_READLINK, ARG32(1), ARG32(2), false, &r, NULL);
  if (rc) return rc;
  char target[4096];
  ssize_t n = readlinkat(r.dirfd, r.name, target, sizeof target);
  if (n < 0) rc = wasi_errno(errno);
  wasi_resolved_done(w, &r);
  if (rc) return rc;
  /* A target longer than the buffer is cut short, as readlink(2) does. */
  uint32_t used = (uint64_t)n < len ? (uint32_t)n : len;
  memcpy(m->base + buf, target, used);
  wasi_st32(m->base + nout, used);
  return WASI_ESUCCESS;
}

uint32_t wasi_path_remove_directory(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                                    kite_error *err) {
  (void)err;
  wasi_resolved r;
  uint32_t rc = resolve_arg(w, m, ARG32(0), WASI_RIGHT_PATH_REMOVE_DIRECTORY, ARG32(1), ARG32(2),
                            false, &r, NULL);
  if (rc) return rc;
  if (unlinkat(r.dirfd, r.name, AT_REMOVEDIR) != 0) rc = wasi_errno(errno);
  wasi_resolved_done(w, &r);
  return rc;
}

uint32_t wasi_path_rename(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                          kite_error *err) {
  (void)err;
  wasi_resolved from, to;
  uint32_t rc = resolve_arg(w, m, ARG32(0), WASI_RIGHT_PATH_RENAME_SOURCE, ARG32(1), ARG32(2),
                            false, &from, NULL);
  if (rc) return rc;
  rc = resolve_arg(w, m, ARG32(3), WASI_RIGHT_PATH_RENAME_TARGET, ARG32(4), ARG32(5), false, &to,
                   NULL);
  if (rc) {
    wasi_resolved_done(w, &from);
    return rc;
  }
  if (from.trailing_slash || to.trailing_slash) {
    /* Either slash says the source is a directory. */
    struct stat st;
    if (fstatat(from.dirfd, from.name, &st, AT_SYMLINK_NOFOLLOW) != 0) rc = wasi_errno(errno);
    else if (!S_ISDIR(st.st_mode)) rc = WASI_ENOTDIR;
  }
  if (!rc && renameat(from.dirfd, from.name, to.dirfd, to.name) != 0) rc = wasi_errno(errno);
  wasi_resolved_done(w, &from);
  wasi_resolved_done(w, &to);
  return rc;
}

uint32_t wasi_path_symlink(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                           kite_error *err) {
  (void)err;
  const uint8_t *target;
  uint32_t tlen = ARG32(1);
  uint32_t rc = wasi_guest_path(m, ARG32(0), tlen, &target);
  if (rc) return rc;
  /* An absolute target could only ever lead out of the sandbox. */
  if (tlen > 0 && target[0] == '/') return WASI_EPERM;
  if (tlen >= 4096) return WASI_ENAMETOOLONG;
  char t[4096];
  memcpy(t, target, tlen);
  t[tlen] = 0;
  wasi_resolved r;
  rc = resolve_arg(w, m, ARG32(2), WASI_RIGHT_PATH_SYMLINK, ARG32(3), ARG32(4), false, &r, NULL);
  if (rc) return rc;
  if (r.trailing_slash) {
    rc = faccessat(r.dirfd, r.name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ? WASI_EEXIST : WASI_ENOENT;
  } else if (symlinkat(t, r.dirfd, r.name) != 0) {
    rc = wasi_errno(errno);
  }
  wasi_resolved_done(w, &r);
  return rc;
}

uint32_t wasi_path_unlink_file(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                               kite_error *err) {
  (void)err;
  wasi_resolved r;
  uint32_t rc =
      resolve_arg(w, m, ARG32(0), WASI_RIGHT_PATH_UNLINK_FILE, ARG32(1), ARG32(2), false, &r, NULL);
  if (rc) return rc;
  if (r.trailing_slash) {
    struct stat st;
    if (fstatat(r.dirfd, r.name, &st, AT_SYMLINK_NOFOLLOW) != 0) rc = wasi_errno(errno);
    else rc = S_ISDIR(st.st_mode) ? WASI_EISDIR : WASI_ENOTDIR;
  } else if (unlinkat(r.dirfd, r.name, 0) != 0) {
    rc = wasi_errno(errno);
  }
  wasi_resolved_done(w, &r);
  return rc;
}
