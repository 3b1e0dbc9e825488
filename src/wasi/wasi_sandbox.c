/*
** wasi_sandbox.c: resolving a guest path beneath a directory descriptor.
**
** The result is a host directory fd and a last component. Callers then use *at()
** calls that never follow a symlink in that last component (O_NOFOLLOW,
** AT_SYMLINK_NOFOLLOW), so a symlink swapped in after we looked cannot lead anywhere.
**
** The directory part is opened in one of two ways:
**  - Linux openat2() with RESOLVE_BENEATH: the kernel walks the path and refuses
**    absolute paths, `..` above the start and symlinks that lead out (EXDEV);
**  - elsewhere (or when openat2 says ENOSYS), component by component with O_NOFOLLOW,
**    keeping a stack of the directories walked so that `..` returns to the directory we
**    came from, never above the start, and splicing symlink targets into the rest of
**    the path ourselves.
** A symlink in the last component is followed here, when asked, by reading it and
** resolving "directory part + target" again from the start, so its `..` components are
** checked against the sandbox like any other.
*/
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "wasi.h"

#ifndef O_PATH
#define O_PATH 0
#endif
#define WASI_DIR_OPEN_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define WASI_LINK_MAX 4096 /* longest symlink target we follow */

uint32_t wasi_guest_path(const kite_wasi_mem *m, uint32_t ptr, uint32_t len, const uint8_t **out) {
  if (!wasi_mem_ok(m, ptr, len)) return WASI_EFAULT;
  const uint8_t *p = m->base + ptr;
  if (memchr(p, 0, len)) return WASI_EINVAL;
  *out = p;
  return WASI_ESUCCESS;
}

/* A growable NUL-terminated string from the allocator hook. */
typedef struct pathbuf {
  kite_alloc *alloc;
  char *s;
  size_t len, cap;
} pathbuf;

static bool pb_set(pathbuf *b, const char *a, size_t alen, const char *mid, size_t mlen,
                   const char *z, size_t zlen) {
  size_t need = alen + mlen + zlen + 1;
  if (need < alen) return false;
  char *n = kite_malloc(b->alloc, need);
  if (!n) return false;
  memcpy(n, a, alen);
  memcpy(n + alen, mid, mlen);
  memcpy(n + alen + mlen, z, zlen);
  n[need - 1] = 0;
  kite_free(b->alloc, b->s, b->cap);
  b->s = n;
  b->len = need - 1;
  b->cap = need;
  return true;
}

static void pb_free(pathbuf *b) {
  kite_free(b->alloc, b->s, b->cap);
  b->s = NULL;
  b->len = b->cap = 0;
}

/* Read a symlink; 1: it is one (target in buf, n bytes), 0: it is not, or an errno < 0. */
static int read_link(int dirfd, const char *name, char *buf, size_t *n) {
  ssize_t r = readlinkat(dirfd, name, buf, WASI_LINK_MAX);
  if (r < 0) return (errno == EINVAL || errno == ENOENT || errno == ENOTDIR) ? 0 : -errno;
  if ((size_t)r >= WASI_LINK_MAX) return -ENAMETOOLONG;
  *n = (size_t)r;
  return 1;
}

#if defined(__linux__) && defined(SYS_openat2)
struct wasi_open_how {
  uint64_t flags, mode, resolve;
};
#define WASI_RESOLVE_NO_MAGICLINKS 0x02
#define WASI_RESOLVE_BENEATH 0x08

/* -1: openat2 cannot help (fall back); otherwise an fd or a WASI errno as -(1 + errno). */
static int open_beneath_kernel(kite_wasi *w, int base, const char *path) {
  struct wasi_open_how how = {0};
  how.flags = WASI_DIR_OPEN_FLAGS & ~(uint64_t)O_NOFOLLOW;
  how.resolve = WASI_RESOLVE_BENEATH | WASI_RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, base, path, &how, sizeof how);
  if (fd >= 0) return (int)fd;
  switch (errno) {
  case ENOSYS: w->no_openat2 = true; return -1;
  case EPERM: /* seccomp filters that refuse unknown syscalls */
  case E2BIG:
  case EAGAIN: return -1; /* a rename raced the walk: take the slow path */
  case EXDEV: return -(1 + WASI_EPERM);
  default: return -(1 + (int)wasi_errno(errno));
  }
}
#endif

