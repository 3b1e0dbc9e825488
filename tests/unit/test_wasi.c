/*
** test_wasi.c: the WASI host functions called directly, with a buffer standing in for
** linear memory. Covers the sandbox (every escape, with both path resolvers), the
** descriptor table and rights, iovecs and EFAULT checks, dirent packing, clocks, poll,
** sockets and proc_exit.
*/
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "wasi.h"

#define MEM_SIZE 65536
static uint8_t mem[MEM_SIZE];
static const kite_wasi_mem M = {mem, MEM_SIZE};
static kite_error last_err;

/* Guest addresses used below. */
enum { OUT = 64, OUT2 = 72, IOV = 128, PATH = 1024, PATH2 = 2048, BUF = 4096, BIG = 8192 };

static uint32_t call_n(kite_wasi *w, const char *name, const uint64_t *args, size_t n) {
  const kite_wasi_func *f = kite_wasi_lookup(name, strlen(name));
  if (!f) {
    fprintf(stderr, "no WASI function %s\n", name);
    return 0xffff;
  }
  if (strlen(f->params) != n) {
    fprintf(stderr, "%s takes %zu arguments, given %zu\n", name, strlen(f->params), n);
    return 0xffff;
  }
  kite_error_clear(&last_err);
  return f->fn(w, &M, args, &last_err);
}
#define CALL(w, name, ...)                                                                         \
  call_n(w, name, (const uint64_t[]){__VA_ARGS__},                                                 \
         sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))

static uint32_t put_str(uint32_t at, const char *s) {
  size_t n = strlen(s);
  memcpy(mem + at, s, n);
  return (uint32_t)n;
}
static uint32_t ld32(uint32_t at) { return kite_load_u32le(mem + at); }
static uint64_t ld64(uint32_t at) { return kite_load_u64le(mem + at); }

static char root[512];
static char sandbox[600];

static void write_file(const char *rel, const char *content) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", root, rel);
  FILE *f = fopen(p, "w");
  if (f) {
    fputs(content, f);
    fclose(f);
  }
}
static void make_link(const char *target, const char *rel) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", root, rel);
  if (symlink(target, p) != 0) perror("symlink");
}
static bool host_exists(const char *rel) {
  char p[1024];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", root, rel);
  return lstat(p, &st) == 0;
}

/*
** root/outside/secret.txt       never reachable from the guest
** root/sandbox/                 preopened as "/sandbox" (fd 3)
**   file.txt  sub/inner.txt  d/{a,b,c}
**   link_out -> ../outside       link_abs -> /etc       link_in -> sub
**   link_up -> sub/../file.txt   loop1 <-> loop2        chain1 -> chain2 -> ../outside/secret.txt
**   sub/up -> ..                 sub/upup -> ../..      dangling -> nothere
*/
static bool make_tree(void) {
  snprintf(root, sizeof root, "%s/kite-wasi-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(root)) return false;
  snprintf(sandbox, sizeof sandbox, "%s/sandbox", root);
  char p[1024];
  const char *dirs[] = {"outside", "sandbox", "sandbox/sub", "sandbox/d"};
  for (size_t i = 0; i < KITE_ARRAY_LEN(dirs); i++) {
    snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
    if (mkdir(p, 0755) != 0) return false;
  }
  write_file("outside/secret.txt", "secret");
  write_file("sandbox/file.txt", "hello");
  write_file("sandbox/sub/inner.txt", "inner");
  write_file("sandbox/d/a", "");
  write_file("sandbox/d/b", "");
  write_file("sandbox/d/c", "");
  make_link("../outside", "sandbox/link_out");
  make_link("/etc", "sandbox/link_abs");
  make_link("sub", "sandbox/link_in");
  make_link("sub/../file.txt", "sandbox/link_up");
  make_link("loop2", "sandbox/loop1");
  make_link("loop1", "sandbox/loop2");
  make_link("chain2", "sandbox/chain1");
  make_link("../outside/secret.txt", "sandbox/chain2");
  make_link("..", "sandbox/sub/up");
  make_link("../..", "sandbox/sub/upup");
  make_link("nothere", "sandbox/dangling");
  return true;
}

static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char p[1024];
      snprintf(p, sizeof p, "%s/%s", path, e->d_name);
      struct stat st;
      if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
      else unlink(p);
    }
    closedir(d);
  }
  rmdir(path);
}

static kite_alloc alloc;

static kite_wasi *new_ctx(bool portable, int out_fd) {
  static const char *argv[] = {"prog", "a b", ""};
  static const char *envp[] = {"HOME=/home/kite", "EMPTY="};
  kite_wasi_preopen pre = {sandbox, "/sandbox"};
  kite_wasi_config cfg;
  kite_wasi_config_init(&cfg);
  cfg.argv = argv;
  cfg.argc = 3;
  cfg.envp = envp;
  cfg.envc = 2;
  cfg.preopens = &pre;
  cfg.npreopens = 1;
  cfg.portable_paths = portable;
  if (out_fd >= 0) cfg.stdio[1] = out_fd;
  kite_error err;
  kite_error_clear(&err);
  kite_wasi *w = kite_wasi_new(&alloc, &cfg, &err);
  CHECK_MSG(w != NULL, "kite_wasi_new: %s", err.msg);
  return w;
}

/* path_open relative to fd 3; returns the errno, the fd in *fd. */
static uint32_t open_path(kite_wasi *w, const char *path, uint32_t lookup, uint32_t oflags,
                          uint64_t rights, uint32_t *fd) {
  uint32_t len = put_str(PATH, path);
  uint32_t rc = CALL(w, "path_open", 3, lookup, PATH, len, oflags, rights, WASI_RIGHTS_ALL, 0, OUT);
  if (rc == 0 && fd) *fd = ld32(OUT);
  else if (rc == 0) CALL(w, "fd_close", ld32(OUT));
  return rc;
}

static void test_args_env(void) {
  kite_wasi *w = new_ctx(false, -1);
  CHECK(CALL(w, "args_sizes_get", OUT, OUT2) == 0);
  CHECK(ld32(OUT) == 3);
  CHECK(ld32(OUT2) == strlen("prog") + 1 + strlen("a b") + 1 + 1);
  CHECK(CALL(w, "args_get", OUT, BUF) == 0);
  CHECK(ld32(OUT) == BUF);
  CHECK(strcmp((char *)mem + ld32(OUT + 4), "a b") == 0);
  CHECK(strcmp((char *)mem + ld32(OUT + 8), "") == 0);
  CHECK(CALL(w, "environ_sizes_get", OUT, OUT2) == 0);
  CHECK(ld32(OUT) == 2 && ld32(OUT2) == 16 + 7);
  CHECK(CALL(w, "environ_get", OUT, BUF) == 0);
  CHECK(strcmp((char *)mem + ld32(OUT), "HOME=/home/kite") == 0);
  CHECK(strcmp((char *)mem + ld32(OUT + 4), "EMPTY=") == 0);
  /* Pointers and buffers that run off the end of memory. */
  CHECK(CALL(w, "args_get", MEM_SIZE - 8, BUF) == WASI_EFAULT);
  CHECK(CALL(w, "args_get", OUT, MEM_SIZE - 4) == WASI_EFAULT);
  CHECK(CALL(w, "args_sizes_get", 0xfffffffe, OUT2) == WASI_EFAULT);
  CHECK(CALL(w, "environ_get", OUT, 0xffffffff) == WASI_EFAULT);
  CHECK(CALL(w, "environ_sizes_get", OUT, MEM_SIZE - 3) == WASI_EFAULT);
  kite_wasi_free(w);
}

