/*
** json: generates JSON documents, parses them with a recursive-descent parser into a tree
** of nodes (a bump arena, indices instead of pointers), then walks the tree. Branchy,
** byte-at-a-time code with calls and switches: the profile of parsers and interpreters.
** SIZE is the amount of JSON text in KiB (generated and parsed in 256 KiB documents).
*/
#include "bench.h"

typedef struct {
  char *p;
  size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n) {
  if (t->len + n > t->cap) {
    while (t->len + n > t->cap)
      t->cap = t->cap ? t->cap * 2 : 4096;
    t->p = realloc(t->p, t->cap);
    if (!t->p) {
      fprintf(stderr, "out of memory\n");
      exit(1);
    }
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
}
static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

static const char *const keys[] = {"id",    "name", "tags",  "value", "price", "active",
                                   "items", "meta", "x",     "y",     "note",  "children",
                                   "count", "kind", "score", "path"};

static void gen_string(text *t, bench_rng *rng) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789-_";
  put(t, "\"", 1);
  uint32_t len = bench_below(rng, 24);
  for (uint32_t i = 0; i < len; i++) {
    uint32_t r = bench_below(rng, 100);
    if (r < 3)
      puts_(t, r == 0 ? "\\n" : r == 1 ? "\\\"" : "\\u00e9");
    else
      put(t, &alphabet[bench_below(rng, sizeof alphabet - 1)], 1);
  }
  put(t, "\"", 1);
}

static void gen_value(text *t, bench_rng *rng, int depth) {
  char num[32];
  uint32_t r = bench_below(rng, depth > 5 ? 70 : 100);
  if (r < 20) {
    snprintf(num, sizeof num, "%d", (int)bench_below(rng, 2000000) - 1000000);
    puts_(t, num);
  } else if (r < 32) {
    uint32_t whole = bench_below(rng, 10000); /* separate statements fix the order */
    uint32_t frac = bench_below(rng, 1000);
    snprintf(num, sizeof num, "%u.%03u", whole, frac);
    puts_(t, num);
  } else if (r < 52) {
    gen_string(t, rng);
  } else if (r < 58) {
    puts_(t, r < 54 ? "true" : r < 56 ? "false" : "null");
  } else if (r < 70) {
    put(t, "[", 1);
    uint32_t n = bench_below(rng, 8);
    for (uint32_t i = 0; i < n; i++) {
      if (i)
        put(t, ", ", 2);
      gen_value(t, rng, depth + 1);
    }
    put(t, "]", 1);
  } else {
    put(t, "{", 1);
    uint32_t n = 1 + bench_below(rng, 6);
    for (uint32_t i = 0; i < n; i++) {
      puts_(t, i ? ",\n  \"" : "\"");
      puts_(t, keys[bench_below(rng, 16)]);
      puts_(t, "\": ");
      gen_value(t, rng, depth + 1);
    }
    put(t, "}", 1);
  }
}

enum kind { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT, J_KINDS };

typedef struct {
  uint8_t kind;
  uint32_t key;          /* hash of the member name inside an object, else 0 */
  uint32_t first, next;  /* children and siblings as node indices; 0 = none */
  int64_t milli;         /* a number times 1000 */
  uint32_t str_hash, str_len;
} node;

typedef struct {
  const char *s, *end;
  node *nodes;
  uint32_t count, cap;
  int error;
} parser;

static uint32_t new_node(parser *p, uint8_t kind) {
  if (p->count == p->cap) {
    p->error = 1;
    return 0;
  }
  node *n = &p->nodes[p->count];
  memset(n, 0, sizeof *n);
  n->kind = kind;
  return p->count++;
}

static void skip_space(parser *p) {
  while (p->s < p->end && (*p->s == ' ' || *p->s == '\n' || *p->s == '\t' || *p->s == '\r'))
    p->s++;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes a string (escapes included) into its FNV-1a hash and length in code units. */
static int parse_string(parser *p, uint32_t *hash, uint32_t *len) {
  uint32_t h = 2166136261u, n = 0;
  p->s++; /* the opening quote */
  while (p->s < p->end && *p->s != '"') {
    uint32_t c = (uint8_t)*p->s++;
    if (c == '\\') {
      if (p->s >= p->end)
        return 0;
      char e = *p->s++;
      switch (e) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case '"': case '\\': case '/': c = (uint8_t)e; break;
      case 'u':
        c = 0;
        for (int i = 0; i < 4; i++) {
          int v = p->s < p->end ? hexval(*p->s++) : -1;
          if (v < 0)
            return 0;
          c = c << 4 | (uint32_t)v;
        }
        break;
      default: return 0;
      }
    }
    h = (h ^ c) * 16777619u;
    n++;
  }
  if (p->s >= p->end)
    return 0;
  p->s++;
  *hash = h;
  *len = n;
  return 1;
}

static uint32_t parse_value(parser *p, int depth);

static uint32_t parse_number(parser *p) {
  uint32_t id = new_node(p, J_NUMBER);
  int negative = 0;
  if (*p->s == '-')
    negative = 1, p->s++;
  int64_t whole = 0, frac = 0;
  int digits = 0, frac_digits = 0;
  while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
    whole = whole * 10 + (*p->s++ - '0'), digits++;
  if (p->s < p->end && *p->s == '.') {
    p->s++;
    while (p->s < p->end && *p->s >= '0' && *p->s <= '9') {
      if (frac_digits < 3)
        frac = frac * 10 + (*p->s - '0'), frac_digits++;
      p->s++;
    }
  }
  if (!digits)
    p->error = 1;
  for (; frac_digits < 3; frac_digits++)
    frac *= 10;
  if (!p->error)
    p->nodes[id].milli = (negative ? -1 : 1) * (whole * 1000 + frac);
  return id;
}

