/*
** kite_memory.c: linear memory (kite.h).
**
** The host reads and writes a module's exported memory through its data pointer, grows
** it from both sides, and sees out-of-bounds accesses trap. It also creates a memory
** itself (new WebAssembly.Memory) and gives it to a second module as an import.
**
** The data pointer and size are valid until the memory grows: re-read them after every
** grow and every call into wasm (which may grow it).
**
** Build: cc kite_memory.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h>

static const char *wat =
    "(module\n"
    "  (memory (export \"memory\") 1 3)\n"
    "  (data (i32.const 0x1000) \"\\01\\02\\03\\04\")\n"
    "  (func (export \"size\") (result i32) (memory.size))\n"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n"
    "  (func (export \"load\") (param i32) (result i32) (i32.load8_s (local.get 0)))\n"
    "  (func (export \"store\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))\n"
    "  (func (export \"sum\") (param $p i32) (param $n i32) (result i32) (local $s i32)\n"
    "    (block $done (loop $next\n"
    "      (br_if $done (i32.eqz (local.get $n)))\n"
    "      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))\n"
    "      (local.set $p (i32.add (local.get $p) (i32.const 1)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (br $next)))\n"
    "    (local.get $s)))";

/* A module that only imports a memory and reads a word of it. */
static const char *reader_wat = "(module (import \"env\" \"mem\" (memory 1))\n"
                                "  (func (export \"word\") (param i32) (result i32)\n"
                                "    (i32.load (local.get 0))))";

static int32_t call(kite_store *store, kite_instance *inst, const char *name, int nargs, int32_t a,
                    int32_t b) {
  kite_val args[2] = {kite_i32(a), kite_i32(b)}, result = kite_i32(0);
  kite_error err;
  kite_funcinst *f = kite_instance_export_func(inst, name);
  size_t nresults = kite_functype_result_count(kite_func_type(f));
  if (!kite_call(store, f, args, (size_t)nargs, &result, nresults, &err)) {
    printf("  %s(%d): %s: %s\n", name, (int)a, kite_errkind_name(err.kind), err.msg);
    return -1;
  }
  return result.of.i32;
}

int main(void) {
  kite_error err;
  kite_engine *engine = kite_engine_new(NULL);
  kite_store *store = kite_store_new(engine);
  size_t len;
  uint8_t *bytes = kite_wat2wasm(engine, wat, strlen(wat), &len, &err);
  kite_instance *inst = kite_instantiate_bytes(store, bytes, len, NULL, NULL, &err);
  kite_bytes_free(engine, bytes, len);
  if (!inst) return 1;

  kite_meminst *memory = kite_instance_export_memory(inst, "memory");
  kite_memory_desc d;
  kite_memory_describe(memory, &d);
  printf("memory: %llu page(s), at most %llu, %llu bytes, shared: %s\n",
         (unsigned long long)kite_memory_size(memory), (unsigned long long)d.maximum,
         (unsigned long long)kite_memory_size_bytes(memory),
         kite_memory_is_shared(memory) ? "yes" : "no");

  /* Host and wasm share the bytes. */
  uint8_t *data = kite_memory_data(memory);
  printf("data segment: %d %d %d %d\n", data[0x1000], data[0x1001], data[0x1002], data[0x1003]);
  memcpy(data + 0x2000, "\x0a\x14\x1e", 3);
  printf("sum(0x2000, 3) = %d\n", call(store, inst, "sum", 2, 0x2000, 3));
  call(store, inst, "store", 2, 0x1000, -7);
  printf("after store(0x1000, -7): host reads byte %d, load gives %d\n", (int8_t)data[0x1000],
         call(store, inst, "load", 1, 0x1000, 0));

  /* Out of bounds is a trap, not a crash. */
  call(store, inst, "load", 1, 0x10000, 0);

  /* Grow from the host and from wasm; the maximum (3 pages) stops both. */
  uint64_t old = kite_memory_grow(memory, 1);
  printf("host grow(1): was %llu, now %llu page(s)\n", (unsigned long long)old,
         (unsigned long long)kite_memory_size(memory));
  int32_t grown = call(store, inst, "grow", 1, 1, 0);
  printf("wasm grow(1) = %d, size() = %d\n", grown, call(store, inst, "size", 0, 0, 0));
  printf("wasm grow(1) past the maximum = %d\n", call(store, inst, "grow", 1, 1, 0));
  printf("host grow(1) past the maximum: %s\n",
         kite_memory_grow(memory, 1) == UINT64_MAX ? "refused" : "grew");
  data = kite_memory_data(memory); /* re-read after growing */
  data[0x2ffff] = 5;
  printf("last byte, written by the host: load(0x2ffff) = %d\n",
         call(store, inst, "load", 1, 0x2ffff, 0));

  /* A memory made by the host, imported by another module. */
  kite_memory_desc host_desc = {1, 2, true, false, false, 0};
  kite_meminst *host_mem = kite_memory_create(store, &host_desc, &err);
  if (!host_mem) return 1;
  uint32_t word = 0x12345678;
  memcpy(kite_memory_data(host_mem) + 8, &word, 4); /* little-endian hosts */
  bytes = kite_wat2wasm(engine, reader_wat, strlen(reader_wat), &len, &err);
  kite_imports *imports = kite_imports_new(store);
  kite_imports_add(imports, "env", "mem", kite_extern_memory(host_mem));
  kite_instance *reader = kite_instantiate_bytes(store, bytes, len, imports, NULL, &err);
  kite_bytes_free(engine, bytes, len);
  kite_imports_free(imports);
  if (!reader) return 1;
  printf("reader: word(8) = 0x%x\n", (unsigned)call(store, reader, "word", 1, 8, 0));

  kite_store_free(store);
  kite_engine_free(engine);
  return 0;
}