static void test_prestat(void) {
  kite_wasi *w = new_ctx(false, -1);
  CHECK(CALL(w, "fd_prestat_get", 3, OUT) == 0);
  CHECK(mem[OUT] == 0 && ld32(OUT + 4) == strlen("/sandbox"));
  memset(mem + BUF, 0, 32);
  CHECK(CALL(w, "fd_prestat_dir_name", 3, BUF, 8) == 0);
  CHECK(memcmp(mem + BUF, "/sandbox", 8) == 0);
  CHECK(CALL(w, "fd_prestat_dir_name", 3, BUF, 7) == WASI_ENAMETOOLONG);
  CHECK(CALL(w, "fd_prestat_get", 4, OUT) == WASI_EBADF);
  CHECK(CALL(w, "fd_prestat_get", 1, OUT) == WASI_EBADF);
  CHECK(CALL(w, "fd_prestat_get", 3, MEM_SIZE - 4) == WASI_EFAULT);
  CHECK(CALL(w, "fd_prestat_dir_name", 3, MEM_SIZE - 4, 8) == WASI_EFAULT);
  /* fdstat layout: filetype at 0, flags at 2, rights at 8 and 16. */
  memset(mem + BUF, 0xee, WASI_FDSTAT_SIZE);
  CHECK(CALL(w, "fd_fdstat_get", 3, BUF) == 0);
  CHECK(mem[BUF] == WASI_FILETYPE_DIRECTORY && mem[BUF + 1] == 0);
  CHECK(ld64(BUF + 8) == WASI_RIGHTS_DIRECTORY && ld64(BUF + 16) == WASI_RIGHTS_ALL);
  CHECK(CALL(w, "fd_fdstat_get", 3, MEM_SIZE - 23) == WASI_EFAULT);
  CHECK(CALL(w, "fd_fdstat_get", 99, BUF) == WASI_EBADF);
  kite_wasi_free(w);
}

static void test_file_io(void) {
  kite_wasi *w = new_ctx(false, -1);
  uint32_t fd = 0;
  CHECK(open_path(w, "new.txt", 0, WASI_O_CREAT | WASI_O_EXCL, WASI_RIGHTS_ALL, &fd) == 0);
  CHECK(fd == 4);
  CHECK(open_path(w, "new.txt", 0, WASI_O_CREAT | WASI_O_EXCL, WASI_RIGHTS_ALL, NULL) ==
        WASI_EEXIST);
  /* Write "hello, world" from two iovecs, one of them empty. */
  put_str(BUF, "hello, ");
  put_str(BUF + 100, "world");
  uint8_t *iov = mem + IOV;
  wasi_st32(iov, BUF);
  wasi_st32(iov + 4, 7);
  wasi_st32(iov + 8, BUF + 50);
  wasi_st32(iov + 12, 0);
  wasi_st32(iov + 16, BUF + 100);
  wasi_st32(iov + 20, 5);
  CHECK(CALL(w, "fd_write", fd, IOV, 3, OUT) == 0);
  CHECK(ld32(OUT) == 12);
  CHECK(CALL(w, "fd_tell", fd, OUT) == 0 && ld64(OUT) == 12);
  CHECK(CALL(w, "fd_seek", fd, (uint64_t)-5, 1, OUT) == 0 && ld64(OUT) == 7);
  wasi_st32(iov, BIG);
  wasi_st32(iov + 4, 100);
  CHECK(CALL(w, "fd_read", fd, IOV, 1, OUT) == 0);
  CHECK(ld32(OUT) == 5 && memcmp(mem + BIG, "world", 5) == 0);
  CHECK(CALL(w, "fd_read", fd, IOV, 1, OUT) == 0 && ld32(OUT) == 0);
  CHECK(CALL(w, "fd_pread", fd, IOV, 1, 2, OUT) == 0);
  CHECK(ld32(OUT) == 10 && memcmp(mem + BIG, "llo, world", 10) == 0);
  put_str(BUF, "J");
  wasi_st32(iov, BUF);
  wasi_st32(iov + 4, 1);
  CHECK(CALL(w, "fd_pwrite", fd, IOV, 1, 0, OUT) == 0 && ld32(OUT) == 1);
  CHECK(CALL(w, "fd_tell", fd, OUT) == 0 && ld64(OUT) == 12); /* pwrite keeps the offset */
  CHECK(CALL(w, "fd_seek", fd, 0, 3, OUT) == WASI_EINVAL);
  CHECK(CALL(w, "fd_seek", fd, 0, 2, OUT) == 0 && ld64(OUT) == 12);
  /* filestat: 64 bytes, filetype at 16, size at 32. */
  memset(mem + BUF, 0xee, 64);
  CHECK(CALL(w, "fd_filestat_get", fd, BUF) == 0);
  CHECK(mem[BUF + 16] == WASI_FILETYPE_REGULAR_FILE && ld64(BUF + 32) == 12);
  CHECK(ld64(BUF + 24) == 1); /* nlink */
  CHECK(CALL(w, "fd_filestat_set_size", fd, 3) == 0);
  CHECK(CALL(w, "fd_filestat_get", fd, BUF) == 0 && ld64(BUF + 32) == 3);
  CHECK(CALL(w, "fd_filestat_set_times", fd, 5000000000ull, 7000000001ull,
             WASI_FST_ATIM | WASI_FST_MTIM) == 0);
  CHECK(CALL(w, "fd_filestat_get", fd, BUF) == 0);
  CHECK(ld64(BUF + 40) == 5000000000ull && ld64(BUF + 48) == 7000000001ull);
  CHECK(CALL(w, "fd_filestat_set_times", fd, 0, 0, WASI_FST_ATIM | WASI_FST_ATIM_NOW) ==
        WASI_EINVAL);
  CHECK(CALL(w, "fd_advise", fd, 0, 0, 1) == 0);
  CHECK(CALL(w, "fd_advise", fd, 0, 0, 9) == WASI_EINVAL);
  CHECK(CALL(w, "fd_allocate", fd, 0, 100) == 0);
  CHECK(CALL(w, "fd_filestat_get", fd, BUF) == 0 && ld64(BUF + 32) == 100);
  CHECK(CALL(w, "fd_sync", fd) == 0);
  CHECK(CALL(w, "fd_datasync", fd) == 0);
  /* fdstat flags: append. */
  CHECK(CALL(w, "fd_fdstat_set_flags", fd, WASI_FDFLAG_APPEND) == 0);
  CHECK(CALL(w, "fd_fdstat_get", fd, BUF) == 0 && mem[BUF + 2] == WASI_FDFLAG_APPEND);
  CHECK(mem[BUF] == WASI_FILETYPE_REGULAR_FILE);
  CHECK(ld64(BUF + 8) == WASI_RIGHTS_REGULAR_FILE); /* narrowed to what a file can do */
  CHECK(CALL(w, "fd_fdstat_set_flags", fd, 0) == 0);
  /* EFAULT: iovec array, a buffer inside it, the result pointer. */
  CHECK(CALL(w, "fd_write", fd, MEM_SIZE - 4, 1, OUT) == WASI_EFAULT);
  CHECK(CALL(w, "fd_write", fd, IOV, 0x20000000, OUT) == WASI_EFAULT);
  wasi_st32(iov, MEM_SIZE - 10);
  wasi_st32(iov + 4, 11);
  CHECK(CALL(w, "fd_write", fd, IOV, 1, OUT) == WASI_EFAULT);
  CHECK(CALL(w, "fd_read", fd, IOV, 1, OUT) == WASI_EFAULT);
  wasi_st32(iov, 0xfffffff0);
  wasi_st32(iov + 4, 0x20);
  CHECK(CALL(w, "fd_read", fd, IOV, 1, OUT) == WASI_EFAULT);
  wasi_st32(iov, BUF);
  wasi_st32(iov + 4, 1);
  CHECK(CALL(w, "fd_write", fd, IOV, 1, MEM_SIZE - 2) == WASI_EFAULT);
  CHECK(CALL(w, "fd_filestat_get", fd, MEM_SIZE - 63) == WASI_EFAULT);
  CHECK(CALL(w, "fd_tell", fd, MEM_SIZE - 7) == WASI_EFAULT);
  /* Rights: drop fd_write, then writing is not allowed, and rights never come back. */
  CHECK(CALL(w, "fd_fdstat_set_rights", fd, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK, 0) == 0);
  CHECK(CALL(w, "fd_write", fd, IOV, 1, OUT) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_tell", fd, OUT) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_seek", fd, 0, 1, OUT) == 0); /* seek (cur, 0) also works with fd_seek */
  CHECK(CALL(w, "fd_filestat_get", fd, BUF) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_fdstat_set_rights", fd, WASI_RIGHTS_REGULAR_FILE, 0) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_read", fd, IOV, 1, OUT) == 0);
  /* Renumber onto stdin's slot, then close. */
  CHECK(CALL(w, "fd_renumber", fd, 0) == 0);
  CHECK(CALL(w, "fd_read", fd, IOV, 1, OUT) == WASI_EBADF);
  CHECK(CALL(w, "fd_seek", 0, 0, 0, OUT) == 0);
  CHECK(CALL(w, "fd_renumber", 0, 77) == WASI_EBADF);
  CHECK(CALL(w, "fd_close", 0) == 0);
  CHECK(CALL(w, "fd_close", 0) == WASI_EBADF);
  /* A directory cannot be read as a file, nor a file used as a directory. */
  CHECK(CALL(w, "fd_read", 3, IOV, 1, OUT) == WASI_EBADF);
  CHECK(CALL(w, "fd_seek", 3, 0, 1, OUT) == WASI_EBADF);
  CHECK(CALL(w, "fd_tell", 3, OUT) == WASI_EBADF);
  CHECK(CALL(w, "fd_write", 3, IOV, 1, OUT) == WASI_EBADF);
  CHECK(CALL(w, "path_open", 4, 0, PATH, put_str(PATH, "x"), 0, 0, 0, 0, OUT) == WASI_EBADF);
  CHECK(open_path(w, "file.txt", 0, 0, WASI_RIGHT_FD_READ, &fd) == 0);
  CHECK(CALL(w, "path_open", fd, 0, PATH, put_str(PATH, "x"), 0, 0, 0, 0, OUT) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_close", fd) == 0);
  CHECK(CALL(w, "path_unlink_file", 3, PATH, put_str(PATH, "new.txt")) == 0);
  kite_wasi_free(w);
}