static int literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
    return 0;
  p->s += n;
  return 1;
}

static uint32_t parse_container(parser *p, int depth, int is_object) {
  uint32_t id = new_node(p, is_object ? J_OBJECT : J_ARRAY), last = 0;
  char close = is_object ? '}' : ']';
  p->s++;
  skip_space(p);
  if (p->s < p->end && *p->s == close) {
    p->s++;
    return id;
  }
  while (!p->error) {
    uint32_t key = 0, key_len;
    skip_space(p);
    if (is_object) {
      if (p->s >= p->end || *p->s != '"' || !parse_string(p, &key, &key_len)) {
        p->error = 1;
        break;
      }
      skip_space(p);
      if (p->s >= p->end || *p->s++ != ':') {
        p->error = 1;
        break;
      }
    }
    uint32_t child = parse_value(p, depth + 1);
    if (p->error)
      break;
    p->nodes[child].key = key;
    if (last)
      p->nodes[last].next = child;
    else
      p->nodes[id].first = child;
    last = child;
    skip_space(p);
    if (p->s < p->end && *p->s == ',') {
      p->s++;
      continue;
    }
    if (p->s < p->end && *p->s == close) {
      p->s++;
      break;
    }
    p->error = 1;
  }
  return id;
}

static uint32_t parse_value(parser *p, int depth) {
  skip_space(p);
  if (p->s >= p->end || depth > 200) {
    p->error = 1;
    return 0;
  }
  switch (*p->s) {
  case '{': return parse_container(p, depth, 1);
  case '[': return parse_container(p, depth, 0);
  case '"': {
    uint32_t id = new_node(p, J_STRING);
    if (!parse_string(p, &p->nodes[id].str_hash, &p->nodes[id].str_len))
      p->error = 1;
    return id;
  }
  case 't': if (literal(p, "true")) return new_node(p, J_TRUE); break;
  case 'f': if (literal(p, "false")) return new_node(p, J_FALSE); break;
  case 'n': if (literal(p, "null")) return new_node(p, J_NULL); break;
  default:
    if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9'))
      return parse_number(p);
  }
  p->error = 1;
  return 0;
}

typedef struct {
  uint32_t kinds[J_KINDS];
  int64_t number_sum;
  uint32_t hash, max_depth;
} summary;

static void walk(const node *nodes, uint32_t id, uint32_t depth, summary *s) {
  const node *n = &nodes[id];
  s->kinds[n->kind]++;
  if (depth > s->max_depth)
    s->max_depth = depth;
  s->hash = (s->hash ^ n->key) * 0x01000193u;
  switch (n->kind) {
  case J_NUMBER: s->number_sum += n->milli; break;
  case J_STRING: s->hash = (s->hash ^ n->str_hash) * 0x01000193u + n->str_len; break;
  case J_ARRAY:
  case J_OBJECT:
    for (uint32_t c = n->first; c; c = nodes[c].next)
      walk(nodes, c, depth + 1, s);
    break;
  default: s->hash += n->kind; break;
  }
}

int main(int argc, char **argv) {
  size_t total = (size_t)bench_size(argc, argv, 24 * 1024, 256) * 1024;
  enum { DOC = 256 * 1024 };
  text doc = {0};
  node *nodes = NULL;
  uint32_t nodes_cap = 0;
  bench_rng rng = {2024};
  summary s = {{0}, 0, 2166136261u, 0};
  size_t parsed = 0;
  uint32_t docs = 0;
  while (parsed < total) {
    doc.len = 0;
    put(&doc, "[", 1);
    while (doc.len < DOC && doc.len < total - parsed) {
      if (doc.len > 1)
        put(&doc, ",\n", 2);
      gen_value(&doc, &rng, 0);
    }
    put(&doc, "]", 1);
    /* A value takes at least one byte, so this many nodes always suffice. */
    uint32_t max_nodes = (uint32_t)doc.len + 2;
    if (max_nodes > nodes_cap) {
      free(nodes);
      nodes_cap = max_nodes + max_nodes / 4;
      nodes = bench_alloc(sizeof(node) * nodes_cap);
    }
    /* Parse each document twice: parsing, not generating, is what we measure. */
    for (int pass = 0; pass < 2; pass++) {
      parser p = {doc.p, doc.p + doc.len, nodes, 1, max_nodes, 0};
      uint32_t root = parse_value(&p, 0);
      skip_space(&p);
      if (p.error || p.s != p.end) {
        printf("json: parse error in document %u at byte %zu\n", docs,
               (size_t)(p.s - doc.p));
        return 1;
      }
      if (pass == 1)
        walk(nodes, root, 0, &s);
    }
    parsed += doc.len;
    docs++;
  }
  printf("json: %u documents, %llu bytes; null %u false %u true %u number %u string %u "
         "array %u object %u; sum %lld; depth %u; hash %08x\n",
         docs, (unsigned long long)parsed, s.kinds[J_NULL], s.kinds[J_FALSE], s.kinds[J_TRUE],
         s.kinds[J_NUMBER], s.kinds[J_STRING], s.kinds[J_ARRAY], s.kinds[J_OBJECT],
         (long long)s.number_sum, s.max_depth, s.hash);
  free(doc.p);
  free(nodes);
  return 0;
}
