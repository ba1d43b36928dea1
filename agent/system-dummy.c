/* Dummy backend: records every call instead of touching the kernel (unit tests, and the
 * loopback integration tests, which must never change the host's routing). Also holds the
 * backend-independent helpers of system.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system.h"

#define CALLS_MAX 64
#define CALL_LEN  160

static char calls[CALLS_MAX][CALL_LEN];
static size_t ncalls;
static bool active;
static unsigned pending, failing;
static const char *record_path;

static void record(const char *what, const char *arg)
{
	char *c = calls[ncalls < CALLS_MAX ? ncalls++ : CALLS_MAX - 1];
	snprintf(c, CALL_LEN, "%s%s%s", what, arg[0] ? " " : "", arg);
	if (!record_path)
		return;
	FILE *f = fopen(record_path, "a");
	if (f) {
		fprintf(f, "%s\n", c);
		fclose(f);
	}
}

static int dm_init(const struct sys_params *p)
{
	char b[32];
	snprintf(b, sizeof(b), "%u/%u", (unsigned)p->table, (unsigned)p->pref);
	record("init", b);
	return 0;
}

static bool fail_now(void)
{
	if (!failing)
		return false;
	failing--;
	errno = EIO;
	return true;
}

static int dm_apply(const struct sys_quarantine *q)
{
	char list[CALL_LEN - 8] = "";
	for (size_t i = 0; i < q->nallow; i++) {
		char one[56];
		size_t l = strlen(list);
		sys_prefix_str(&q->allow[i], one, sizeof(one));
		snprintf(list + l, sizeof(list) - l, "%s%s", l ? " " : "", one);
	}
	record("apply", list);
	if (fail_now())
		return -1;
	active = true;
	return 0;
}

static int dm_release(void)
{
	record("release", "");
	if (fail_now())
		return -1;
	active = false;
	return 0;
}

static int dm_monitor_fd(void)
{
	return -1;
}

static unsigned dm_monitor_read(void)
{
	unsigned ev = pending;
	pending = 0;
	return ev;
}

static void dm_done(void)
{
	record("done", "");
}

const struct sys_ops sys_dummy = {
    .name = "dummy",
    .init = dm_init,
    .apply = dm_apply,
    .release = dm_release,
    .monitor_fd = dm_monitor_fd,
    .monitor_read = dm_monitor_read,
    .done = dm_done,
};

size_t sys_dummy_ncalls(void)
{
	return ncalls;
}

const char *sys_dummy_call(size_t i)
{
	return i < ncalls ? calls[i] : NULL;
}

bool sys_dummy_active(void)
{
	return active;
}

void sys_dummy_inject(unsigned events)
{
	pending |= events;
}

void sys_dummy_reset(void)
{
	ncalls = 0;
	active = false;
	pending = failing = 0;
}

void sys_dummy_record_to(const char *path)
{
	record_path = path;
}

void sys_dummy_fail(unsigned n)
{
	failing = n;
}

const struct sys_ops *sys_find(const char *name)
{
	if (strcmp(name, "linux") == 0)
		return &sys_linux;
	if (strcmp(name, "dummy") == 0)
		return &sys_dummy;
	return NULL;
}

int sys_prefix_parse(struct sys_prefix *p, const char *s)
{
	char a[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = 0;
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, a, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, a, p->addr) == 1)
		p->family = 6;
	else
		return -1;
	unsigned max = p->family == 4 ? 32 : 128;
	p->plen = (uint8_t)max;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || l > max)
			return -1;
		p->plen = (uint8_t)l;
	}
	return 0;
}

void sys_lan_bound(struct sys_prefix *out, const struct sys_prefix *addr)
{
	unsigned max = addr->family == 4 ? 32 : 128,
		 min = addr->family == 4 ? SYS_LAN4_MIN : SYS_LAN6_MIN;
	unsigned plen = addr->plen < min ? min : addr->plen > max ? max : addr->plen;
	memset(out, 0, sizeof(*out));
	out->family = addr->family;
	out->plen = (uint8_t)plen;
	for (unsigned i = 0; i < max / 8 && plen; i++) {
		unsigned take = plen > 8 ? 8 : plen;
		out->addr[i] = (uint8_t)(addr->addr[i] & (0xff << (8 - take)));
		plen -= take;
	}
}

const char *sys_prefix_str(const struct sys_prefix *p, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(out, cap, "%s/%u", a, p->plen);
	return out;
}