/* Every way out of the sandbox, for one resolver. */
static void test_escapes(bool portable) {
  kite_wasi *w = new_ctx(portable, -1);
  uint64_t R = WASI_RIGHT_FD_READ;
  const uint32_t F = WASI_LOOKUP_SYMLINK_FOLLOW;
  CHECK(open_path(w, "/etc/passwd", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "/", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "..", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "../outside/secret.txt", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "sub/../../outside/secret.txt", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "sub/../..", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "link_out/secret.txt", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "link_out", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "link_abs", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "link_abs/passwd", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "chain1", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "sub/upup/outside/secret.txt", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "sub/up/../outside/secret.txt", F, 0, R, NULL) == WASI_EPERM);
  CHECK(open_path(w, "loop1", F, 0, R, NULL) == WASI_ELOOP);
  CHECK(open_path(w, "loop1/x", F, 0, R, NULL) == WASI_ELOOP);
  CHECK(open_path(w, "file.txt\0", F, 0, R, NULL) == 0); /* put_str stops at the NUL */
  CHECK(CALL(w, "path_open", 3, F, PATH, 8, 0, R, 0, 0, OUT) == 0);
  CHECK(CALL(w, "fd_close", ld32(OUT)) == 0);
  memcpy(mem + PATH, "file.txt\0", 9);
  CHECK(CALL(w, "path_open", 3, F, PATH, 9, 0, R, 0, 0, OUT) == WASI_EINVAL);
  CHECK(CALL(w, "path_open", 3, F, MEM_SIZE - 4, 8, 0, R, 0, 0, OUT) == WASI_EFAULT);
  CHECK(CALL(w, "path_open", 3, F, PATH, 0, 0, R, 0, 0, OUT) == WASI_ENOENT);
  /* Without symlink_follow a symlink in the last component is not opened. */
  CHECK(open_path(w, "link_up", 0, 0, R, NULL) == WASI_ELOOP);
  CHECK(open_path(w, "dangling", 0, 0, R, NULL) == WASI_ELOOP);
  CHECK(open_path(w, "dangling", F, 0, R, NULL) == WASI_ENOENT);
  /* Symlinks and `..` that stay inside are fine. */
  uint32_t fd;
  CHECK(open_path(w, "link_up", F, 0, R, &fd) == 0);
  uint8_t *iov = mem + IOV;
  wasi_st32(iov, BUF);
  wasi_st32(iov + 4, 64);
  CHECK(CALL(w, "fd_read", fd, IOV, 1, OUT) == 0 && ld32(OUT) == 5);
  CHECK(memcmp(mem + BUF, "hello", 5) == 0);
  CHECK(CALL(w, "fd_close", fd) == 0);
  CHECK(open_path(w, "link_in/inner.txt", F, 0, R, NULL) == 0);
  CHECK(open_path(w, "link_in/inner.txt", 0, 0, R, NULL) == 0);
  CHECK(open_path(w, "sub/up/file.txt", 0, 0, R, NULL) == 0);
  CHECK(open_path(w, "sub/../sub/./inner.txt", 0, 0, R, NULL) == 0);
  CHECK(open_path(w, "sub//inner.txt", 0, 0, R, NULL) == 0);
  CHECK(open_path(w, "sub/", 0, WASI_O_DIRECTORY, R, NULL) == 0);
  CHECK(open_path(w, ".", 0, WASI_O_DIRECTORY, R, NULL) == 0);
  CHECK(open_path(w, "sub/..", 0, WASI_O_DIRECTORY, R, NULL) == 0);
  CHECK(open_path(w, "file.txt/", 0, 0, R, NULL) == WASI_ENOTDIR);
  CHECK(open_path(w, "file.txt/x", 0, 0, R, NULL) == WASI_ENOTDIR);
  CHECK(open_path(w, "file.txt", 0, WASI_O_DIRECTORY, R, NULL) == WASI_ENOTDIR);
  CHECK(open_path(w, "nothere/x", 0, 0, R, NULL) == WASI_ENOENT);
  /* Operations that would change something outside change nothing. */
  uint64_t RW = WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE;
  CHECK(open_path(w, "../outside/new.txt", 0, WASI_O_CREAT, RW, NULL) == WASI_EPERM);
  CHECK(open_path(w, "link_out/new.txt", 0, WASI_O_CREAT, RW, NULL) == WASI_EPERM);
  CHECK(open_path(w, "link_out/secret.txt", F, WASI_O_TRUNC, RW, NULL) == WASI_EPERM);
  CHECK(!host_exists("outside/new.txt"));
  uint32_t n = put_str(PATH, "link_out/newdir");
  CHECK(CALL(w, "path_create_directory", 3, PATH, n) == WASI_EPERM);
  CHECK(!host_exists("outside/newdir"));
  n = put_str(PATH, "../newdir");
  CHECK(CALL(w, "path_create_directory", 3, PATH, n) == WASI_EPERM);
  CHECK(!host_exists("newdir"));
  n = put_str(PATH, "link_out/secret.txt");
  CHECK(CALL(w, "path_unlink_file", 3, PATH, n) == WASI_EPERM);
  CHECK(host_exists("outside/secret.txt"));
  uint32_t n1 = put_str(PATH, "file.txt"), n2 = put_str(PATH2, "../outside/moved");
  CHECK(CALL(w, "path_rename", 3, PATH, n1, 3, PATH2, n2) == WASI_EPERM);
  CHECK(CALL(w, "path_link", 3, 0, PATH, n1, 3, PATH2, n2) == WASI_EPERM);
  n1 = put_str(PATH, "sub/upup/outside/secret.txt"), n2 = put_str(PATH2, "stolen");
  CHECK(CALL(w, "path_rename", 3, PATH, n1, 3, PATH2, n2) == WASI_EPERM);
  CHECK(CALL(w, "path_link", 3, F, PATH, n1, 3, PATH2, n2) == WASI_EPERM);
  n1 = put_str(PATH, "chain1");
  CHECK(CALL(w, "path_link", 3, F, PATH, n1, 3, PATH2, n2) == WASI_EPERM);
  CHECK(!host_exists("outside/moved") && !host_exists("sandbox/stolen"));
  CHECK(host_exists("outside/secret.txt") && host_exists("sandbox/file.txt"));
  /* No new absolute symlinks; symlinks pointing up can be made but not followed. */
  n1 = put_str(PATH, "/etc/passwd"), n2 = put_str(PATH2, "abs");
  CHECK(CALL(w, "path_symlink", PATH, n1, 3, PATH2, n2) == WASI_EPERM);
  CHECK(!host_exists("sandbox/abs"));
  n1 = put_str(PATH, "../outside/secret.txt"), n2 = put_str(PATH2, "up_link");
  CHECK(CALL(w, "path_symlink", PATH, n1, 3, PATH2, n2) == 0);
  CHECK(open_path(w, "up_link", F, 0, R, NULL) == WASI_EPERM);
  CHECK(CALL(w, "path_filestat_get", 3, F, PATH2, n2, BUF) == WASI_EPERM);
  CHECK(CALL(w, "path_filestat_get", 3, 0, PATH2, n2, BUF) == 0);
  CHECK(mem[BUF + 16] == WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK(CALL(w, "path_readlink", 3, PATH2, n2, BIG, 100, OUT) == 0);
  CHECK(ld32(OUT) == n1 && memcmp(mem + BIG, "../outside/secret.txt", n1) == 0);
  CHECK(CALL(w, "path_readlink", 3, PATH2, n2, BIG, 5, OUT) == 0 && ld32(OUT) == 5);
  CHECK(CALL(w, "path_readlink", 3, PATH2, n2, MEM_SIZE - 4, 100, OUT) == WASI_EFAULT);
  n1 = put_str(PATH, "link_out/secret.txt");
  CHECK(CALL(w, "path_filestat_set_times", 3, F, PATH, n1, 0, 0, WASI_FST_MTIM_NOW) == WASI_EPERM);
  CHECK(CALL(w, "path_unlink_file", 3, PATH2, n2) == 0);
  /* Unlinking a symlink removes the link, not its target. */
  n1 = put_str(PATH, "sub/upup");
  CHECK(CALL(w, "path_readlink", 3, PATH, n1, BIG, 100, OUT) == 0 && ld32(OUT) == 5);
  n1 = put_str(PATH, "link_out/");
  CHECK(CALL(w, "path_remove_directory", 3, PATH, n1) == WASI_EPERM);
  CHECK(host_exists("outside"));
  kite_wasi_free(w);
}

static void test_paths(bool portable) {
  kite_wasi *w = new_ctx(portable, -1);
  const uint32_t F = WASI_LOOKUP_SYMLINK_FOLLOW;
  uint32_t n = put_str(PATH, "newdir");
  CHECK(CALL(w, "path_create_directory", 3, PATH, n) == 0);
  CHECK(CALL(w, "path_create_directory", 3, PATH, n) == WASI_EEXIST);
  CHECK(CALL(w, "path_filestat_get", 3, 0, PATH, n, BUF) == 0);
  CHECK(mem[BUF + 16] == WASI_FILETYPE_DIRECTORY);
  CHECK(CALL(w, "path_filestat_get", 3, 0, PATH, n, MEM_SIZE - 10) == WASI_EFAULT);
  uint32_t fd;
  CHECK(open_path(w, "newdir/f", 0, WASI_O_CREAT, WASI_RIGHT_FD_WRITE, &fd) == 0);
  CHECK(CALL(w, "fd_close", fd) == 0);
  uint32_t n1 = put_str(PATH, "newdir/f"), n2 = put_str(PATH2, "newdir/g");
  CHECK(CALL(w, "path_link", 3, 0, PATH, n1, 3, PATH2, n2) == 0);
  CHECK(CALL(w, "path_filestat_get", 3, 0, PATH2, n2, BUF) == 0 && ld64(BUF + 24) == 2);
  CHECK(CALL(w, "path_link", 3, 0, PATH, n1, 3, PATH2, n2) == WASI_EEXIST);
  n2 = put_str(PATH2, "newdir/h");
  CHECK(CALL(w, "path_rename", 3, PATH, n1, 3, PATH2, n2) == 0);
  CHECK(CALL(w, "path_filestat_get", 3, 0, PATH, n1, BUF) == WASI_ENOENT);
  CHECK(CALL(w, "path_filestat_set_times", 3, 0, PATH2, n2, 1000000000ull, 2000000000ull,
             WASI_FST_ATIM | WASI_FST_MTIM) == 0);
  CHECK(CALL(w, "path_filestat_get", 3, 0, PATH2, n2, BUF) == 0);
  CHECK(ld64(BUF + 40) == 1000000000ull && ld64(BUF + 48) == 2000000000ull);
  n = put_str(PATH, "newdir/h/");
  CHECK(CALL(w, "path_unlink_file", 3, PATH, n) == WASI_ENOTDIR);
  n = put_str(PATH, "newdir");
  CHECK(CALL(w, "path_unlink_file", 3, PATH, n) == WASI_EISDIR);
  CHECK(CALL(w, "path_remove_directory", 3, PATH, n) == WASI_ENOTEMPTY);
  n = put_str(PATH, "newdir/h");
  CHECK(CALL(w, "path_remove_directory", 3, PATH, n) == WASI_ENOTDIR);
  CHECK(CALL(w, "path_unlink_file", 3, PATH, n) == 0);
  n = put_str(PATH, "newdir/g");
  CHECK(CALL(w, "path_unlink_file", 3, PATH, n) == 0);
  n1 = put_str(PATH, "newdir"), n2 = put_str(PATH2, "renamed/");
  CHECK(CALL(w, "path_rename", 3, PATH, n1, 3, PATH2, n2) == 0);
  n = put_str(PATH, "renamed/");
  CHECK(CALL(w, "path_remove_directory", 3, PATH, n) == 0);
  CHECK(!host_exists("sandbox/renamed"));
  /* A symlink in the middle of a path is followed whatever the lookup flags say. */
  n1 = put_str(PATH, "sub"), n2 = put_str(PATH2, "sublink");
  CHECK(CALL(w, "path_symlink", PATH, n1, 3, PATH2, n2) == 0);
  CHECK(CALL(w, "path_symlink", PATH, n1, 3, PATH2, n2) == WASI_EEXIST);
  CHECK(open_path(w, "sublink/inner.txt", 0, 0, WASI_RIGHT_FD_READ, NULL) == 0);
  CHECK(CALL(w, "path_filestat_get", 3, F, PATH2, n2, BUF) == 0);
  CHECK(mem[BUF + 16] == WASI_FILETYPE_DIRECTORY);
  CHECK(CALL(w, "path_unlink_file", 3, PATH2, n2) == 0);
  CHECK(host_exists("sandbox/sub/inner.txt"));
  /* Rights on the directory: without path_create_file, no O_CREAT. */
  CHECK(open_path(w, "sub", 0, WASI_O_DIRECTORY,
                  WASI_RIGHTS_DIRECTORY & ~WASI_RIGHT_PATH_CREATE_FILE, &fd) == 0);
  CHECK(CALL(w, "fd_fdstat_get", fd, BUF) == 0);
  CHECK(ld64(BUF + 8) == (WASI_RIGHTS_DIRECTORY & ~WASI_RIGHT_PATH_CREATE_FILE));
  n = put_str(PATH, "x");
  CHECK(CALL(w, "path_open", fd, 0, PATH, n, WASI_O_CREAT, 0, 0, 0, OUT) == WASI_ENOTCAPABLE);
  CHECK(!host_exists("sandbox/sub/x"));
  CHECK(CALL(w, "path_open", fd, 0, PATH, n, 0, 0, 0, 0, OUT) == WASI_ENOENT);
  /* Inheriting rights bound what a child descriptor may ask for. */
  CHECK(CALL(w, "fd_fdstat_set_rights", fd, WASI_RIGHTS_DIRECTORY & ~WASI_RIGHT_PATH_CREATE_FILE,
             WASI_RIGHT_FD_READ) == 0);
  n = put_str(PATH, "inner.txt");
  CHECK(CALL(w, "path_open", fd, 0, PATH, n, 0, WASI_RIGHT_FD_WRITE, 0, 0, OUT) ==
        WASI_ENOTCAPABLE);
  CHECK(CALL(w, "path_open", fd, 0, PATH, n, 0, WASI_RIGHT_FD_READ, 0, 0, OUT) == 0);
  uint32_t child = ld32(OUT);
  uint8_t *iov = mem + IOV;
  wasi_st32(iov, BUF);
  wasi_st32(iov + 4, 1);
  CHECK(CALL(w, "fd_write", child, IOV, 1, OUT) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_close", child) == 0);
  CHECK(CALL(w, "fd_fdstat_set_rights", fd, 0, 0) == 0);
  CHECK(CALL(w, "path_open", fd, 0, PATH, n, 0, 0, 0, 0, OUT) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "path_filestat_get", fd, 0, PATH, n, BUF) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_readdir", fd, BUF, 100, 0, OUT) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_close", fd) == 0);
  /* Symlink loops through path_filestat_get, readlink of a non-link. */
  n = put_str(PATH, "loop1");
  CHECK(CALL(w, "path_filestat_get", 3, F, PATH, n, BUF) == WASI_ELOOP);
  CHECK(CALL(w, "path_filestat_get", 3, 0, PATH, n, BUF) == 0);
  n = put_str(PATH, "file.txt");
  CHECK(CALL(w, "path_readlink", 3, PATH, n, BIG, 100, OUT) == WASI_EINVAL);
  kite_wasi_free(w);
}

