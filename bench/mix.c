/*
** mix: a CoreMark-like blend (our own code, not CoreMark) of four small workloads run in
** rounds, each folded into a CRC-16: linked-list search, reversal and merge sort; small
** integer matrix arithmetic; a character-class state machine over generated numbers; and
** the CRC itself, bit by bit. Pointer chasing, short loops, switches, 16-bit arithmetic.
** SIZE is the number of rounds.
*/
#include "bench.h"

static uint16_t crc16_byte(uint8_t data, uint16_t crc) {
  for (int i = 0; i < 8; i++) {
    uint16_t mix = (uint16_t)((crc ^ data) & 1);
    crc >>= 1;
    if (mix)
      crc ^= 0xa001;
    data >>= 1;
  }
  return crc;
}
static uint16_t crc16_u16(uint16_t v, uint16_t crc) {
  return crc16_byte((uint8_t)(v >> 8), crc16_byte((uint8_t)v, crc));
}
static uint16_t crc16_u32(uint32_t v, uint16_t crc) {
  return crc16_u16((uint16_t)(v >> 16), crc16_u16((uint16_t)v, crc));
}

/* ---- linked list ---- */
typedef struct item {
  struct item *next;
  int16_t value, order;
} item;

static item *list_reverse(item *head) {
  item *prev = NULL;
  while (head) {
    item *next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  return prev;
}

static item *list_find(item *head, int16_t value) {
  while (head && head->value != value)
    head = head->next;
  return head;
}

static int cmp_value(const item *a, const item *b) {
  return a->value != b->value ? a->value - b->value : a->order - b->order;
}
static int cmp_order(const item *a, const item *b) { return a->order - b->order; }

/* Bottom-up merge sort of a singly linked list: no recursion, no extra memory. */
static item *list_sort(item *head, int (*cmp)(const item *, const item *)) {
  for (uint32_t width = 1;; width *= 2) {
    item *rest = head, *tail = NULL;
    head = NULL;
    uint32_t merges = 0;
    while (rest) {
      merges++;
      item *a = rest, *b = rest;
      uint32_t na = 0, nb = width;
      while (na < width && b) {
        na++;
        b = b->next;
      }
      while (na > 0 || (nb > 0 && b)) {
        item *take;
        if (na == 0 || (nb > 0 && b && cmp(b, a) < 0)) {
          take = b, b = b->next, nb--;
        } else {
          take = a, a = a->next, na--;
        }
        if (tail)
          tail->next = take;
        else
          head = take;
        tail = take;
      }
      rest = b;
    }
    if (tail)
      tail->next = NULL;
    if (merges <= 1)
      return head;
  }
}

static uint16_t bench_list(item *pool, uint32_t n, uint32_t round, uint16_t crc) {
  item *head = NULL;
  for (uint32_t i = 0; i < n; i++) {
    pool[i].value = (int16_t)(((i * 7919u + round * 31u) ^ (i >> 3)) & 0x7fff);
    pool[i].order = (int16_t)i;
    pool[i].next = head;
    head = &pool[i];
  }
  uint32_t found = 0, missing = 0;
  for (uint32_t k = 0; k < 16; k++) {
    item *hit = list_find(head, pool[(k * 37 + round) % n].value ^ (int16_t)(k & 1));
    if (hit)
      found += (uint32_t)hit->order;
    else
      missing++;
  }
  head = list_sort(head, cmp_value);
  for (item *p = head; p; p = p->next)
    crc = crc16_u16((uint16_t)p->value, crc);
  head = list_reverse(head);
  crc = crc16_u16((uint16_t)head->order, crc);
  head = list_sort(head, cmp_order);
  for (item *p = head; p && p->order < 64; p = p->next)
    crc = crc16_u16((uint16_t)(p->value ^ p->order), crc);
  return crc16_u32(found * 65536u + missing, crc);
}

/* ---- matrices ---- */
enum { DIM = 24 };

static uint16_t bench_matrix(int16_t a[DIM][DIM], int16_t b[DIM][DIM], int32_t c[DIM][DIM],
                             uint32_t round, uint16_t crc) {
  int16_t k = (int16_t)(round & 0xff) | 1;
  for (int i = 0; i < DIM; i++)
    for (int j = 0; j < DIM; j++) {
      a[i][j] = (int16_t)((i * DIM + j + (int)round) % 251 - 125);
      b[i][j] = (int16_t)(((i ^ j) * 13 + (int)round) % 97 - 48);
    }
  for (int i = 0; i < DIM; i++) /* add a constant */
    for (int j = 0; j < DIM; j++)
      a[i][j] = (int16_t)(a[i][j] + k);
  int32_t vec[DIM];
  for (int i = 0; i < DIM; i++) { /* matrix times vector */
    int32_t sum = 0;
    for (int j = 0; j < DIM; j++)
      sum += a[i][j] * b[j][i];
    vec[i] = sum;
  }
  for (int i = 0; i < DIM; i++) /* matrix times matrix */
    for (int j = 0; j < DIM; j++) {
      int32_t sum = 0;
      for (int m = 0; m < DIM; m++)
        sum += a[i][m] * b[m][j];
      c[i][j] = sum;
    }
  int32_t acc = 0;
  for (int i = 0; i < DIM; i++) /* a bit field of each product, signs and sums */
    for (int j = 0; j < DIM; j++) {
      int32_t bits = (c[i][j] >> 2) & 0xf;
      acc += bits > 7 ? bits * 3 : -bits + (c[i][j] < 0);
    }
  for (int i = 0; i < DIM; i++)
    crc = crc16_u32((uint32_t)vec[i], crc);
  return crc16_u32((uint32_t)acc, crc);
}

/* ---- state machine ---- */
enum state { S_START, S_INT, S_SIGN, S_FRAC, S_EXP, S_EXP_SIGN, S_EXP_DIGITS, S_BAD, S_STATES };

static void make_tokens(char *buf, uint32_t len, uint32_t seed) {
  static const char *const pieces[] = {"5012", "1234", "-874", "+122", "-110.700", "+0.64",
                                       "35.54400", "0.1234", "-110.700", "+0.64", "5.500e+3",
                                       "-.123e-2", "-87e+832", "+0.6e-12", "T0.3e-1F",
                                       "-T.T++Tq", "1T3.4e4z", "34.0e-T^"};
  uint32_t pos = 0, i = seed;
  while (pos + 10 < len) {
    const char *p = pieces[i++ % 18];
    while (*p)
      buf[pos++] = *p++;
    buf[pos++] = ',';
    i = i * 5 + 3;
  }
  buf[pos] = 0;
}

static enum state step(enum state s, char c, uint32_t *transitions) {
  int digit = c >= '0' && c <= '9', sign = c == '+' || c == '-';
  enum state next = S_BAD;
  switch (s) {
  case S_START:
    next = digit ? S_INT : sign ? S_SIGN : c == '.' ? S_FRAC : S_BAD;
    break;
  case S_SIGN:
    next = digit ? S_INT : c == '.' ? S_FRAC : S_BAD;
    break;
  case S_INT:
    next = digit ? S_INT : c == '.' ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
    break;
  case S_FRAC:
    next = digit ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
    break;
  case S_EXP:
    next = sign ? S_EXP_SIGN : digit ? S_EXP_DIGITS : S_BAD;
    break;
  case S_EXP_SIGN:
  case S_EXP_DIGITS:
    next = digit ? S_EXP_DIGITS : S_BAD;
    break;
  default:
    break;
  }
  if (next != s)
    transitions[next]++;
  return next;
}

static uint16_t bench_states(char *buf, uint32_t len, uint32_t round, uint16_t crc) {
  make_tokens(buf, len, round);
  uint32_t finals[S_STATES] = {0}, transitions[S_STATES] = {0};
  char *p = buf;
  while (*p) {
    enum state s = S_START;
    while (*p && *p != ',') {
      s = step(s, *p++, transitions);
      if (s == S_BAD) { /* skip the rest of a bad token */
        while (*p && *p != ',')
          p++;
      }
    }
    finals[s]++;
    if (*p)
      p++;
  }
  /* Corrupt a few characters and scan again, as CoreMark-like loads do. */
  for (uint32_t i = round % 7; i < len; i += 131)
    if (buf[i] && buf[i] != ',')
      buf[i] ^= 1;
  for (p = buf; *p;) {
    enum state s = S_START;
    while (*p && *p != ',')
      s = step(s, *p++, transitions);
    finals[s]++;
    if (*p)
      p++;
  }
  for (int i = 0; i < S_STATES; i++)
    crc = crc16_u32(finals[i] ^ transitions[i] << 12, crc);
  return crc;
}

int main(int argc, char **argv) {
  uint32_t rounds = bench_size(argc, argv, 3600, 30);
  enum { LIST = 600, TOKENS = 2000 };
  item *pool = bench_alloc(sizeof(item) * LIST);
  static int16_t a[DIM][DIM], b[DIM][DIM];
  static int32_t c[DIM][DIM];
  char *buf = bench_alloc(TOKENS + 1);
  uint16_t crc_list = 0, crc_matrix = 0, crc_states = 0, crc_all = 0xffff;
  for (uint32_t r = 0; r < rounds; r++) {
    crc_list = bench_list(pool, LIST, r, crc_list);
    crc_matrix = bench_matrix(a, b, c, r, crc_matrix);
    crc_states = bench_states(buf, TOKENS, r, crc_states);
    crc_all = crc16_u16(crc_list ^ crc_matrix ^ crc_states, crc_all);
  }
  printf("mix: %u rounds, list %04x, matrix %04x, states %04x, all %04x\n", rounds, crc_list,
         crc_matrix, crc_states, crc_all);
  free(pool), free(buf);
  return 0;
}
