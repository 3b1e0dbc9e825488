/*
** wasi.h: WASI preview1 (the `wasi_snapshot_preview1` import module).
**
** A kite_wasi is one guest's view of the host: its arguments, environment, and a table
** of file descriptors (stdio, preopened directories, preopened listening sockets, and
** whatever the guest opens beneath them). It holds no global state, so any number of
** instances can run side by side, each with its own context.
**
** The host functions use one calling convention (kite_wasi_host_fn): raw argument
** values and the guest's linear memory in, a WASI errno out. The runtime glue
** (kite_wasi_link) adapts it to the runtime's host functions; the unit tests call
** the functions directly with a buffer standing in for linear memory.
**
** Layout of the files (by ABI family, like toywasm's libwasi):
**   wasi.c               context, args, environ, proc_*, sched_yield, the function table
**   wasi_fd.c            fd_*
**   wasi_path.c          path_*
**   wasi_clock_random.c  clock_*, random_get, poll_oneoff
**   wasi_sock.c          sock_*, listening sockets
**   wasi_sandbox.c       resolving guest paths beneath a directory
**   wasi_link.c          binding a module's imports to these functions
*/
#ifndef KITE_WASI_H
#define KITE_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "runtime.h"

/* ---- Public to the rest of Kite (CLI, C API) ---- */

typedef struct kite_wasi kite_wasi;

typedef struct kite_wasi_preopen {
  const char *host;  /* directory on the host */
  const char *guest; /* the name the guest sees (fd_prestat_dir_name) */
} kite_wasi_preopen;

typedef struct kite_wasi_config {
  const char *const *argv; /* argv[0] is the program name the guest sees */
  size_t argc;
  const char *const *envp; /* "NAME=VALUE" strings */
  size_t envc;
  const kite_wasi_preopen *preopens;
  size_t npreopens;
  const char *const *listen; /* "HOST:PORT" addresses to bind and listen on */
  size_t nlisten;
  int stdio[3]; /* host fds for guest fds 0, 1, 2 (never closed by Kite); -1: closed */
  /* Resolve paths by walking components even where openat2(RESOLVE_BENEATH) exists
     (tests use it to exercise both resolvers). */
  bool portable_paths;
} kite_wasi_config;

/* A config with no arguments, no environment, no preopens and stdio 0, 1, 2. */
void kite_wasi_config_init(kite_wasi_config *cfg);

/*
** Create a context. Preopened directories are opened and listening sockets bound here,
** so a missing directory or a busy port is reported now (kind KITE_ERR_IO, or
** KITE_ERR_USAGE for a malformed address), not when the guest first looks.
** Returns NULL on failure with *err filled.
*/
kite_wasi *kite_wasi_new(kite_alloc *alloc, const kite_wasi_config *cfg, kite_error *err);
void kite_wasi_free(kite_wasi *w);

/* The guest's linear memory as the host functions see it during one call. */
typedef struct kite_wasi_mem {
  uint8_t *base;
  uint64_t size;
} kite_wasi_mem;

/*
** A WASI host function. `args` holds the raw parameter values (i32 in the low bits).
** Returns the WASI errno. proc_exit (and a fatal proc_raise) instead fill *err, kind
** KITE_ERR_EXIT with the exit status as code, and the caller unwinds the guest.
*/
typedef uint32_t (*kite_wasi_host_fn)(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *args,
                                      kite_error *err);

typedef struct kite_wasi_func {
  const char *name;
  const char *params;  /* one letter per parameter: 'i' i32, 'I' i64 */
  const char *results; /* "i" (an errno) or "" (proc_exit) */
  kite_wasi_host_fn fn;
} kite_wasi_func;

#define KITE_WASI_MODULE "wasi_snapshot_preview1"

/* The function of that name in wasi_snapshot_preview1, or NULL. */
const kite_wasi_func *kite_wasi_lookup(const char *name, size_t len);
/* Every function, in the order of the witx; *count gets their number. */
const kite_wasi_func *kite_wasi_functions(size_t *count);

/* ---- In the runtime (wasi_link.c) ---- */

/* True when an import belongs to wasi_snapshot_preview1. */
bool kite_wasi_is_import(const kite_import *imp);