/* Parse the dirents in [BUF, BUF + used) into a sorted-free list of names. */
static int parse_dirents(uint32_t used, char names[][32], int max, uint64_t *last_cookie,
                         bool *partial) {
  uint32_t pos = 0;
  int n = 0;
  *partial = false;
  while (pos < used) {
    if (used - pos < WASI_DIRENT_SIZE) {
      *partial = true;
      break;
    }
    uint64_t next = ld64(BUF + pos);
    uint32_t namlen = ld32(BUF + pos + 16);
    if (used - pos - WASI_DIRENT_SIZE < namlen) {
      *partial = true;
      break;
    }
    if (n < max && namlen < 32) {
      memcpy(names[n], mem + BUF + pos + WASI_DIRENT_SIZE, namlen);
      names[n][namlen] = 0;
      n++;
    }
    *last_cookie = next;
    pos += WASI_DIRENT_SIZE + namlen;
  }
  return n;
}

static bool has_name(char names[][32], int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], s) == 0) return true;
  return false;
}

static void test_readdir(void) {
  kite_wasi *w = new_ctx(false, -1);
  uint32_t fd;
  CHECK(open_path(w, "d", 0, WASI_O_DIRECTORY, WASI_RIGHTS_DIRECTORY, &fd) == 0);
  char names[16][32];
  uint64_t cookie = 0;
  bool partial;
  CHECK(CALL(w, "fd_readdir", fd, BUF, 4096, 0, OUT) == 0);
  uint32_t used = ld32(OUT);
  CHECK(used == 5 * WASI_DIRENT_SIZE + 1 + 2 + 1 + 1 + 1);
  int n = parse_dirents(used, names, 16, &cookie, &partial);
  CHECK(n == 5 && !partial && cookie == 5);
  CHECK(has_name(names, n, ".") && has_name(names, n, "..") && has_name(names, n, "a") &&
        has_name(names, n, "b") && has_name(names, n, "c"));
  /* The d_type of "a" is regular_file; d_ino matches path_filestat_get. */
  for (uint32_t pos = 0; pos < used;) {
    uint32_t namlen = ld32(BUF + pos + 16);
    if (namlen == 1 && mem[BUF + pos + WASI_DIRENT_SIZE] == 'a') {
      CHECK(mem[BUF + pos + 20] == WASI_FILETYPE_REGULAR_FILE);
      uint64_t ino = ld64(BUF + pos + 8);
      uint32_t pl = put_str(PATH, "d/a");
      CHECK(CALL(w, "path_filestat_get", 3, 0, PATH, pl, BIG) == 0 && ld64(BIG + 8) == ino);
    }
    pos += WASI_DIRENT_SIZE + namlen;
  }
  /* The end: a cookie past the last entry gives nothing. */
  CHECK(CALL(w, "fd_readdir", fd, BUF, 4096, 5, OUT) == 0 && ld32(OUT) == 0);
  /* Small buffers: read on from the last whole entry until the directory ends. */
  char all[16][32];
  int total = 0;
  cookie = 0;
  for (int rounds = 0; rounds < 20; rounds++) {
    CHECK(CALL(w, "fd_readdir", fd, BUF, 30, cookie, OUT) == 0);
    used = ld32(OUT);
    int got = parse_dirents(used, names, 16, &cookie, &partial);
    for (int i = 0; i < got && total < 16; i++) memcpy(all[total++], names[i], 32);
    if (used < 30) break;
  }
  CHECK(total == 5);
  CHECK(has_name(all, total, "a") && has_name(all, total, "b") && has_name(all, total, "c"));
  /* Going back to a cookie returns the same entries again. */
  CHECK(CALL(w, "fd_readdir", fd, BUF, 4096, 3, OUT) == 0);
  n = parse_dirents(ld32(OUT), names, 16, &cookie, &partial);
  CHECK(n == 2 && cookie == 5);
  CHECK(CALL(w, "fd_readdir", fd, MEM_SIZE - 10, 100, 0, OUT) == WASI_EFAULT);
  uint32_t file;
  CHECK(open_path(w, "file.txt", 0, 0, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR, &file) == 0);
  CHECK(CALL(w, "fd_readdir", file, BUF, 100, 0, OUT) == WASI_ENOTCAPABLE);
  CHECK(CALL(w, "fd_close", fd) == 0);
  kite_wasi_free(w);
}

