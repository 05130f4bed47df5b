/*
 * qos_flows: the traffic of bench/qos (the telemedicine uplink).
 * One program, one mode per flow end:
 *
 *   qos_flows now
 *   qos_flows udp-send  DST PORT SIZE RATE_BPS TOS START_NS SECS
 *   qos_flows udp-recv  PORT CLASS END_NS CSV
 *   qos_flows tcp-echo  PORT END_NS
 *   qos_flows tcp-rtt   DST PORT SIZE INTERVAL_MS TOS START_NS SECS END_NS CSV
 *   qos_flows tcp-bulk  DST PORT RECSIZE TOS START_NS SECS
 *   qos_flows tcp-sink  PORT CLASS RECSIZE END_NS CSV
 *
 * Every datagram, message and bulk record starts with a header (magic,
 * sequence number, CLOCK_MONOTONIC send time in ns): the clock is shared by
 * all network namespaces, so the receiver computes one-way delay directly.
 * Receivers write one CSV line per packet or record: class,seq,send_ns,
 * recv_ns,len. tcp-rtt writes the time the echo came back as recv_ns (a
 * round trip). Senders print "sent N" when done. Times are absolute
 * CLOCK_MONOTONIC ns so that all flows start together.
 *
 * A benchmark helper, not a test: errors go to stderr and exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QF_MAGIC   0x51534631u   /* "QSF1" */
#define QF_HDR     16u
#define QF_MAXSIZE 65000u

struct qf_hdr {
	uint32_t magic;
	uint32_t seq;
	uint64_t send_ns;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000u),
	    .tv_nsec = (long)(t % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void
die(const char *what)
{
	fprintf(stderr, "qos_flows: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: qos_flows now | udp-send | udp-recv | tcp-echo | "
	    "tcp-rtt | tcp-bulk | tcp-sink ... (see the source)\n");
	exit(2);
}

static uint64_t
num(const char *s, uint64_t lo, uint64_t hi, const char *name)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo ||
	    v > hi) {
		fprintf(stderr, "qos_flows: %s: \"%s\" is not a number in %llu..%llu\n",
		    name, s, (unsigned long long)lo, (unsigned long long)hi);
		exit(2);
	}
	return v;
}

static struct sockaddr_in
addr(const char *host, uint16_t port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (host == NULL)
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "qos_flows: bad IPv4 address \"%s\"\n", host);
		exit(2);
	}
	return sa;
}

static void
put_hdr(uint8_t *buf, uint32_t seq, uint64_t t)
{
	struct qf_hdr h = { .magic = QF_MAGIC, .seq = seq, .send_ns = t };

	memcpy(buf, &h, sizeof(h));
}

static int
get_hdr(const uint8_t *buf, size_t len, struct qf_hdr *h)
{
	if (len < QF_HDR)
		return -1;
	memcpy(h, buf, sizeof(*h));
	return h->magic == QF_MAGIC ? 0 : -1;
}

static FILE *
open_csv(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		die(path);
	return f;
}

static int
listen_tcp(uint16_t port)
{
	struct sockaddr_in sa = addr(NULL, port);
	int one = 1, s;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("bind");
	if (listen(s, 4) == -1)
		die("listen");
	return s;
}

/* Accepts one connection, giving up at end. */
static int
accept_until(int ls, uint64_t end)
{
	struct pollfd pf = { .fd = ls, .events = POLLIN };
	uint64_t t;
	int c, one = 1;

	while ((t = now_ns()) < end) {
		int ms = (int)((end - t) / 1000000u) + 1;

		if (poll(&pf, 1, ms) > 0)
			break;
	}
	if (now_ns() >= end)
		return -1;
	if ((c = accept(ls, NULL, NULL)) == -1)
		die("accept");
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}

/* Connects within 10 s (the server may still be starting). */
static int
connect_tcp(const char *host, uint16_t port, int tos)
{
	struct sockaddr_in sa = addr(host, port);
	int i, s;

	for (i = 0; i < 100; i++) {
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			die("socket");
		if (setsockopt(s, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) == -1)
			die("IP_TOS");
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return s;
		close(s);
		usleep(100000);
	}
	die("connect");
	return -1;
}

static int
poll_ms(uint64_t until)
{
	uint64_t t = now_ns();

	return t >= until ? 0 : (int)((until - t) / 1000000u) + 1;
}