/*
** Walk `path` (relative, every component a directory) from `base`, following symlinks
** within the sandbox. On success *out is base itself (*owned false) or a new fd.
*/
static uint32_t open_beneath_walk(kite_wasi *w, int base, const char *path, size_t len, int *hops,
                                  int *out, bool *owned) {
  KITE_VEC(int) stack = {0};
  pathbuf rem = {w->alloc, NULL, 0, 0};
  uint32_t rc = WASI_ESUCCESS;
  char *link = NULL;
  if (!kite_vec_push(w->alloc, &stack, base) || !pb_set(&rem, path, len, "", 0, "", 0)) {
    rc = WASI_ENOMEM;
    goto done;
  }
  size_t pos = 0;
  while (pos < rem.len) {
    while (pos < rem.len && rem.s[pos] == '/') pos++;
    if (pos == rem.len) break;
    size_t end = pos;
    while (end < rem.len && rem.s[end] != '/') end++;
    char saved = rem.s[end];
    rem.s[end] = 0;
    const char *comp = rem.s + pos;
    if (strcmp(comp, ".") == 0) {
      rem.s[end] = saved;
      pos = end;
      continue;
    }
    if (strcmp(comp, "..") == 0) {
      rem.s[end] = saved;
      if (stack.len == 1) {
        rc = WASI_EPERM; /* above the preopened directory */
        goto done;
      }
      close(stack.data[--stack.len]);
      pos = end;
      continue;
    }
    int top = stack.data[stack.len - 1];
    int fd = openat(top, comp, WASI_DIR_OPEN_FLAGS);
    if (fd < 0) {
      int open_err = errno;
      if (!link && !(link = kite_malloc(w->alloc, WASI_LINK_MAX))) {
        rc = WASI_ENOMEM;
        goto done;
      }
      size_t n = 0;
      int r = read_link(top, comp, link, &n);
      rem.s[end] = saved;
      if (r < 0) {
        rc = wasi_errno(-r);
        goto done;
      }
      if (r == 0) {
        rc = wasi_errno(open_err);
        goto done;
      }
      if (++*hops > WASI_MAX_SYMLINKS) {
        rc = WASI_ELOOP;
        goto done;
      }
      if (n == 0) {
        rc = WASI_ENOENT;
        goto done;
      }
      if (link[0] == '/') {
        rc = WASI_EPERM; /* an absolute target leads out of the sandbox */
        goto done;
      }
      /* Continue from the same directory with the target spliced in. */
      pathbuf next = {w->alloc, NULL, 0, 0};
      if (!pb_set(&next, link, n, "/", 1, rem.s + end, rem.len - end)) {
        rc = WASI_ENOMEM;
        goto done;
      }
      pb_free(&rem);
      rem = next;
      pos = 0;
      continue;
    }
    rem.s[end] = saved;
    if (!kite_vec_push(w->alloc, &stack, fd)) {
      close(fd);
      rc = WASI_ENOMEM;
      goto done;
    }
    pos = end;
  }
done:
  if (rc == WASI_ESUCCESS) {
    *owned = stack.len > 1;
    *out = stack.data[stack.len - 1];
    if (*owned) stack.len--; /* keep the result open */
  }
  for (size_t i = 1; i < stack.len; i++) close(stack.data[i]);
  kite_vec_free(w->alloc, &stack);
  pb_free(&rem);
  if (link) kite_free(w->alloc, link, WASI_LINK_MAX);
  return rc;
}

static uint32_t open_beneath(kite_wasi *w, int base, const char *path, size_t len, int *hops,
                             int *out, bool *owned) {
  if (len == 0) {
    *out = base;
    *owned = false;
    return WASI_ESUCCESS;
  }
#if defined(__linux__) && defined(SYS_openat2)
  if (!w->portable_paths && !w->no_openat2) {
    int fd = open_beneath_kernel(w, base, path);
    if (fd >= 0) {
      *out = fd;
      *owned = true;
      return WASI_ESUCCESS;
    }
    if (fd < -1) return (uint32_t)(-fd - 1);
  }
#endif
  return open_beneath_walk(w, base, path, len, hops, out, owned);
}

static bool set_name(kite_wasi *w, wasi_resolved *out, const char *name, size_t len) {
  if (len + 1 > out->name_cap) {
    char *n = kite_realloc(w->alloc, out->name, out->name_cap, len + 1);
    if (!n) return false;
    out->name = n;
    out->name_cap = len + 1;
  }
  memcpy(out->name, name, len);
  out->name[len] = 0;
  return true;
}

