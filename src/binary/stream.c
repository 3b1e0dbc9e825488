/*
** stream.c: framing the binary (header, section ids, sizes and order) over a buffer
** that may still be growing. kite_decode is the streaming decoder fed everything at
** once, so whole and streamed decoding share every line and cannot disagree.
**
** A section is decoded as soon as all its bytes are in. An error that depends on bytes
** not yet seen (running out of input, a length beyond the input) is tentative while
** more may come: the section is tried again later. Retries wait for the buffer to
** double, so feeding a hostile module byte by byte stays O(n log n).
*/
#include "binary.h"

#define MSG_EOS "unexpected end of section or function"

enum { PHASE_HEADER, PHASE_SECTIONS, PHASE_DONE };

struct kite_decoder {
  kite_alloc *alloc;
  kite_module *m;
  kite_decode_state st;
  kite_error err; /* the decoder's own copy: the first error, kept for later calls */
  uint8_t *buf;   /* the bytes so far (m->bytes once decoding is over) */
  size_t len, cap;
  bool external;   /* buf belongs to the module's arena, not to the decoder */
  size_t pos;      /* the next byte to frame */
  size_t retry_at; /* do not try again before len reaches this */
  int phase;
};

kite_decoder *kite_decoder_new(kite_alloc *a, kite_features features,
                               const kite_decode_limits *limits) {
  kite_decoder *d = kite_malloc(a, sizeof *d);
  if (!d) return NULL;
  memset(d, 0, sizeof *d);
  d->alloc = a;
  kite_arena ar;
  kite_arena_init(&ar, a);
  kite_module *m = kite_arena_alloc(&ar, sizeof *m);
  if (!m) {
    kite_arena_free(&ar);
    kite_free(a, d, sizeof *d);
    return NULL;
  }
  m->arena = ar; /* from here on, allocate through m->arena only */
  m->alloc = a;
  d->m = m;
  kite_decode_state_init(&d->st, m, features, limits, &d->err);
  return d;
}

void kite_decoder_free(kite_decoder *d) {
  if (!d) return;
  kite_decode_state_free(&d->st);
  if (!d->external) kite_free(d->alloc, d->buf, d->cap);
  kite_module_free(d->m);
  kite_free(d->alloc, d, sizeof *d);
}

static bool fail(kite_decoder *d, size_t offset, const char *msg) {
  return kite_fail(&d->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, offset, "%s", msg);
}

/* Wait for at least `need` bytes (at least one more than we have). */
static bool wait_for(kite_decoder *d, size_t need) {
  d->retry_at = need > d->len ? need : d->len + 1;
  return true;
}

static bool frame_header(kite_decoder *d, bool final) {
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D}, version[4] = {0x01, 0x00, 0x00, 0x00};
  if (d->len < 4) return final ? fail(d, d->len, MSG_EOS) : wait_for(d, 4);
  if (memcmp(d->buf, magic, 4) != 0) return fail(d, 0, "magic header not detected");
  if (d->len < 8) return final ? fail(d, d->len, MSG_EOS) : wait_for(d, 8);
  if (memcmp(d->buf + 4, version, 4) != 0) return fail(d, 4, "unknown binary version");
  d->pos = 8;
  d->phase = PHASE_SECTIONS;
  return true;
}

/*
** Frame and decode the next section. Returns false on an error (in d->err); true when a
** section was decoded or when more bytes are needed (d->retry_at set, d->pos unchanged).
*/
static bool frame_section(kite_decoder *d, bool final, bool *progress) {
  kite_decode_state *st = &d->st;
  *progress = false;
  size_t id_at = d->pos;
  uint8_t id = d->buf[id_at];
  if (id > KITE_SEC_TAG || (id == KITE_SEC_TAG && !kite_has_feature(st->features, FEAT_EH)))
    return fail(d, id_at, "malformed section id");
  unsigned rank = kite_section_rank(id);
  if (id != KITE_SEC_CUSTOM && rank <= st->last_rank)
    return fail(d, id_at, "unexpected content after last section");
  kite_reader r = {d->buf, d->buf + id_at + 1, d->buf + d->len, &d->err};
  uint32_t size;
  if (!kite_read_u32(&r, &size)) {
    if (!final && kite_decode_error_tentative(&d->err)) {
      kite_error_clear(&d->err);
      return wait_for(d, d->len + 1);
    }
    return false;
  }
  size_t start = (size_t)(r.p - d->buf);
  if ((uint64_t)size > d->len - (id_at + 1)) {
    if (!final) return wait_for(d, start + size);
    return fail(d, id_at + 1, "length out of bounds");
  }
  if (start + size > d->len && !final) return wait_for(d, start + size);
  if (!kite_decode_section(st, id, (uint32_t)id_at, size, &r)) {
    if (!final && kite_decode_error_tentative(&d->err)) {
      kite_error_clear(&d->err);
      return wait_for(d, d->len * 2);
    }
    return false;
  }
  if ((size_t)(r.p - d->buf) != start + size) return fail(d, start, "section size mismatch");
  kite_section sec = {id, (uint32_t)id_at, (uint32_t)start, size, st->section_count};
  if (!kite_vec_push(d->alloc, &st->sections, sec))
    return kite_fail(&d->err, KITE_ERR_OOM, 0, id_at, "out of memory");
  if (id != KITE_SEC_CUSTOM) {
    st->last_rank = (uint8_t)rank;
    st->last_id = id;
  }
  d->pos = start + size;
  *progress = true;
  return true;
}