static int
udp_send(char **av)
{
	const char *dst = av[0];
	uint16_t port = (uint16_t)num(av[1], 1, 65535, "port");
	size_t size = num(av[2], QF_HDR, QF_MAXSIZE, "size");
	uint64_t rate = num(av[3], 1000, 10000000000ull, "rate");
	int tos = (int)num(av[4], 0, 255, "tos");
	uint64_t start = num(av[5], 0, UINT64_MAX, "start");
	uint64_t secs = num(av[6], 1, 3600, "secs");
	uint64_t gap = size * 8u * 1000000000u / rate, end = start + secs * 1000000000u;
	struct sockaddr_in sa = addr(dst, port);
	static uint8_t buf[QF_MAXSIZE];
	uint32_t seq = 0;
	unsigned long errs = 0;
	int s;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		die("socket");
	if (setsockopt(s, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) == -1)
		die("IP_TOS");
	memset(buf, 0xa5, size);
	for (uint64_t t = start; t < end; t += gap) {
		sleep_until(t);
		put_hdr(buf, seq++, now_ns());
		/* A full tun queue (ENOBUFS) is loss like any other. */
		if (sendto(s, buf, size, 0, (struct sockaddr *)&sa, sizeof(sa)) == -1)
			errs++;
	}
	printf("sent %u errors %lu\n", seq, errs);
	return 0;
}

static int
udp_recv(char **av)
{
	uint16_t port = (uint16_t)num(av[0], 1, 65535, "port");
	const char *cls = av[1];
	uint64_t end = num(av[2], 0, UINT64_MAX, "end");
	struct sockaddr_in sa = addr(NULL, port);
	FILE *f = open_csv(av[3]);
	static uint8_t buf[QF_MAXSIZE];
	struct pollfd pf;
	int s;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		die("socket");
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("bind");
	pf.fd = s;
	pf.events = POLLIN;
	while (now_ns() < end) {
		struct qf_hdr h;
		ssize_t n;

		if (poll(&pf, 1, poll_ms(end)) <= 0)
			continue;
		if ((n = recv(s, buf, sizeof(buf), 0)) == -1)
			continue;
		if (get_hdr(buf, (size_t)n, &h) == 0)
			fprintf(f, "%s,%u,%llu,%llu,%zd\n", cls, h.seq,
			    (unsigned long long)h.send_ns,
			    (unsigned long long)now_ns(), n);
	}
	fclose(f);
	return 0;
}

static int
tcp_echo(char **av)
{
	uint16_t port = (uint16_t)num(av[0], 1, 65535, "port");
	uint64_t end = num(av[1], 0, UINT64_MAX, "end");
	int ls = listen_tcp(port), c;
	uint8_t buf[4096];
	struct pollfd pf;

	if ((c = accept_until(ls, end)) == -1)
		return 0;
	pf.fd = c;
	pf.events = POLLIN;
	while (now_ns() < end) {
		ssize_t n;

		if (poll(&pf, 1, poll_ms(end)) <= 0)
			continue;
		if ((n = read(c, buf, sizeof(buf))) <= 0)
			break;
		if (write(c, buf, (size_t)n) != n)
			break;
	}
	return 0;
}

static int
tcp_rtt(char **av)
{
	const char *dst = av[0];
	uint16_t port = (uint16_t)num(av[1], 1, 65535, "port");
	size_t size = num(av[2], QF_HDR, 4096, "size");
	uint64_t ival = num(av[3], 1, 10000, "interval") * 1000000u;
	int tos = (int)num(av[4], 0, 255, "tos");
	uint64_t start = num(av[5], 0, UINT64_MAX, "start");
	uint64_t secs = num(av[6], 1, 3600, "secs");
	uint64_t end = num(av[7], 0, UINT64_MAX, "end");
	uint64_t stop = start + secs * 1000000000u, next = start;
	FILE *f = open_csv(av[8]);
	int s = connect_tcp(dst, port, tos), one = 1;
	uint8_t out[4096], in[8192];
	size_t have = 0;
	uint32_t seq = 0, back = 0;

	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(out, 0x5a, size);
	sleep_until(start);
	while (now_ns() < end && (next < stop || back < seq)) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		uint64_t wake = next < stop && next < end ? next : end;
		ssize_t n;

		if (now_ns() >= next && next < stop) {
			put_hdr(out, seq++, now_ns());
			if (write(s, out, size) != (ssize_t)size)
				die("write");
			next += ival;
			continue;
		}
		if (poll(&pf, 1, poll_ms(wake)) <= 0)
			continue;
		if ((n = read(s, in + have, sizeof(in) - have)) <= 0)
			break;
		have += (size_t)n;
		while (have >= size) {
			struct qf_hdr h;

			if (get_hdr(in, size, &h) == 0)
				fprintf(f, "camera,%u,%llu,%llu,%zu\n", h.seq,
				    (unsigned long long)h.send_ns,
				    (unsigned long long)now_ns(), size);
			back++;
			memmove(in, in + size, have - size);
			have -= size;
		}
	}
	fclose(f);
	printf("sent %u echoed %u\n", seq, back);
	return 0;
}