/*
** For every import of m from wasi_snapshot_preview1, create a host function in s bound
** to w and put it in imports[i] (imports has m->nimports entries; the others are left
** as they are for the caller to fill). A name WASI does not have, or a type that does
** not match, is a KITE_ERR_LINK error. w must outlive the store's use of the functions.
*/
bool kite_wasi_link(kite_wasi *w, kite_store *s, const kite_module *m, kite_extern *imports,
                    kite_error *err);

/* Let the host functions use inst's memory (its export "memory", else memory 0). Between
   kite_wasi_link and this call, the first call from the linked store (from the module's
   start function, run by kite_instantiate) binds the instance being created. */
void kite_wasi_bind(kite_wasi *w, kite_instance *inst);

/*
** Bind and run an instance: _start for a command, else _initialize for a reactor, else
** nothing. *exit_code is the status the guest gave proc_exit, or 0 when _start
** returned. A trap returns false with *err (kind KITE_ERR_RUNTIME, ...).
*/
bool kite_wasi_run(kite_wasi *w, kite_store *s, kite_instance *inst, int *exit_code,
                   kite_error *err);

/* If *err is a proc_exit (KITE_ERR_EXIT), clear it, store the status and return true. */
bool kite_wasi_exit_status(kite_error *err, int *exit_code);

/* ---- wasi-threads (wasi_threads.c) ---- */

/*
** The threads of one wasi-threads program. Use: kite_wasi_threads_used(m) tells whether
** the module needs it; kite_wasi_threads_new before linking (it creates the shared
** memory the module imports as env::memory in the main store s, and gives s an interrupt
** request); kite_wasi_link, then kite_wasi_threads_link (env::memory, wasi::thread-spawn;
** it keeps the complete imports for the threads' instances); instantiate and run as
** usual; then kite_wasi_threads_finish, which stops and joins every other thread and
** tells whether one of them ended the program first; kite_wasi_threads_free before the
** main store is freed. The WASI context must outlive the group.
*/
typedef struct kite_wasi_threads kite_wasi_threads;

/* The module imports wasi::thread-spawn. */
bool kite_wasi_threads_used(const kite_module *m);
/* An import kite_wasi_threads_link provides: wasi::thread-spawn or env::memory. */
bool kite_wasi_threads_is_import(const kite_import *imp);
kite_wasi_threads *kite_wasi_threads_new(kite_wasi *w, kite_store *s, const kite_module *m,
                                         kite_error *err);
bool kite_wasi_threads_link(kite_wasi_threads *t, kite_store *s, kite_extern *imports,
                            kite_error *err);
/* The main thread's run is over: stop the others and wait for them. When a spawned
   thread ended the program (proc_exit, a trap) before the main thread did, returns true
   with that ending in *err and its backtrace in *trace (may be NULL). */
bool kite_wasi_threads_finish(kite_wasi_threads *t, kite_error *err, kite_trace *trace);
void kite_wasi_threads_free(kite_wasi_threads *t);

/* ---- Shared between the src/wasi files ---- */