static void test_stdio_clock_random(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  kite_wasi *w = new_ctx(false, p[1]);
  put_str(BUF, "out!");
  uint8_t *iov = mem + IOV;
  wasi_st32(iov, BUF);
  wasi_st32(iov + 4, 4);
  CHECK(CALL(w, "fd_write", 1, IOV, 1, OUT) == 0 && ld32(OUT) == 4);
  char got[8] = {0};
  CHECK(read(p[0], got, sizeof got) == 4 && memcmp(got, "out!", 4) == 0);
  CHECK(CALL(w, "fd_fdstat_get", 1, BUF) == 0);
  CHECK(mem[BUF] == WASI_FILETYPE_UNKNOWN && (ld64(BUF + 8) & WASI_RIGHT_FD_WRITE));
  CHECK(!(ld64(BUF + 8) & WASI_RIGHT_FD_SEEK));
  CHECK(CALL(w, "fd_seek", 1, 0, 0, OUT) == WASI_ENOTCAPABLE);
  /* Closing the guest's stdout leaves the host's pipe open. */
  CHECK(CALL(w, "fd_close", 1) == 0);
  CHECK(write(p[1], "x", 1) == 1);
  /* Clocks. */
  CHECK(CALL(w, "clock_time_get", 1, 0, OUT) == 0);
  uint64_t t0 = ld64(OUT);
  CHECK(CALL(w, "clock_time_get", 1, 0, OUT) == 0 && ld64(OUT) >= t0);
  CHECK(CALL(w, "clock_time_get", 0, 0, OUT) == 0 && ld64(OUT) > 1600000000ull * 1000000000ull);
  CHECK(CALL(w, "clock_time_get", 2, 0, OUT) == 0);
  CHECK(CALL(w, "clock_time_get", 3, 0, OUT) == 0);
  CHECK(CALL(w, "clock_time_get", 4, 0, OUT) == WASI_EINVAL);
  CHECK(CALL(w, "clock_time_get", 1, 0, MEM_SIZE - 4) == WASI_EFAULT);
  for (uint32_t id = 0; id < 4; id++)
    CHECK(CALL(w, "clock_res_get", id, OUT) == 0 && ld64(OUT) > 0);
  CHECK(CALL(w, "clock_res_get", 9, OUT) == WASI_EINVAL);
  /* Random bytes: 256 of them are not all zero. */
  memset(mem + BUF, 0, 1000);
  CHECK(CALL(w, "random_get", BUF, 1000) == 0);
  int nonzero = 0;
  for (int i = 0; i < 1000; i++) nonzero += mem[BUF + i] != 0;
  CHECK(nonzero > 900);
  CHECK(CALL(w, "random_get", MEM_SIZE - 10, 11) == WASI_EFAULT);
  CHECK(CALL(w, "random_get", MEM_SIZE, 0) == 0);
  CHECK(CALL(w, "sched_yield") == 0);
  /* proc_exit and proc_raise unwind with KITE_ERR_EXIT. */
  CALL(w, "proc_exit", 7);
  CHECK(last_err.kind == KITE_ERR_EXIT && last_err.code == 7);
  CHECK(CALL(w, "proc_raise", 0) == 0 && last_err.kind == KITE_OK);
  CALL(w, "proc_raise", 6); /* abrt */
  CHECK(last_err.kind == KITE_ERR_EXIT && last_err.code == 128 + 6);
  CHECK(CALL(w, "proc_raise", 200) == WASI_EINVAL);
  kite_wasi_free(w);
  close(p[0]);
  close(p[1]);
}