static int
tcp_bulk(char **av)
{
	const char *dst = av[0];
	uint16_t port = (uint16_t)num(av[1], 1, 65535, "port");
	size_t size = num(av[2], QF_HDR, QF_MAXSIZE, "recsize");
	int tos = (int)num(av[3], 0, 255, "tos");
	uint64_t start = num(av[4], 0, UINT64_MAX, "start");
	uint64_t secs = num(av[5], 1, 3600, "secs");
	uint64_t stop = start + secs * 1000000000u;
	int s = connect_tcp(dst, port, tos);
	/* Keep little unsent data in the socket, so a record's timestamp is
	 * taken when TCP can soon send it: the delay measured is the
	 * network's, not a multi-megabyte send buffer's. */
	int lowat = 4096;
	static uint8_t buf[QF_MAXSIZE];
	uint32_t seq = 0;

	setsockopt(s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	memset(buf, 0x3c, size);
	sleep_until(start);
	while (now_ns() < stop) {
		struct pollfd pf = { .fd = s, .events = POLLOUT };
		size_t off = 0;

		if (poll(&pf, 1, poll_ms(stop)) <= 0)
			continue;
		put_hdr(buf, seq++, now_ns());
		while (off < size) {
			ssize_t n = write(s, buf + off, size - off);

			if (n <= 0)
				die("write");
			off += (size_t)n;
		}
	}
	shutdown(s, SHUT_WR);
	printf("sent %u\n", seq);
	close(s);
	return 0;
}

static int
tcp_sink(char **av)
{
	uint16_t port = (uint16_t)num(av[0], 1, 65535, "port");
	const char *cls = av[1];
	size_t size = num(av[2], QF_HDR, QF_MAXSIZE, "recsize");
	uint64_t end = num(av[3], 0, UINT64_MAX, "end");
	FILE *f = open_csv(av[4]);
	int ls = listen_tcp(port), c;
	static uint8_t rec[QF_MAXSIZE];
	uint8_t buf[16384];
	size_t have = 0;
	struct pollfd pf;

	if ((c = accept_until(ls, end)) == -1) {
		fclose(f);
		return 0;
	}
	pf.fd = c;
	pf.events = POLLIN;
	while (now_ns() < end) {
		ssize_t n;
		size_t off = 0;

		if (poll(&pf, 1, poll_ms(end)) <= 0)
			continue;
		if ((n = read(c, buf, sizeof(buf))) <= 0)
			break;
		while (off < (size_t)n) {
			size_t take = size - have;
			struct qf_hdr h;

			if (take > (size_t)n - off)
				take = (size_t)n - off;
			memcpy(rec + have, buf + off, take);
			have += take;
			off += take;
			if (have < size)
				break;
			if (get_hdr(rec, size, &h) == 0)
				fprintf(f, "%s,%u,%llu,%llu,%zu\n", cls, h.seq,
				    (unsigned long long)h.send_ns,
				    (unsigned long long)now_ns(), size);
			have = 0;
		}
	}
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int         nargs;
		int       (*fn)(char **);
	} modes[] = {
		{ "udp-send", 7, udp_send }, { "udp-recv", 4, udp_recv },
		{ "tcp-echo", 2, tcp_echo }, { "tcp-rtt", 9, tcp_rtt },
		{ "tcp-bulk", 6, tcp_bulk }, { "tcp-sink", 5, tcp_sink },
	};

	if (argc == 2 && strcmp(argv[1], "now") == 0) {
		printf("%llu\n", (unsigned long long)now_ns());
		return 0;
	}
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[1], modes[i].name) == 0) {
			if (argc - 2 != modes[i].nargs)
				usage();
			return modes[i].fn(argv + 2);
		}
	usage();
	return 2;
}
