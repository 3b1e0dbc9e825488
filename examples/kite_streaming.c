/*
** kite_streaming.c: streaming compilation (kite.h), as WebAssembly.compileStreaming.
**
** The binary arrives in chunks (here: 16 bytes at a time, as from a socket); each is fed
** to the stream as it comes, and finish validates and returns the module. A corrupt
** stream fails as soon as the bytes seen prove it malformed, with the same offset and
** message as compiling the whole binary. Finally, kite_instantiate_bytes compiles and
** instantiates in one call (WebAssembly.instantiate).
**
** Build: cc kite_streaming.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h>

static const char *wat =
    "(module\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 0) \"streamed\")\n"
    "  (func $fac (export \"fac\") (param i64) (result i64)\n"
    "    (if (result i64) (i64.le_u (local.get 0) (i64.const 1))\n"
    "      (then (i64.const 1))\n"
    "      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1))))))))";

/* Feed `len` bytes in chunks of `chunk`; the module, or NULL with *err. */
static kite_module *compile_in_chunks(kite_engine *engine, const uint8_t *bytes, size_t len,
                                      size_t chunk, kite_error *err) {
  kite_compile_stream *cs = kite_compile_stream_new(engine);
  if (!cs) return NULL;
  int chunks = 0;
  for (size_t at = 0; at < len; at += chunk) {
    size_t n = len - at < chunk ? len - at : chunk;
    chunks++;
    if (!kite_compile_stream_feed(cs, bytes + at, n, err)) {
      printf("  chunk %d (bytes %zu..%zu) rejected\n", chunks, at, at + n);
      kite_compile_stream_free(cs);
      return NULL;
    }
  }
  printf("  fed %zu bytes in %d chunks\n", len, chunks);
  return kite_compile_stream_finish(cs, err); /* frees the stream */
}

/* The offset of the first instruction of the first function body: walk the sections
   (id, LEB128 size) to the code section (id 10), then skip its count, the body's size
   and its (empty) locals vector. */
static size_t first_instruction(const uint8_t *bytes, size_t len) {
  size_t at = 8;
  while (at < len) {
    uint8_t id = bytes[at++];
    size_t size = 0;
    for (int shift = 0;; shift += 7) {
      size |= (size_t)(bytes[at] & 0x7f) << shift;
      if (!(bytes[at++] & 0x80)) break;
    }
    if (id == 10) return at + 3;
    at += size;
  }
  return 0;
}

static void run(kite_store *store, kite_instance *inst) {
  kite_val arg = kite_i64(20), result;
  kite_error err;
  if (kite_call(store, kite_instance_export_func(inst, "fac"), &arg, 1, &result, 1, &err))
    printf("  fac(20) = %lld\n", (long long)result.of.i64);
  printf("  memory says \"%.8s\"\n",
         (const char *)kite_memory_data(kite_instance_export_memory(inst, "memory")));
}

int main(void) {
  kite_error err;
  kite_engine *engine = kite_engine_new(NULL);
  size_t len;
  uint8_t *bytes = kite_wat2wasm(engine, wat, strlen(wat), &len, &err);
  if (!bytes) return 1;

  printf("streaming a %zu-byte module:\n", len);
  kite_module *module = compile_in_chunks(engine, bytes, len, 16, &err);
  if (!module) return 1;
  kite_store *store = kite_store_new(engine);
  kite_instance *inst = kite_instance_new(store, module, NULL, &err);
  kite_module_release(module);
  if (!inst) return 1;
  run(store, inst);

  /* Corrupt the first instruction of the code: an unknown opcode. */
  uint8_t corrupt[512];
  memcpy(corrupt, bytes, len);
  size_t at = first_instruction(bytes, len);
  corrupt[at] = 0xff;
  printf("streaming with byte %zu corrupted:\n", at);
  if (!compile_in_chunks(engine, corrupt, len, 16, &err))
    printf("  %s: %s at byte offset %llu\n", kite_errkind_name(err.kind), err.msg,
           (unsigned long long)err.offset);
  if (!kite_compile(engine, corrupt, len, &err))
    printf("  kite_compile agrees: %s at byte offset %llu\n", err.msg,
           (unsigned long long)err.offset);

  /* A stream that ends early is malformed too, found at finish. */
  printf("streaming only the first %zu bytes:\n", len - 10);
  if (!compile_in_chunks(engine, bytes, len - 10, 16, &err))
    printf("  %s: %s at byte offset %llu\n", kite_errkind_name(err.kind), err.msg,
           (unsigned long long)err.offset);

  /* Compile and instantiate in one call. */
  printf("kite_instantiate_bytes:\n");
  kite_module *m = NULL;
  inst = kite_instantiate_bytes(store, bytes, len, NULL, &m, &err);
  if (!inst) return 1;
  printf("  module has %u exports\n", kite_module_export_count(m));
  kite_module_release(m);
  run(store, inst);

  kite_bytes_free(engine, bytes, len);
  kite_store_free(store);
  kite_engine_free(engine);
  return 0;
}
