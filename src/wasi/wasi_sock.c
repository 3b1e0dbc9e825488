/*
** wasi_sock.c: sockets. Preview1 has no socket or connect: the host preopens listening
** sockets (kite run --listen HOST:PORT) and the guest accepts on them, then receives,
** sends and shuts down.
*/
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi.h"

#define ARG32(i) ((uint32_t)a[i])

#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC 0
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on accepted sockets instead */
#endif

long wasi_sock_sendv(int host, struct iovec *iov, int n) {
  struct msghdr msg = {0};
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)n;
  return (long)sendmsg(host, &msg, MSG_NOSIGNAL);
}

int wasi_listen(const char *addr, kite_error *err) {
  const char *colon = strrchr(addr, ':');
  if (!colon || colon == addr || !colon[1]) {
    kite_fail(err, KITE_ERR_USAGE, 0, 0, "invalid listen address '%s' (expected HOST:PORT)", addr);
    return -1;
  }
  const char *port = colon + 1;
  size_t plen = strspn(port, "0123456789");
  if (plen == 0 || plen > 5 || port[plen] || strtoul(port, NULL, 10) > 65535) {
    kite_fail(err, KITE_ERR_USAGE, 0, 0, "invalid port in listen address '%s'", addr);
    return -1;
  }
  char host[64];
  size_t hlen = (size_t)(colon - addr);
  if (hlen >= sizeof host) {
    kite_fail(err, KITE_ERR_USAGE, 0, 0, "invalid listen address '%s'", addr);
    return -1;
  }
  memcpy(host, addr, hlen);
  host[hlen] = 0;
  /* Numeric addresses (and localhost) only, as wasmtime's --tcplisten: no name service,
     which a statically linked kite could not load. */
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  uint16_t port_n = htons((uint16_t)strtoul(port, NULL, 10));
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
  bool bracketed = hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']'; /* [::1]:8080 */
  if (bracketed) host[hlen - 1] = 0;
  if (!bracketed && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = port_n;
    len = sizeof *v4;
  } else if (bracketed && inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = port_n;
    len = sizeof *v6;
  } else {
    kite_fail(err, KITE_ERR_USAGE, 0, 0,
              "invalid listen address '%s' (expected IPv4:PORT, [IPv6]:PORT or localhost:PORT)",
              addr);
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    kite_fail(err, KITE_ERR_IO, e, 0, "cannot listen on '%s': %s", addr, strerror(e));
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0) {
    int e = errno;
    close(fd);
    kite_fail(err, KITE_ERR_IO, e, 0, "cannot listen on '%s': %s", addr, strerror(e));
    return -1;
  }
  return fd;
}

uint32_t wasi_sock_accept(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                          kite_error *err) {
  (void)err;
  uint32_t rc;
  wasi_fd *l = wasi_fd_get(w, ARG32(0), WASI_RIGHT_SOCK_ACCEPT, &rc);
  if (!l) return rc;
  uint32_t flags = ARG32(1), out = ARG32(2);
  if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK) return WASI_EINVAL;
  if (!wasi_mem_ok(m, out, 4)) return WASI_EFAULT;
  if (l->kind != WASI_FD_LISTENER) return WASI_ENOTSOCK;
  int fd;
  do fd = accept(l->host, NULL, NULL);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return wasi_errno(errno);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
#if defined(SO_NOSIGPIPE)
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  /* accept(2) does not pass O_NONBLOCK on Linux: set exactly what the guest asked for. */
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) {
    fl = (flags & WASI_FDFLAG_NONBLOCK) ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    fcntl(fd, F_SETFL, fl);
  }
  wasi_fd f = {0};
  f.kind = WASI_FD_SOCKET;
  f.host = fd;
  f.owned = true;
  f.filetype = WASI_FILETYPE_SOCKET_STREAM;
  f.base = WASI_RIGHTS_SOCKET & l->inheriting;
  uint32_t guest;
  if ((rc = wasi_fd_insert(w, &f, &guest)) != WASI_ESUCCESS) {
    close(fd);
    return rc;
  }
  wasi_st32(m->base + out, guest);
  return WASI_ESUCCESS;
}

uint32_t wasi_sock_recv(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  uint32_t rc;
  wasi_fd *s = wasi_fd_get(w, ARG32(0), WASI_RIGHT_FD_READ, &rc);
  if (!s) return rc;
  uint32_t riflags = ARG32(3), nout = ARG32(4), flags_out = ARG32(5);
  if (riflags & ~(uint32_t)3) return WASI_EINVAL;
  struct iovec iov[WASI_IOV_MAX];
  int n = 0;
  if ((rc = wasi_iovecs(m, ARG32(1), ARG32(2), iov, &n)) != WASI_ESUCCESS) return rc;
  if (!wasi_mem_ok(m, nout, 4) || !wasi_mem_ok(m, flags_out, 2)) return WASI_EFAULT;
  if (s->kind != WASI_FD_SOCKET && s->kind != WASI_FD_LISTENER) return WASI_ENOTSOCK;
  struct msghdr msg = {0};
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)n;
  int fl = 0;
  if (riflags & 1) fl |= MSG_PEEK;
  if (riflags & 2) fl |= MSG_WAITALL;
  ssize_t r;
  do r = recvmsg(s->host, &msg, fl);
  while (r < 0 && errno == EINTR);
  if (r < 0) return wasi_errno(errno);
  wasi_st32(m->base + nout, (uint32_t)r);
  wasi_st16(m->base + flags_out, (msg.msg_flags & MSG_TRUNC) ? 1 : 0);
  return WASI_ESUCCESS;
}

uint32_t wasi_sock_send(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a, kite_error *err) {
  (void)err;
  uint32_t rc;
  wasi_fd *s = wasi_fd_get(w, ARG32(0), WASI_RIGHT_FD_WRITE, &rc);
  if (!s) return rc;
  uint32_t siflags = ARG32(3), nout = ARG32(4);
  if (siflags != 0) return WASI_EINVAL; /* no flags are defined */
  struct iovec iov[WASI_IOV_MAX];
  int n = 0;
  if ((rc = wasi_iovecs(m, ARG32(1), ARG32(2), iov, &n)) != WASI_ESUCCESS) return rc;
  if (!wasi_mem_ok(m, nout, 4)) return WASI_EFAULT;
  if (s->kind != WASI_FD_SOCKET && s->kind != WASI_FD_LISTENER) return WASI_ENOTSOCK;
  long r;
  do r = n ? wasi_sock_sendv(s->host, iov, n) : 0;
  while (r < 0 && errno == EINTR);
  if (r < 0) return wasi_errno(errno);
  wasi_st32(m->base + nout, (uint32_t)r);
  return WASI_ESUCCESS;
}

uint32_t wasi_sock_shutdown(kite_wasi *w, const kite_wasi_mem *m, const uint64_t *a,
                            kite_error *err) {
  (void)m;
  (void)err;
  uint32_t rc;
  wasi_fd *s = wasi_fd_get(w, ARG32(0), WASI_RIGHT_SOCK_SHUTDOWN, &rc);
  if (!s) return rc;
  int how;
  switch (ARG32(1)) {
  case 1: how = SHUT_RD; break;
  case 2: how = SHUT_WR; break;
  case 3: how = SHUT_RDWR; break;
  default: return WASI_EINVAL;
  }
  if (s->kind != WASI_FD_SOCKET) return WASI_ENOTSOCK;
  if (shutdown(s->host, how) != 0) return wasi_errno(errno);
  return WASI_ESUCCESS;
}