/* WASI errno values (typenames.witx, `errno`). */
enum {
  WASI_ESUCCESS = 0,
  WASI_E2BIG = 1,
  WASI_EACCES = 2,
  WASI_EADDRINUSE = 3,
  WASI_EADDRNOTAVAIL = 4,
  WASI_EAFNOSUPPORT = 5,
  WASI_EAGAIN = 6,
  WASI_EALREADY = 7,
  WASI_EBADF = 8,
  WASI_EBADMSG = 9,
  WASI_EBUSY = 10,
  WASI_ECANCELED = 11,
  WASI_ECHILD = 12,
  WASI_ECONNABORTED = 13,
  WASI_ECONNREFUSED = 14,
  WASI_ECONNRESET = 15,
  WASI_EDEADLK = 16,
  WASI_EDESTADDRREQ = 17,
  WASI_EDOM = 18,
  WASI_EDQUOT = 19,
  WASI_EEXIST = 20,
  WASI_EFAULT = 21,
  WASI_EFBIG = 22,
  WASI_EHOSTUNREACH = 23,
  WASI_EIDRM = 24,
  WASI_EILSEQ = 25,
  WASI_EINPROGRESS = 26,
  WASI_EINTR = 27,
  WASI_EINVAL = 28,
  WASI_EIO = 29,
  WASI_EISCONN = 30,
  WASI_EISDIR = 31,
  WASI_ELOOP = 32,
  WASI_EMFILE = 33,
  WASI_EMLINK = 34,
  WASI_EMSGSIZE = 35,
  WASI_EMULTIHOP = 36,
  WASI_ENAMETOOLONG = 37,
  WASI_ENETDOWN = 38,
  WASI_ENETRESET = 39,
  WASI_ENETUNREACH = 40,
  WASI_ENFILE = 41,
  WASI_ENOBUFS = 42,
  WASI_ENODEV = 43,
  WASI_ENOENT = 44,
  WASI_ENOEXEC = 45,
  WASI_ENOLCK = 46,
  WASI_ENOLINK = 47,
  WASI_ENOMEM = 48,
  WASI_ENOMSG = 49,
  WASI_ENOPROTOOPT = 50,
  WASI_ENOSPC = 51,
  WASI_ENOSYS = 52,
  WASI_ENOTCONN = 53,
  WASI_ENOTDIR = 54,
  WASI_ENOTEMPTY = 55,
  WASI_ENOTRECOVERABLE = 56,
  WASI_ENOTSOCK = 57,
  WASI_ENOTSUP = 58,
  WASI_ENOTTY = 59,
  WASI_ENXIO = 60,
  WASI_EOVERFLOW = 61,
  WASI_EOWNERDEAD = 62,
  WASI_EPERM = 63,
  WASI_EPIPE = 64,
  WASI_EPROTO = 65,
  WASI_EPROTONOSUPPORT = 66,
  WASI_EPROTOTYPE = 67,
  WASI_ERANGE = 68,
  WASI_EROFS = 69,
  WASI_ESPIPE = 70,
  WASI_ESRCH = 71,
  WASI_ESTALE = 72,
  WASI_ETIMEDOUT = 73,
  WASI_ETXTBSY = 74,
  WASI_EXDEV = 75,
  WASI_ENOTCAPABLE = 76
};

/* Rights (typenames.witx, `rights`). */
#define WASI_RIGHT_FD_DATASYNC (UINT64_C(1) << 0)
#define WASI_RIGHT_FD_READ (UINT64_C(1) << 1)
#define WASI_RIGHT_FD_SEEK (UINT64_C(1) << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS (UINT64_C(1) << 3)
#define WASI_RIGHT_FD_SYNC (UINT64_C(1) << 4)
#define WASI_RIGHT_FD_TELL (UINT64_C(1) << 5)
#define WASI_RIGHT_FD_WRITE (UINT64_C(1) << 6)
#define WASI_RIGHT_FD_ADVISE (UINT64_C(1) << 7)
#define WASI_RIGHT_FD_ALLOCATE (UINT64_C(1) << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY (UINT64_C(1) << 9)
#define WASI_RIGHT_PATH_CREATE_FILE (UINT64_C(1) << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE (UINT64_C(1) << 11)
#define WASI_RIGHT_PATH_LINK_TARGET (UINT64_C(1) << 12)
#define WASI_RIGHT_PATH_OPEN (UINT64_C(1) << 13)
#define WASI_RIGHT_FD_READDIR (UINT64_C(1) << 14)
#define WASI_RIGHT_PATH_READLINK (UINT64_C(1) << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE (UINT64_C(1) << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET (UINT64_C(1) << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET (UINT64_C(1) << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE (UINT64_C(1) << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (UINT64_C(1) << 20)
#define WASI_RIGHT_FD_FILESTAT_GET (UINT64_C(1) << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE (UINT64_C(1) << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES (UINT64_C(1) << 23)
#define WASI_RIGHT_PATH_SYMLINK (UINT64_C(1) << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY (UINT64_C(1) << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE (UINT64_C(1) << 26)
#define WASI_RIGHT_POLL_FD_READWRITE (UINT64_C(1) << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN (UINT64_C(1) << 28)
#define WASI_RIGHT_SOCK_ACCEPT (UINT64_C(1) << 29)
#define WASI_RIGHTS_ALL ((UINT64_C(1) << 30) - 1)