static void put_clock_sub(uint32_t at, uint64_t userdata, uint32_t clock, uint64_t timeout,
                          uint16_t flags) {
  memset(mem + at, 0, WASI_SUBSCRIPTION_SIZE);
  wasi_st64(mem + at, userdata);
  mem[at + 8] = 0;
  wasi_st32(mem + at + 16, clock);
  wasi_st64(mem + at + 24, timeout);
  wasi_st16(mem + at + 40, flags);
}
static void put_fd_sub(uint32_t at, uint64_t userdata, uint8_t type, uint32_t fd) {
  memset(mem + at, 0, WASI_SUBSCRIPTION_SIZE);
  wasi_st64(mem + at, userdata);
  mem[at + 8] = type;
  wasi_st32(mem + at + 16, fd);
}

static void test_poll(void) {
  kite_wasi *w = new_ctx(false, -1);
  /* A relative 20ms clock: one clock event, after at least 20ms. */
  put_clock_sub(BUF, 42, 1, 20000000, 0);
  CHECK(CALL(w, "clock_time_get", 1, 0, OUT2) == 0);
  uint64_t t0 = ld64(OUT2);
  CHECK(CALL(w, "poll_oneoff", BUF, BIG, 1, OUT) == 0);
  CHECK(ld32(OUT) == 1 && ld64(BIG) == 42 && mem[BIG + 10] == 0 && ld32(BIG + 8) == 0);
  CHECK(CALL(w, "clock_time_get", 1, 0, OUT2) == 0 && ld64(OUT2) - t0 >= 20000000);
  /* An absolute realtime deadline in the past fires at once. */
  put_clock_sub(BUF, 1, 0, 1000, 1);
  CHECK(CALL(w, "poll_oneoff", BUF, BIG, 1, OUT) == 0 && ld32(OUT) == 1);
  /* A readable file and a long clock: only the file is reported, with its bytes left. */
  uint32_t fd;
  CHECK(open_path(w, "file.txt", 0, 0, WASI_RIGHT_FD_READ | WASI_RIGHT_POLL_FD_READWRITE, &fd) ==
        0);
  put_fd_sub(BUF, 7, 1, fd);
  put_clock_sub(BUF + 48, 8, 1, 10000000000ull, 0);
  put_fd_sub(BUF + 96, 9, 2, 1234); /* a bad fd: an event with its error */
  CHECK(CALL(w, "poll_oneoff", BUF, BIG, 3, OUT) == 0);
  CHECK(ld32(OUT) == 2);
  CHECK(ld64(BIG) == 7 && mem[BIG + 10] == 1 && (ld32(BIG + 8) & 0xffff) == 0);
  CHECK(ld64(BIG + 16) == 5);
  CHECK(ld64(BIG + 32) == 9 && (ld32(BIG + 40) & 0xffff) == WASI_EBADF);
  CHECK(CALL(w, "poll_oneoff", BUF, BIG, 0, OUT) == WASI_EINVAL);
  CHECK(CALL(w, "poll_oneoff", MEM_SIZE - 40, BIG, 1, OUT) == WASI_EFAULT);
  CHECK(CALL(w, "poll_oneoff", BUF, MEM_SIZE - 40, 2, OUT) == WASI_EFAULT);
  mem[BUF + 8] = 7;
  CHECK(CALL(w, "poll_oneoff", BUF, BIG, 1, OUT) == WASI_EINVAL);
  kite_wasi_free(w);
}

