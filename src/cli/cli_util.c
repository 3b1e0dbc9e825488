/*
** cli_util.c: what every subcommand shares: reading files and modules, feature sets,
** and the one format for errors.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "text.h"
#include "valid.h"

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "kite %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nRun `kite help %s` for its usage.\n", cmd);
  return CLI_USAGE;
}

bool cli_parse_features(const char *value, kite_features *out) {
  if (strcmp(value, "2.0") == 0) *out = KITE_FEATURES_2_0;
  else if (strcmp(value, "3.0") == 0) *out = CLI_DEFAULT_FEATURES;
  else if (strcmp(value, "all") == 0) *out = KITE_FEATURES_ALL;
  else return false;
  return true;
}

bool cli_parse_threads(const char *value, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long n = strtoul(value, &end, 10);
  if (!*value || *end || errno || value[0] == '-' || n > UINT32_MAX) return false;
  *out = (uint32_t)n;
  return true;
}

static bool fail_io(const char *path, int errnum, kite_error *err) {
  kite_fail(err, KITE_ERR_IO, errnum, 0, "cannot read %s: %s", path, strerror(errnum));
  err->has_offset = false;
  return false;
}

bool cli_read_file(const char *path, kite_buf *out, kite_error *err) {
  bool is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f) return fail_io(path, errno, err);
  uint8_t chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (!kite_buf_put(out, chunk, n)) {
      if (!is_stdin) fclose(f);
      return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory reading %s", path);
    }
  }
  /* A directory opens but fails on read with EISDIR. */
  int read_errno = ferror(f) ? errno : 0;
  if (!is_stdin) fclose(f);
  if (read_errno) return fail_io(path, read_errno, err);
  return true;
}

bool cli_read_module_bytes(const char *path, kite_features features, kite_buf *out,
                           kite_error *err) {
  if (!cli_read_file(path, out, err)) return false;
  /* Text: a .wat file, or anything but a .wasm file that does not start like a binary
     (whose first byte is 0) */
  size_t n = strlen(path);
  bool wat = n >= 4 && strcmp(path + n - 4, ".wat") == 0;
  bool wasm = n >= 5 && strcmp(path + n - 5, ".wasm") == 0;
  if (!wat && (wasm || out->len == 0 || out->data[0] == 0)) return true;
  kite_buf text = *out;
  kite_buf_init(out, text.alloc);
  bool ok = kite_wat_to_wasm(text.alloc, (const char *)text.data, text.len, features, out, err);
  kite_buf_free(&text);
  return ok;
}

kite_module *cli_load_module(kite_alloc *a, const char *path, kite_features features,
                             kite_error *err) {
  kite_buf bytes;
  kite_buf_init(&bytes, a);
  kite_module *m = NULL;
  if (cli_read_module_bytes(path, features, &bytes, err))
    m = kite_decode(a, bytes.data, bytes.len, features, NULL, err);
  kite_buf_free(&bytes);
  return m;
}

/* Gives a large module's mapped binary back once the module is freed. */
static void unmap_bytes(void *ud, uint8_t *bytes, size_t len) {
  (void)ud;
  munmap(bytes, len);
}

/*
** A regular binary file, decoded where it lies: a large one mapped, others read with one
** read() into the decoder's buffer (no growing buffer, no copy). Mapping a 1 MB module
** costs a tenth of reading it (the kernel copies every byte, 0.18 ms, where the mapping's
** pages come straight from the page cache). Returns NULL with *done false when the file
** is not such a file (text, stdin, a device, or one that changed size while read): the
** caller takes the general way.
*/
static kite_module *compile_binary_file(kite_alloc *a, const char *path, kite_features features,
                                        uint32_t threads, bool *done, kite_error *err) {
  *done = false;
  size_t n = strlen(path);
  if (strcmp(path, "-") == 0 || (n >= 4 && strcmp(path + n - 4, ".wat") == 0)) return NULL;
  bool wasm = n >= 5 && strcmp(path + n - 5, ".wasm") == 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  struct stat st;
  kite_decoder *d = NULL;
  uint8_t *buf = NULL;
  size_t got = 0;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
      (uint64_t)st.st_size <= SIZE_MAX && (d = kite_decoder_new(a, features, NULL))) {
    size_t size = (size_t)st.st_size;
    void *map =
        size >= CLI_HEAP_MIN_MODULE ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    if (map != MAP_FAILED) {
      if (kite_decoder_adopt(d, map, size, unmap_bytes, NULL)) buf = map, got = size;
      else munmap(map, size);
    } else if ((buf = kite_decoder_buffer(d, size))) {
      while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
      }
    }
  }
  close(fd);
  /* Anything but the bytes of a binary (text starts with a nonzero byte) goes the general
     way, which reports errors too. */
  if (!buf || got != (size_t)st.st_size || (!wasm && buf[0] != 0)) {
    kite_decoder_free(d);
    return NULL;
  }
  *done = true;
  return kite_decoder_finish_validate_threads(d, features, threads, err);
}

kite_module *cli_compile_module(kite_alloc *a, const char *path, kite_features features,
                                uint32_t threads, kite_error *err) {
  bool done;
  kite_module *m = compile_binary_file(a, path, features, threads, &done, err);
  if (done) return m;
  kite_buf bytes;
  kite_buf_init(&bytes, a);
  if (cli_read_module_bytes(path, features, &bytes, err))
    m = kite_decode_validate_threads(a, bytes.data, bytes.len, features, NULL, threads, err);
  kite_buf_free(&bytes);
  return m;
}

void cli_print_error(const char *path, const kite_error *err) {
  switch (err->kind) {
  case KITE_ERR_IO:
  case KITE_ERR_OOM:
  case KITE_ERR_USAGE: fprintf(stderr, "kite: %s\n", err->msg); return;
  default: break;
  }
  if (err->has_offset)
    fprintf(stderr, "%s:0x%llx: error: %s\n", path, (unsigned long long)err->offset, err->msg);
  else if (err->line) fprintf(stderr, "%s:%u:%u: error: %s\n", path, err->line, err->col, err->msg);
  else fprintf(stderr, "%s: error: %s\n", path, err->msg);
}

void cli_print_name(FILE *f, kite_name name) {
  for (uint32_t i = 0; i < name.len; i++) {
    uint8_t c = name.ptr[i];
    if (c == '\\' || c == '"') fprintf(f, "\\%c", c);
    else if (c >= 0x20 && c < 0x7F) fputc(c, f);
    else if (c >= 0x80) fputc(c, f); /* UTF-8: names are valid UTF-8 once decoded */
    else fprintf(f, "\\%02x", c);
  }
}
