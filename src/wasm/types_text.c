/*
** types_text.c: value and heap types in the text format
** (https://webassembly.github.io/spec/core/text/types.html), with its abbreviations:
** funcref for (ref null func), and so on. Used by objdump, the printer and error messages.
*/
#include "module.h"

const char *kite_numtype_text(uint8_t kind) {
  switch (kind) {
  case KITE_VT_I32: return "i32";
  case KITE_VT_I64: return "i64";
  case KITE_VT_F32: return "f32";
  case KITE_VT_F64: return "f64";
  case KITE_VT_V128: return "v128";
  case KITE_VT_I8: return "i8";
  case KITE_VT_I16: return "i16";
  case KITE_VT_BOT: return "bot";
  default: return NULL;
  }
}

const char *kite_abstract_heaptype_text(uint32_t ht) {
  switch (ht) {
  case KITE_HT_EXN: return "exn";
  case KITE_HT_ARRAY: return "array";
  case KITE_HT_STRUCT: return "struct";
  case KITE_HT_I31: return "i31";
  case KITE_HT_EQ: return "eq";
  case KITE_HT_ANY: return "any";
  case KITE_HT_EXTERN: return "extern";
  case KITE_HT_FUNC: return "func";
  case KITE_HT_NONE: return "none";
  case KITE_HT_NOEXTERN: return "noextern";
  case KITE_HT_NOFUNC: return "nofunc";
  case KITE_HT_NOEXN: return "noexn";
  case KITE_HT_BOT: return "bot";
  default: return NULL;
  }
}

/* The shorthand for (ref null HT), where the text format has one. */
static const char *nullable_abbreviation(uint32_t ht) {
  switch (ht) {
  case KITE_HT_EXN: return "exnref";
  case KITE_HT_ARRAY: return "arrayref";
  case KITE_HT_STRUCT: return "structref";
  case KITE_HT_I31: return "i31ref";
  case KITE_HT_EQ: return "eqref";
  case KITE_HT_ANY: return "anyref";
  case KITE_HT_EXTERN: return "externref";
  case KITE_HT_FUNC: return "funcref";
  case KITE_HT_NONE: return "nullref";
  case KITE_HT_NOEXTERN: return "nullexternref";
  case KITE_HT_NOFUNC: return "nullfuncref";
  case KITE_HT_NOEXN: return "nullexnref";
  default: return NULL;
  }
}

const char *kite_externkind_text(uint8_t kind) {
  switch (kind) {
  case KITE_EXTERN_FUNC: return "func";
  case KITE_EXTERN_TABLE: return "table";
  case KITE_EXTERN_MEMORY: return "memory";
  case KITE_EXTERN_GLOBAL: return "global";
  case KITE_EXTERN_TAG: return "tag";
  default: return "unknown";
  }
}

/* The text format's idchar: printable ASCII except space " , ; ( ) [ ] { }. */
static bool is_idchar(uint8_t c) {
  if (c <= 0x20 || c >= 0x7F) return false;
  switch (c) {
  case '"':
  case ',':
  case ';':
  case '(':
  case ')':
  case '[':
  case ']':
  case '{':
  case '}': return false;
  default: return true;
  }
}

bool kite_name_is_id(kite_name name) {
  if (name.len == 0) return false;
  for (uint32_t i = 0; i < name.len; i++)
    if (!is_idchar(name.ptr[i])) return false;
  return true;
}

static bool type_index_text(const kite_module *m, uint32_t index, kite_buf *out) {
  if (m && m->has_names) {
    const kite_name *name = kite_namemap_find(&m->names.maps[KITE_NAMES_TYPE], index);
    if (name && kite_name_is_id(*name)) {
      kite_buf_byte(out, '$');
      return kite_buf_put(out, name->ptr, name->len);
    }
  }
  return kite_buf_printf(out, "%u", index);
}

bool kite_heaptype_text(const kite_module *m, uint32_t ht, kite_buf *out) {
  if (kite_ht_is_index(ht)) return type_index_text(m, ht, out);
  const char *text = kite_abstract_heaptype_text(ht);
  if (text) return kite_buf_printf(out, "%s", text);
  return kite_buf_printf(out, "<heap type 0x%x>", ht & ~KITE_HT_ABSTRACT);
}

bool kite_valtype_text(const kite_module *m, kite_valtype t, kite_buf *out) {
  if (t.kind != KITE_VT_REF) {
    const char *text = kite_numtype_text(t.kind);
    if (text) return kite_buf_printf(out, "%s", text);
    return kite_buf_printf(out, "<type 0x%02x>", t.kind);
  }
  const char *abbreviation = t.nullable && !t.exact ? nullable_abbreviation(t.ht) : NULL;
  if (abbreviation) return kite_buf_printf(out, "%s", abbreviation);
  kite_buf_printf(out, t.nullable ? "(ref null " : "(ref ");
  if (t.exact) {
    kite_buf_printf(out, "(exact ");
    kite_heaptype_text(m, t.ht, out);
    kite_buf_byte(out, ')');
  } else {
    kite_heaptype_text(m, t.ht, out);
  }
  return kite_buf_byte(out, ')');
}
