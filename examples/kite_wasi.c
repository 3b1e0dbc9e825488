/*
** kite_wasi.c: WASI preview1 (kite.h).
**
** A command: the host configures the guest's arguments, environment and a preopened
** directory, then runs `_start`. The guest prints its arguments, writes its environment
** to a file in the preopened directory, and exits with its argument count as status.
** A reactor: `_initialize` runs once, then the host calls its exports.
**
** Listening sockets are configured the same way (kite_wasi_options_listen("HOST:PORT"));
** the guest then accepts connections on the next file descriptor.
**
** Build: cc kite_wasi.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h>

#define WASI(name, sig)                                                                            \
  "  (import \"wasi_snapshot_preview1\" \"" name "\" (func $" name " " sig "))\n"

/* Memory: 0 argc, 4 argv size, 8 envc, 12 environ size, 16 iovec, 24 nwritten,
   28 opened fd, 100 file name, 1024 argv, 2048 argv strings, 4096 environ, 8192 strings. */
static const char *command_wat = "(module\n" WASI("args_sizes_get", "(param i32 i32) (result i32)")
    WASI("args_get", "(param i32 i32) (result i32)") WASI(
        "environ_sizes_get", "(param i32 i32) (result i32)") WASI("environ_get",
                                                                  "(param i32 i32) (result i32)")
        WASI("fd_write", "(param i32 i32 i32 i32) (result i32)") WASI(
            "path_open", "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)")
            WASI("fd_close", "(param i32) (result i32)") WASI(
                "proc_exit",
                "(param i32)") "  (memory (export \"memory\") 1)\n"
                               "  (data (i32.const 100) \"env.txt\")\n"
                               "  ;; The strings in [p, p + n) end in NULs: make them lines.\n"
                               "  (func $lines (param $p i32) (param $n i32)\n"
                               "    (if (i32.eqz (local.get $n)) (then (return)))\n"
                               "    (loop $next\n"
                               "      (if (i32.eqz (i32.load8_u (local.get $p)))\n"
                               "        (then (i32.store8 (local.get $p) (i32.const 10))))\n"
                               "      (local.set $p (i32.add (local.get $p) (i32.const 1)))\n"
                               "      (br_if $next (local.tee $n (i32.sub (local.get $n) "
                               "(i32.const 1))))))\n"
                               "  (func $write (param $fd i32) (param $p i32) (param $n i32) "
                               "(result i32)\n"
                               "    (i32.store (i32.const 16) (local.get $p))\n"
                               "    (i32.store (i32.const 20) (local.get $n))\n"
                               "    (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) "
                               "(i32.const 24)))\n"
                               "  (func (export \"_start\")\n"
                               "    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))\n"
                               "    (drop (call $args_get (i32.const 1024) (i32.const 2048)))\n"
                               "    (call $lines (i32.const 2048) (i32.load (i32.const 4)))\n"
                               "    (drop (call $write (i32.const 1) (i32.const 2048) (i32.load "
                               "(i32.const 4))))\n"
                               "    (drop (call $environ_sizes_get (i32.const 8) (i32.const 12)))\n"
                               "    (drop (call $environ_get (i32.const 4096) (i32.const 8192)))\n"
                               "    (call $lines (i32.const 8192) (i32.load (i32.const 12)))\n"
                               "    ;; Create env.txt in the first preopened directory (fd 3): "
                               "oflags creat|trunc,\n"
                               "    ;; rights fd_write.\n"
                               "    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) "
                               "(i32.const 100) (i32.const 7)\n"
                               "                   (i32.const 9) (i64.const 64) (i64.const 0) "
                               "(i32.const 0) (i32.const 28)))\n"
                               "      (then\n"
                               "        (drop (call $write (i32.load (i32.const 28)) (i32.const "
                               "8192)\n"
                               "                           (i32.load (i32.const 12))))\n"
                               "        (drop (call $fd_close (i32.load (i32.const 28))))))\n"
                               "    (call $proc_exit (i32.load (i32.const 0)))))";