uint32_t wasi_resolve(kite_wasi *w, const wasi_fd *dir, const uint8_t *path, size_t len,
                      bool follow, wasi_resolved *out) {
  memset(out, 0, sizeof *out);
  out->dirfd = -1;
  if (dir->kind != WASI_FD_DIR) return WASI_ENOTDIR;
  if (len == 0) return WASI_ENOENT;
  if (path[0] == '/') return WASI_EPERM;
  pathbuf cur = {w->alloc, NULL, 0, 0};
  char *link = NULL;
  uint32_t rc = WASI_ESUCCESS;
  int hops = 0;
  if (!pb_set(&cur, (const char *)path, len, "", 0, "", 0)) return WASI_ENOMEM;
  for (;;) {
    size_t l = cur.len;
    bool trailing = false;
    while (l > 0 && cur.s[l - 1] == '/') {
      l--;
      trailing = true;
    }
    size_t start = l;
    while (start > 0 && cur.s[start - 1] != '/') start--;
    size_t dirlen = start;
    const char *name = cur.s + start;
    size_t namelen = l - start;
    if (namelen == 0 || (namelen == 1 && name[0] == '.') ||
        (namelen == 2 && name[0] == '.' && name[1] == '.')) {
      /* The path names a directory itself: open all of it, last component ".". */
      dirlen = l;
      name = ".";
      namelen = 1;
    }
    while (dirlen > 0 && cur.s[dirlen - 1] == '/') dirlen--;
    char saved = cur.s[dirlen];
    cur.s[dirlen] = 0;
    int dirfd;
    bool owned;
    rc = open_beneath(w, dir->host, cur.s, dirlen, &hops, &dirfd, &owned);
    cur.s[dirlen] = saved;
    if (rc != WASI_ESUCCESS) break;
    char namebuf[NAME_MAX + 1];
    if (namelen > NAME_MAX) {
      if (owned) close(dirfd);
      rc = WASI_ENAMETOOLONG;
      break;
    }
    memcpy(namebuf, name, namelen);
    namebuf[namelen] = 0;
    if ((follow || trailing) && strcmp(namebuf, ".") != 0) {
      if (!link && !(link = kite_malloc(w->alloc, WASI_LINK_MAX))) {
        if (owned) close(dirfd);
        rc = WASI_ENOMEM;
        break;
      }
      size_t n = 0;
      int r = read_link(dirfd, namebuf, link, &n);
      if (r != 0) {
        if (owned) close(dirfd);
        if (r < 0) rc = wasi_errno(-r);
        else if (++hops > WASI_MAX_SYMLINKS) rc = WASI_ELOOP;
        else if (n == 0) rc = WASI_ENOENT;
        else if (link[0] == '/') rc = WASI_EPERM;
        if (rc != WASI_ESUCCESS) break;
        /* Resolve "directory part/target" again from the start. */
        pathbuf next = {w->alloc, NULL, 0, 0};
        bool ok = dirlen ? pb_set(&next, cur.s, dirlen, "/", 1, link, n)
                         : pb_set(&next, link, n, "", 0, "", 0);
        if (ok && trailing) ok = pb_set(&next, next.s, next.len, "/", 1, "", 0);
        if (!ok) {
          pb_free(&next);
          rc = WASI_ENOMEM;
          break;
        }
        pb_free(&cur);
        cur = next;
        continue;
      }
    }
    if (!set_name(w, out, namebuf, namelen)) {
      if (owned) close(dirfd);
      rc = WASI_ENOMEM;
      break;
    }
    out->dirfd = dirfd;
    out->owned = owned;
    out->trailing_slash = trailing;
    break;
  }
  pb_free(&cur);
  if (link) kite_free(w->alloc, link, WASI_LINK_MAX);
  if (rc != WASI_ESUCCESS) {
    kite_free(w->alloc, out->name, out->name_cap);
    memset(out, 0, sizeof *out);
    out->dirfd = -1;
  }
  return rc;
}

void wasi_resolved_done(kite_wasi *w, wasi_resolved *r) {
  if (r->owned && r->dirfd >= 0) close(r->dirfd);
  kite_free(w->alloc, r->name, r->name_cap);
  memset(r, 0, sizeof *r);
  r->dirfd = -1;
}