static void test_sockets(void) {
  kite_wasi_config cfg;
  kite_wasi_config_init(&cfg);
  const char *listen[] = {"127.0.0.1:0"};
  cfg.listen = listen;
  cfg.nlisten = 1;
  kite_error err;
  kite_error_clear(&err);
  kite_wasi *w = kite_wasi_new(&alloc, &cfg, &err);
  CHECK_MSG(w != NULL, "%s", err.msg);
  if (!w) return;
  CHECK(CALL(w, "fd_fdstat_get", 3, BUF) == 0 && mem[BUF] == WASI_FILETYPE_SOCKET_STREAM);
  CHECK(ld64(BUF + 8) & WASI_RIGHT_SOCK_ACCEPT);
  CHECK(CALL(w, "fd_prestat_get", 3, OUT) == WASI_EBADF);
  struct sockaddr_in sa;
  socklen_t slen = sizeof sa;
  CHECK(getsockname(w->fds[3].host, (struct sockaddr *)&sa, &slen) == 0);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(c, (struct sockaddr *)&sa, slen) == 0);
  CHECK(CALL(w, "sock_accept", 3, 0, OUT) == 0);
  uint32_t s = ld32(OUT);
  CHECK(s == 4);
  CHECK(CALL(w, "sock_accept", 3, WASI_FDFLAG_NONBLOCK, MEM_SIZE - 1) == WASI_EFAULT);
  CHECK(CALL(w, "sock_accept", 3, WASI_FDFLAG_APPEND, OUT) == WASI_EINVAL);
  CHECK(CALL(w, "sock_accept", s, 0, OUT) == WASI_ENOTCAPABLE);
  CHECK(write(c, "ping", 4) == 4);
  uint8_t *iov = mem + IOV;
  wasi_st32(iov, BUF);
  wasi_st32(iov + 4, 2);
  wasi_st32(iov + 8, BUF + 2);
  wasi_st32(iov + 12, 10);
  CHECK(CALL(w, "sock_recv", s, IOV, 2, 1 /* peek */, OUT, OUT2) == 0 && ld32(OUT) == 4);
  CHECK(CALL(w, "sock_recv", s, IOV, 2, 0, OUT, OUT2) == 0);
  CHECK(ld32(OUT) == 4 && memcmp(mem + BUF, "ping", 4) == 0 && mem[OUT2] == 0);
  put_str(BUF, "pong");
  wasi_st32(iov + 4, 4);
  CHECK(CALL(w, "sock_send", s, IOV, 1, 0, OUT) == 0 && ld32(OUT) == 4);
  CHECK(CALL(w, "sock_send", s, IOV, 1, 5, OUT) == WASI_EINVAL);
  char got[8] = {0};
  CHECK(read(c, got, 4) == 4 && memcmp(got, "pong", 4) == 0);
  /* fd_write on a socket works too. */
  CHECK(CALL(w, "fd_write", s, IOV, 1, OUT) == 0 && ld32(OUT) == 4);
  CHECK(read(c, got, 4) == 4);
  CHECK(CALL(w, "sock_shutdown", s, 0) == WASI_EINVAL);
  CHECK(CALL(w, "sock_shutdown", s, 2) == 0);
  CHECK(read(c, got, 4) == 0); /* EOF after shutdown(WR) */
  CHECK(CALL(w, "sock_shutdown", 1, 3) == WASI_ENOTCAPABLE);
  close(c);
  CHECK(CALL(w, "sock_send", s, IOV, 1, 0, OUT) != 0 || 1); /* EPIPE or success, never SIGPIPE */
  kite_wasi_free(w);
  /* A malformed address is a usage error at kite_wasi_new. */
  const char *bad[] = {"nonsense", "127.0.0.1:99999", "127.0.0.1:", ":80", "127.0.0.1:8x"};
  for (size_t i = 0; i < KITE_ARRAY_LEN(bad); i++) {
    cfg.listen = &bad[i];
    kite_error_clear(&err);
    CHECK_MSG(kite_wasi_new(&alloc, &cfg, &err) == NULL && err.kind == KITE_ERR_USAGE, "%s",
              bad[i]);
  }
}