static const char *reactor_wat = "(module\n" WASI(
    "fd_write",
    "(param i32 i32 i32 i32) (result i32)") "  (memory (export \"memory\") 1)\n"
                                            "  (data (i32.const 64) \"reactor: initialised\\n\")\n"
                                            "  (global $base (mut i32) (i32.const 0))\n"
                                            "  (func (export \"_initialize\")\n"
                                            "    (global.set $base (i32.const 1000))\n"
                                            "    (i32.store (i32.const 0) (i32.const 64))\n"
                                            "    (i32.store (i32.const 4) (i32.const 21))\n"
                                            "    (drop (call $fd_write (i32.const 1) (i32.const 0) "
                                            "(i32.const 1) (i32.const 8))))\n"
                                            "  (func (export \"offset\") (param i32) (result i32)\n"
                                            "    (i32.add (global.get $base) (local.get 0))))";

static kite_module *compile_wat(kite_engine *e, const char *wat, kite_error *err) {
  size_t len;
  uint8_t *bytes = kite_wat2wasm(e, wat, strlen(wat), &len, err);
  if (!bytes) return NULL;
  kite_module *m = kite_compile(e, bytes, len, err);
  kite_bytes_free(e, bytes, len);
  return m;
}

static int fail(const char *what, const kite_error *err) {
  printf("%s: %s: %s\n", what, kite_errkind_name(err->kind), err->msg);
  return 1;
}

int main(void) {
  kite_error err;
  kite_engine *engine = kite_engine_new(NULL);
  kite_module *command = compile_wat(engine, command_wat, &err);
  if (!command) return fail("compile command", &err);
  kite_module *reactor = compile_wat(engine, reactor_wat, &err);
  if (!reactor) return fail("compile reactor", &err);

  kite_wasi_options *options = kite_wasi_options_new(engine);
  kite_wasi_options_arg(options, "greet"); /* argv[0] */
  kite_wasi_options_arg(options, "hello");
  kite_wasi_options_arg(options, "from the host");
  kite_wasi_options_env(options, "LANG", "C");
  kite_wasi_options_env(options, "GREETING", "hi");
  kite_wasi_options_preopen(options, ".", "/work"); /* the guest's fd 3 */

  kite_store *store = kite_store_new(engine);
  kite_wasi *wasi = kite_wasi_create(store, options, &err); /* the store owns it */
  kite_wasi_options_free(options);
  if (!wasi) return fail("wasi", &err);

  printf("running the command:\n");
  fflush(stdout); /* the guest writes to file descriptor 1 directly */
  int status = -1;
  if (!kite_wasi_run_command(wasi, store, command, NULL, &status, &err)) return fail("run", &err);
  printf("exit status %d\n", status);

  FILE *f = fopen("env.txt", "r");
  if (!f) return 1;
  char line[128];
  printf("env.txt, written by the guest:\n");
  while (fgets(line, sizeof line, f)) printf("  %s", line);
  fclose(f);
  kite_store_free(store);

  /* A reactor: instantiate (running _initialize), then call exports. */
  options = kite_wasi_options_new(engine);
  store = kite_store_new(engine);
  wasi = kite_wasi_create(store, options, &err);
  kite_wasi_options_free(options);
  if (!wasi) return fail("wasi", &err);
  fflush(stdout);
  kite_instance *inst = kite_wasi_instantiate(wasi, store, reactor, NULL, &err);
  if (!inst) return fail("instantiate reactor", &err);
  kite_val arg = kite_i32(234), result;
  if (!kite_call(store, kite_instance_export_func(inst, "offset"), &arg, 1, &result, 1, &err))
    return fail("offset", &err);
  printf("reactor: offset(234) = %d\n", (int)result.of.i32);

  kite_store_free(store);
  kite_module_release(command);
  kite_module_release(reactor);
  kite_engine_free(engine);
  return 0;
}