/* What makes sense for each kind of descriptor (a path_open result is narrowed to it). */
#define WASI_RIGHTS_REGULAR_FILE                                                                   \
  (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |                              \
   WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL |                      \
   WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |                           \
   WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |                                  \
   WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_DIRECTORY                                                                      \
  (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_ADVISE |                    \
   WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE |  \
   WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN | WASI_RIGHT_FD_READDIR |                    \
   WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET |      \
   WASI_RIGHT_PATH_FILESTAT_GET | WASI_RIGHT_PATH_FILESTAT_SET_SIZE |                              \
   WASI_RIGHT_PATH_FILESTAT_SET_TIMES | WASI_RIGHT_FD_FILESTAT_GET |                               \
   WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK | WASI_RIGHT_PATH_REMOVE_DIRECTORY | \
   WASI_RIGHT_PATH_UNLINK_FILE | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_TTY                                                                            \
  (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_WRITE |                     \
   WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_SOCKET                                                                         \
  (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_WRITE |                     \
   WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN)
#define WASI_RIGHTS_LISTENER                                                                       \
  (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE |    \
   WASI_RIGHT_SOCK_ACCEPT)

/* filetype */
enum {
  WASI_FILETYPE_UNKNOWN = 0,
  WASI_FILETYPE_BLOCK_DEVICE = 1,
  WASI_FILETYPE_CHARACTER_DEVICE = 2,
  WASI_FILETYPE_DIRECTORY = 3,
  WASI_FILETYPE_REGULAR_FILE = 4,
  WASI_FILETYPE_SOCKET_DGRAM = 5,
  WASI_FILETYPE_SOCKET_STREAM = 6,
  WASI_FILETYPE_SYMBOLIC_LINK = 7
};

/* fdflags, oflags, lookupflags, fstflags */
enum {
  WASI_FDFLAG_APPEND = 1,
  WASI_FDFLAG_DSYNC = 2,
  WASI_FDFLAG_NONBLOCK = 4,
  WASI_FDFLAG_RSYNC = 8,
  WASI_FDFLAG_SYNC = 16
};
enum { WASI_O_CREAT = 1, WASI_O_DIRECTORY = 2, WASI_O_EXCL = 4, WASI_O_TRUNC = 8 };
enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };
enum { WASI_FST_ATIM = 1, WASI_FST_ATIM_NOW = 2, WASI_FST_MTIM = 4, WASI_FST_MTIM_NOW = 8 };

/* Struct sizes of the witx layouts. */
enum {
  WASI_FILESTAT_SIZE = 64,
  WASI_FDSTAT_SIZE = 24,
  WASI_PRESTAT_SIZE = 8,
  WASI_DIRENT_SIZE = 24,
  WASI_EVENT_SIZE = 32,
  WASI_SUBSCRIPTION_SIZE = 48,
  WASI_IOVEC_SIZE = 8
};

/* Symlinks followed while resolving one path, as Linux's MAXSYMLINKS. */
#define WASI_MAX_SYMLINKS 40

typedef enum wasi_fd_kind {
  WASI_FD_FREE = 0,
  WASI_FD_FILE, /* anything read and written as a stream or file: files, ttys, pipes */
  WASI_FD_DIR,
  WASI_FD_SOCKET,  /* a connected stream socket */
  WASI_FD_LISTENER /* a listening socket the guest may sock_accept on */
} wasi_fd_kind;

typedef struct wasi_fd {
  wasi_fd_kind kind;
  uint8_t filetype;
  bool owned; /* close the host fd when the guest closes this one (stdio is not owned) */
  int host;
  uint64_t base, inheriting; /* rights */
  char *preopen;             /* NUL-terminated guest name of a preopened directory, else NULL */
  size_t preopen_len;
  void *dir;         /* DIR stream of fd_readdir, opened on first use */
  uint64_t dir_next; /* the cookie of the entry that stream returns next */
} wasi_fd;

typedef struct wasi_thunk {
  struct kite_wasi *w;
  const kite_wasi_func *f;
} wasi_thunk;

#define WASI_NFUNCS 46

struct kite_wasi {
  kite_alloc *alloc;
  uint8_t *args; /* argv strings, each NUL-terminated, back to back */
  size_t args_len;
  uint32_t argc;
  uint8_t *env;
  size_t env_len;
  uint32_t envc;
  wasi_fd *fds;
  uint32_t nfds; /* slots, free or not */
  bool portable_paths;
  bool no_openat2;      /* openat2 reported ENOSYS once: do not ask again */
  kite_meminst *memory; /* the bound instance's memory */
  /* Set by kite_wasi_link, cleared by kite_wasi_bind: until then, the first call from
     that store (a start function's) binds the instance of that module being created. */
  const kite_store *pending_store;
  const kite_module *pending_module;
  struct kite_wasi_threads *threads; /* wasi-threads: calls from several threads */
  wasi_thunk thunks[WASI_NFUNCS];    /* host function environments, one per function */
};

/* Host errno to WASI errno. */
uint32_t wasi_errno(int host_errno);
/* WASI filetype of a host st_mode (sockets need the fd to tell stream from datagram). */
uint8_t wasi_filetype_of_mode(unsigned mode);

/* The descriptor, when open and holding every right in `need`. *err: EBADF or ENOTCAPABLE. */
wasi_fd *wasi_fd_get(kite_wasi *w, uint32_t fd, uint64_t need, uint32_t *err);
/* Put a host fd into the lowest free slot; returns WASI_ESUCCESS and the guest fd. */
uint32_t wasi_fd_insert(kite_wasi *w, const wasi_fd *proto, uint32_t *out_fd);
/* Close a slot's host resources and free it. */
void wasi_fd_release(kite_wasi *w, wasi_fd *f);

/* Linear memory access: every guest pointer and length is checked here. */
static inline bool wasi_mem_ok(const kite_wasi_mem *m, uint64_t ptr, uint64_t len) {
  return ptr <= m->size && len <= m->size - ptr;
}
static inline void wasi_st16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void wasi_st32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wasi_st64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
/* Store a u32/u64 result at a guest address; false when out of bounds. */
static inline bool wasi_put32(const kite_wasi_mem *m, uint32_t ptr, uint32_t v) {
  if (!wasi_mem_ok(m, ptr, 4)) return false;
  wasi_st32(m->base + ptr, v);
  return true;
}
static inline bool wasi_put64(const kite_wasi_mem *m, uint32_t ptr, uint64_t v) {
  if (!wasi_mem_ok(m, ptr, 8)) return false;
  wasi_st64(m->base + ptr, v);
  return true;
}

/*
** Scatter/gather: the guest's iovec array turned into host iovecs. At most
** WASI_IOV_MAX buffers are taken per call (a short transfer, as readv allows); the
** total is capped so the byte count fits the u32 result.
*/
#define WASI_IOV_MAX 64
struct iovec;
uint32_t wasi_iovecs(const kite_wasi_mem *m, uint32_t iovs, uint32_t iovs_len, struct iovec *out,
                     int *count);

/* The timespec pair of futimens/utimensat for fst_flags; false when the flags conflict. */
struct timespec;
bool wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec *ts);

/* Fill a 64-byte filestat from a host struct stat (passed as void * to keep headers light). */
void wasi_filestat_pack(uint8_t out[WASI_FILESTAT_SIZE], const void *host_stat);

/*
** Sandboxed path resolution (wasi_sandbox.c). A guest path is resolved beneath the
** directory `dir` to a host directory fd and a last component, on which the caller
** uses an *at() call with no-follow semantics. Escapes (absolute paths, `..` above the
** directory, symlinks leading out, absolute symlink targets) fail with EPERM, as in
** wasmtime; more than WASI_MAX_SYMLINKS symlinks fail with ELOOP.
*/
typedef struct wasi_resolved {
  int dirfd;           /* host directory holding the last component */
  bool owned;          /* dirfd was opened by the resolver: wasi_resolved_done closes it */
  bool trailing_slash; /* the guest path ended in '/': the target must be a directory */
  char *name;          /* last component, NUL-terminated ("." when the path names dirfd itself) */
  size_t name_cap;
} wasi_resolved;

/* follow: resolve a symlink in the last component too (lookupflags.symlink_follow). */
uint32_t wasi_resolve(kite_wasi *w, const wasi_fd *dir, const uint8_t *path, size_t len,
                      bool follow, wasi_resolved *out);
void wasi_resolved_done(kite_wasi *w, wasi_resolved *r);
/* Read a guest path argument: bounds (EFAULT) and embedded NULs (EINVAL). */
uint32_t wasi_guest_path(const kite_wasi_mem *m, uint32_t ptr, uint32_t len, const uint8_t **out);

/* The host functions, by family. */
#define KITE_WASI_FUNCS(X)                                                                         \
  X(args_get, "ii", "i")                                                                           \
  X(args_sizes_get, "ii", "i")                                                                     \
  X(environ_get, "ii", "i")                                                                        \
  X(environ_sizes_get, "ii", "i")                                                                  \
  X(clock_res_get, "ii", "i")                                                                      \
  X(clock_time_get, "iIi", "i")                                                                    \
  X(fd_advise, "iIIi", "i")                                                                        \
  X(fd_allocate, "iII", "i")                                                                       \
  X(fd_close, "i", "i")                                                                            \
  X(fd_datasync, "i", "i")                                                                         \
  X(fd_fdstat_get, "ii", "i")                                                                      \
  X(fd_fdstat_set_flags, "ii", "i")                                                                \
  X(fd_fdstat_set_rights, "iII", "i")                                                              \
  X(fd_filestat_get, "ii", "i")                                                                    \
  X(fd_filestat_set_size, "iI", "i")                                                               \
  X(fd_filestat_set_times, "iIIi", "i")                                                            \
  X(fd_pread, "iiiIi", "i")                                                                        \
  X(fd_prestat_get, "ii", "i")                                                                     \
  X(fd_prestat_dir_name, "iii", "i")                                                               \
  X(fd_pwrite, "iiiIi", "i")                                                                       \
  X(fd_read, "iiii", "i")                                                                          \
  X(fd_readdir, "iiiIi", "i")                                                                      \
  X(fd_renumber, "ii", "i")                                                                        \
  X(fd_seek, "iIii", "i")                                                                          \
  X(fd_sync, "i", "i")                                                                             \
  X(fd_tell, "ii", "i")                                                                            \
  X(fd_write, "iiii", "i")                                                                         \
  X(path_create_directory, "iii", "i")                                                             \
  X(path_filestat_get, "iiiii", "i")                                                               \
  X(path_filestat_set_times, "iiiiIIi", "i")                                                       \
  X(path_link, "iiiiiii", "i")                                                                     \
  X(path_open, "iiiiiIIii", "i")                                                                   \
  X(path_readlink, "iiiiii", "i")                                                                  \
  X(path_remove_directory, "iii", "i")                                                             \
  X(path_rename, "iiiiii", "i")                                                                    \
  X(path_symlink, "iiiii", "i")                                                                    \
  X(path_unlink_file, "iii", "i")                                                                  \
  X(poll_oneoff, "iiii", "i")                                                                      \
  X(proc_exit, "i", "")                                                                            \
  X(proc_raise, "i", "i")                                                                          \
  X(sched_yield, "", "i")                                                                          \
  X(random_get, "ii", "i")                                                                         \
  X(sock_accept, "iii", "i")                                                                       \
  X(sock_recv, "iiiiii", "i")                                                                      \
  X(sock_send, "iiiii", "i")                                                                       \
  X(sock_shutdown, "ii", "i")

#define KITE_WASI_DECLARE(name, params, results)                                                   \
  uint32_t wasi_##name(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err);
KITE_WASI_FUNCS(KITE_WASI_DECLARE)
#undef KITE_WASI_DECLARE

/* wasi-threads: serialise a call on the context; true when the lock was taken. */
bool wasi_threads_enter(struct kite_wasi_threads *t, const kite_wasi_func *f,
                        const kite_wasi_mem *m, const uint64_t *a);
void wasi_threads_leave(struct kite_wasi_threads *t);

/* Send without raising SIGPIPE when the peer has gone (EPIPE instead). */
long wasi_sock_sendv(int host, struct iovec *iov, int n);

/* Listening sockets (wasi_sock.c): bind and listen on "HOST:PORT"; -1 with *err. */
int wasi_listen(const char *addr, kite_error *err);

#endif