/* Advance as far as the bytes allow. `final`: no more bytes will come. */
static bool step_sections(kite_decoder *d, bool final) {
  if (kite_failed(&d->err)) return false;
  if (!final && d->len < d->retry_at) return true;
  if (d->phase == PHASE_HEADER) {
    if (!frame_header(d, final)) return false;
    if (d->phase == PHASE_HEADER) return true;
  }
  while (d->phase == PHASE_SECTIONS) {
    if (d->pos == d->len) {
      if (!final) return wait_for(d, d->len + 1);
      if (!kite_decode_end(&d->st, d->len)) return false;
      d->phase = PHASE_DONE;
      break;
    }
    bool progress;
    if (!frame_section(d, final, &progress)) return false;
    if (!progress) {
      if (final) return fail(d, d->len, MSG_EOS); /* cannot happen: final decodes or fails */
      return true;
    }
  }
  return true;
}

static bool step(kite_decoder *d, bool final) {
  if (step_sections(d, final)) return true;
  /* Deferred walks come first: kite_decode would have reported their errors before. */
  if (d->st.pending_count) {
    kite_error later = d->err;
    kite_error_clear(&d->err);
    if (kite_decode_flush_walks(&d->st, d->buf, d->len)) d->err = later;
  }
  return false;
}

bool kite_decoder_feed(kite_decoder *d, const uint8_t *p, size_t n, kite_error *err) {
  if (!kite_failed(&d->err) && n) {
    if ((uint64_t)d->len + n > d->st.limits.max_module_size) {
      fail(d, d->len, "module too large");
    } else if (!kite_vec_reserve_(d->alloc, (void **)&d->buf, &d->cap, d->len + n, 1)) {
      kite_fail(&d->err, KITE_ERR_OOM, 0, d->len, "out of memory");
    } else {
      memcpy(d->buf + d->len, p, n);
      d->len += n;
      step(d, false);
    }
  }
  if (kite_failed(&d->err)) {
    if (err) *err = d->err;
    return false;
  }
  return true;
}

kite_module *kite_decoder_finish(kite_decoder *d, kite_error *err) {
  if (!d) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  kite_module *m = d->m;
  if (!kite_failed(&d->err) && !d->external) {
    /* The module keeps its own copy of the binary; names are relocated into it. */
    m->bytes = kite_arena_alloc(&m->arena, d->len ? d->len : 1);
    if (!m->bytes) {
      kite_fail(&d->err, KITE_ERR_OOM, 0, d->len, "out of memory");
    } else {
      if (d->len) memcpy(m->bytes, d->buf, d->len);
      kite_free(d->alloc, d->buf, d->cap);
      d->buf = m->bytes;
      d->cap = 0;
      d->external = true;
      m->len = d->len;
    }
  }
  if (!kite_failed(&d->err)) step(d, true);
  if (kite_failed(&d->err)) {
    if (err) *err = d->err;
    kite_decoder_free(d);
    return NULL;
  }
  d->m = NULL;
  kite_decode_state_free(&d->st);
  kite_free(d->alloc, d, sizeof *d);
  return m;
}

uint8_t *kite_decoder_buffer(kite_decoder *d, size_t len) {
  if (kite_failed(&d->err)) return NULL;
  if (d->len || d->external) {
    kite_fail(&d->err, KITE_ERR_USAGE, 0, 0, "kite_decoder_buffer after bytes were fed");
    return NULL;
  }
  if ((uint64_t)len > d->st.limits.max_module_size) {
    fail(d, 0, "module too large");
    return NULL;
  }
  kite_module *m = d->m;
  /* Not zeroed: the caller fills it, and a megabyte written twice costs page faults. */
  m->bytes = kite_arena_alloc_uninit(&m->arena, len ? len : 1);
  if (!m->bytes) {
    kite_fail(&d->err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  m->len = len;
  d->buf = m->bytes;
  d->len = d->cap = len;
  d->external = true;
  return m->bytes;
}

bool kite_decoder_adopt(kite_decoder *d, uint8_t *bytes, size_t len,
                        void (*release)(void *ud, uint8_t *bytes, size_t len), void *ud) {
  if (kite_failed(&d->err)) return false;
  if (d->len || d->external) {
    kite_fail(&d->err, KITE_ERR_USAGE, 0, 0, "kite_decoder_adopt after bytes were fed");
    return false;
  }
  if ((uint64_t)len > d->st.limits.max_module_size) return fail(d, 0, "module too large");
  kite_module *m = d->m;
  m->bytes = bytes;
  m->len = len;
  m->release_bytes = release;
  m->release_ud = ud;
  d->buf = bytes;
  d->len = d->cap = len;
  d->external = true;
  return true;
}

void kite_decoder_defer_walks(kite_decoder *d) {
  if (d->external && d->phase == PHASE_HEADER) d->st.defer_walks = true;
}

void kite_decoder_defer_names(kite_decoder *d) { d->st.defer_names = true; }

kite_decoder *kite_decoder_of_bytes(kite_alloc *a, const uint8_t *bytes, size_t len,
                                    kite_features features, const kite_decode_limits *limits,
                                    kite_error *err) {
  kite_decoder *d = kite_decoder_new(a, features, limits);
  if (!d) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  /* Decode straight from the module's own copy: no buffer to grow or move. A failed
     buffer is reported by finish. */
  uint8_t *buf = kite_decoder_buffer(d, len);
  if (buf && len) memcpy(buf, bytes, len);
  return d;
}

kite_module *kite_decode(kite_alloc *a, const uint8_t *bytes, size_t len, kite_features features,
                         const kite_decode_limits *limits, kite_error *err) {
  kite_decoder *d = kite_decoder_of_bytes(a, bytes, len, features, limits, err);
  return d ? kite_decoder_finish(d, err) : NULL;
}