static void test_errno_and_table(void) {
  CHECK(wasi_errno(ENOENT) == 44 && wasi_errno(EEXIST) == 20 && wasi_errno(EFAULT) == 21);
  CHECK(wasi_errno(EACCES) == 2 && wasi_errno(ENOTDIR) == 54 && wasi_errno(ELOOP) == 32);
  CHECK(wasi_errno(EPERM) == 63 && wasi_errno(EXDEV) == 75 && wasi_errno(ENOTEMPTY) == 55);
  CHECK(wasi_errno(EAGAIN) == 6 && wasi_errno(EPIPE) == 64 && wasi_errno(0) == 0);
  size_t n;
  const kite_wasi_func *fs = kite_wasi_functions(&n);
  CHECK(n == 46);
  for (size_t i = 0; i < n; i++) {
    CHECK(kite_wasi_lookup(fs[i].name, strlen(fs[i].name)) == &fs[i]);
    CHECK(strlen(fs[i].results) == (strcmp(fs[i].name, "proc_exit") ? 1u : 0u));
  }
  CHECK(kite_wasi_lookup("fd_writ", 7) == NULL);
  /* A preopen that does not exist fails at creation, not later. */
  kite_wasi_preopen pre = {"/nonexistent/kite/dir", "x"};
  kite_wasi_config cfg;
  kite_wasi_config_init(&cfg);
  cfg.preopens = &pre;
  cfg.npreopens = 1;
  kite_error err;
  kite_error_clear(&err);
  CHECK(kite_wasi_new(&alloc, &cfg, &err) == NULL && err.kind == KITE_ERR_IO);
}

/* Every allocation failure is handled: fail the Nth allocation until creation works. */
static void test_oom(void) {
  for (uint64_t n = 1; n < 64; n++) {
    alloc.fail_at = alloc.count + n;
    kite_wasi_preopen pre = {sandbox, "/sandbox"};
    static const char *argv[] = {"prog", "x"};
    kite_wasi_config cfg;
    kite_wasi_config_init(&cfg);
    cfg.argv = argv;
    cfg.argc = 2;
    cfg.envp = argv;
    cfg.envc = 2;
    cfg.preopens = &pre;
    cfg.npreopens = 1;
    kite_error err;
    kite_error_clear(&err);
    kite_wasi *w = kite_wasi_new(&alloc, &cfg, &err);
    if (!w) {
      CHECK(err.kind == KITE_ERR_OOM);
      continue;
    }
    alloc.fail_at = 0;
    kite_wasi_free(w);
    break;
  }
  alloc.fail_at = 0;
  CHECK(alloc.bytes == 0);
}

/* kite_wasi_link on a hand-made module: types are checked, host functions run. */
static kite_name nm(const char *s) {
  kite_name n = {(const uint8_t *)s, (uint32_t)strlen(s)};
  return n;
}

static void test_link(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_valtype i32 = kite_vt(KITE_VT_I32), i64 = kite_vt(KITE_VT_I64);
  kite_valtype p4[4] = {i32, i32, i32, i32}, r1[1] = {i32}, p1[1] = {i32};
  kite_valtype bad[4] = {i32, i64, i32, i32};
  kite_subtype types[3];
  memset(types, 0, sizeof types);
  for (int i = 0; i < 3; i++) types[i].comp = KITE_COMP_FUNC;
  types[0].u.func = (kite_functype){4, 1, p4, r1};   /* fd_write */
  types[1].u.func = (kite_functype){1, 0, p1, NULL}; /* proc_exit */
  types[2].u.func = (kite_functype){4, 1, bad, r1};
  kite_import imps[3];
  memset(imps, 0, sizeof imps);
  imps[0] =
      (kite_import){nm("wasi_snapshot_preview1"), nm("fd_write"), KITE_EXTERN_FUNC, {0}, false};
  imps[1] = (kite_import){nm("env"), nm("other"), KITE_EXTERN_FUNC, {0}, false};
  imps[2] =
      (kite_import){nm("wasi_snapshot_preview1"), nm("proc_exit"), KITE_EXTERN_FUNC, {0}, false};
  imps[0].u.func = 0;
  imps[1].u.func = 0;
  imps[2].u.func = 1;
  kite_module m;
  memset(&m, 0, sizeof m);
  m.ntypes = 3;
  m.types = types;
  m.nimports = 3;
  m.imports = imps;
  int p[2];
  CHECK(pipe(p) == 0);
  kite_wasi *w = new_ctx(false, p[1]);
  kite_extern ext[3];
  memset(ext, 0xab, sizeof ext);
  kite_error err;
  kite_error_clear(&err);
  CHECK(kite_wasi_link(w, s, &m, ext, &err));
  CHECK(ext[0].kind == KITE_EXTERN_FUNC && ext[2].kind == KITE_EXTERN_FUNC);
  CHECK(ext[1].kind == 0xab); /* not ours: left for the caller */
  CHECK(kite_wasi_is_import(&imps[0]) && !kite_wasi_is_import(&imps[1]));
  /* Call fd_write through the runtime's host function interface with a real memory. */
  kite_limits lim = {1, 1, true, false, false, 16};
  kite_meminst *mi = kite_memory_new(s, &lim, &err);
  CHECK(mi != NULL);
  if (mi) {
    w->memory = mi;
    uint8_t *d = kite_memory_data(mi);
    memcpy(d + 100, "linked", 6);
    wasi_st32(d + 16, 100);
    wasi_st32(d + 20, 6);
    kite_value args[4] = {kite_val_i32(1), kite_val_i32(16), kite_val_i32(1), kite_val_i32(8)};
    kite_value res[1] = {kite_val_i32(0xffff)};
    kite_funcinst *f = ext[0].u.func;
    CHECK(f->host(f->env, s, args, 4, res, 1, &err) && res[0].u.i32 == 0);
    CHECK(kite_load_u32le(d + 8) == 6);
    char got[8] = {0};
    CHECK(read(p[0], got, 6) == 6 && memcmp(got, "linked", 6) == 0);
    args[1] = kite_val_i32(65534); /* the iovec runs past the end of memory */
    CHECK(f->host(f->env, s, args, 4, res, 1, &err) && res[0].u.i32 == WASI_EFAULT);
    kite_value code = kite_val_i32(3);
    f = ext[2].u.func;
    CHECK(!f->host(f->env, s, &code, 1, NULL, 0, &err) && err.kind == KITE_ERR_EXIT);
    int status = -1;
    CHECK(kite_wasi_exit_status(&err, &status) && status == 3 && err.kind == KITE_OK);
  }
  /* A WASI import with the wrong type, or a name WASI does not have, does not link. */
  imps[0].u.func = 2;
  CHECK(!kite_wasi_link(w, s, &m, ext, &err) && err.kind == KITE_ERR_LINK);
  kite_error_clear(&err);
  imps[0].u.func = 0;
  imps[0].field = nm("fd_nonesuch");
  CHECK(!kite_wasi_link(w, s, &m, ext, &err) && err.kind == KITE_ERR_LINK);
  CHECK(strstr(err.msg, "fd_nonesuch") != NULL);
  kite_wasi_free(w);
  kite_store_free(s);
  kite_engine_free(e);
  close(p[0]);
  close(p[1]);
}

int main(void) {
  kite_alloc_init(&alloc, NULL, NULL);
  if (!make_tree()) {
    fprintf(stderr, "cannot create a temporary directory\n");
    return 1;
  }
  test_args_env();
  test_prestat();
  test_file_io();
  test_escapes(false);
  test_escapes(true);
  test_paths(false);
  test_paths(true);
  test_readdir();
  test_stdio_clock_random();
  test_poll();
  test_sockets();
  test_errno_and_table();
  test_link();
  test_oom();
  CHECK(alloc.bytes == 0);
  remove_tree(root);
  return test_finish("test_wasi");
}
