/* recall-storm: command line, summary and the per-second CSV (bench/storm/run drives it). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storm.h"

#ifndef RECALL_VERSION_STRING
#define RECALL_VERSION_STRING "0"
#endif

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: recall-storm [options]\n"
	       "  -d, --devices N      devices in the region (10000000)\n"
	       "  -s, --sample N       of which run by the real agent core (100000)\n"
	       "  -c, --chunk N        real cores in memory at once, one round each (100000)\n"
	       "  -n, --nodes N        responder nodes (4)\n"
	       "  -a, --capacity R     answers per second per node (309690)\n"
	       "  -q, --queue N        datagrams a node's socket queue holds (3640)\n"
	       "  -b, --boot MS        agents start uniformly within MS of power-on (5000)\n"
	       "  -S, --spread MS      the agent's start-spread (60000; 0: boot check-in at once)\n"
	       "  -r, --rtt MS         round trip (20)\n"
	       "  -H, --horizon S      simulate at most S seconds (1800)\n"
	       "  -e, --seed N         (1)\n"
	       "  -o, --csv FILE       per second and node: arrived, answered, dropped, qmax\n"
	       "  -Q, --quiet          no progress lines\n"
	       "  -A, --attach         devices were up before: their network returns within the\n"
	       "                       boot window (rc_agent_attach, not rc_agent_start)\n"
	       "  -C, --check          exit 2 unless every device was answered, none gave up and\n"
	       "                       the real cores agree with the model (KS, alpha 0.001)\n"
	       "  -h, --help, -V, --version\n");
}

static int num(const char *opt, const char *s, double lo, double hi, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !(*v >= lo && *v <= hi)) {
		fprintf(stderr, "recall-storm: %s: '%s' is not a number in %g..%g\n", opt, s, lo,
			hi);
		return -1;
	}
	return 0;
}

static int parse(int argc, char **argv, struct storm_opts *o)
{
	static const struct option lo[] = {
	    {"devices", 1, NULL, 'd'}, {"sample", 1, NULL, 's'},   {"chunk", 1, NULL, 'c'},
	    {"nodes", 1, NULL, 'n'},   {"capacity", 1, NULL, 'a'}, {"queue", 1, NULL, 'q'},
	    {"boot", 1, NULL, 'b'},    {"spread", 1, NULL, 'S'},   {"rtt", 1, NULL, 'r'},
	    {"horizon", 1, NULL, 'H'}, {"seed", 1, NULL, 'e'},     {"csv", 1, NULL, 'o'},
	    {"quiet", 0, NULL, 'Q'},   {"help", 0, NULL, 'h'},     {"version", 0, NULL, 'V'},
	    {"check", 0, NULL, 'C'},   {"attach", 0, NULL, 'A'},   {NULL, 0, NULL, 0}};
	*o = (struct storm_opts){.devices = 10000000,
				 .sample = 100000,
				 .chunk = 100000,
				 .nodes = 4,
				 .capacity = 309690,
				 .queue = 3640,
				 .boot_ms = 5000,
				 .spread_ms = 60000,
				 .rtt_ms = 20,
				 .horizon_ms = 1800000,
				 .seed = 1};
	int c;
	double v;
	while ((c = getopt_long(argc, argv, "d:s:c:n:a:q:b:S:r:H:e:o:QCAhV", lo, NULL)) != -1) {
		int err = 0;
		switch (c) {
		case 'd':
			err = num("--devices", optarg, 1, 50e6, &v), o->devices = (uint64_t)v;
			break;
		case 's':
			err = num("--sample", optarg, 0, 50e6, &v), o->sample = (uint64_t)v;
			break;
		case 'c':
			err = num("--chunk", optarg, 1, 200000, &v), o->chunk = (uint64_t)v;
			break;
		case 'n':
			err = num("--nodes", optarg, 1, 64, &v), o->nodes = (unsigned)v;
			break;
		case 'a':
			err = num("--capacity", optarg, 1, 1e8, &o->capacity);
			break;
		case 'q':
			err = num("--queue", optarg, 1, 1e7, &v), o->queue = (uint64_t)v;
			break;
		case 'b':
			err = num("--boot", optarg, 0, 3600e3, &v), o->boot_ms = (uint64_t)v;
			break;
		case 'S':
			err = num("--spread", optarg, 0, 600e3, &v), o->spread_ms = (uint32_t)v;
			break;
		case 'r':
			err = num("--rtt", optarg, 0, 10e3, &v), o->rtt_ms = (uint64_t)v;
			break;
		case 'H':
			err = num("--horizon", optarg, 1, 86400, &v);
			o->horizon_ms = (uint64_t)v * 1000;
			break;
		case 'e':
			err = num("--seed", optarg, 1, 1e15, &v), o->seed = (uint64_t)v;
			break;
		case 'o':
			o->csv = optarg;
			break;
		case 'Q':
			o->quiet = true;
			break;
		case 'C':
			o->check = true;
			break;
		case 'A':
			o->attach = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("recall-storm %s\n", RECALL_VERSION_STRING);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (err)
			return -1;
	}
	if (optind != argc) {
		fprintf(stderr, "recall-storm: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->boot_ms > o->horizon_ms) {
		fprintf(stderr, "recall-storm: --boot is longer than --horizon\n");
		return -1;
	}
	return 0;
}

static int write_csv(const struct storm_opts *o, const struct storm_result *r)
{
	FILE *f = fopen(o->csv, "w");
	if (!f) {
		fprintf(stderr, "recall-storm: %s: %s\n", o->csv, strerror(errno));
		return -1;
	}
	fprintf(f, "second,node,arrived,answered,dropped,qmax,devices_answered\n");
	uint64_t last = r->t_end / 1000;
	for (uint64_t s = 0; s <= last && s < r->nsec; s++)
		for (unsigned k = 0; k < o->nodes; k++) {
			const struct storm_sec *x = &r->secs[k * r->nsec + s];
			fprintf(f, "%llu,%u,%llu,%llu,%llu,%llu,%llu\n", (unsigned long long)s, k,
				(unsigned long long)x->arrived, (unsigned long long)x->answered,
				(unsigned long long)x->dropped, (unsigned long long)x->qmax,
				(unsigned long long)r->answered_by_sec[s]);
		}
	if (fclose(f) != 0) {
		fprintf(stderr, "recall-storm: %s: %s\n", o->csv, strerror(errno));
		return -1;
	}
	return 0;
}

static double mean_attempts(const uint64_t a[16])
{
	uint64_t n = 0, s = 0;
	for (int i = 1; i < 16; i++) {
		n += a[i];
		s += a[i] * (uint64_t)i;
	}
	return n ? (double)s / (double)n : 0;
}

/* Percentile p of a histogram, in seconds. */
static double pct(const struct storm_hist *h, double p, uint64_t bins)
{
	uint64_t want = (uint64_t)ceil(p * (double)h->n), c = 0;
	for (uint64_t t = 0; t < bins; t++)
		if ((c += h->bin[t]) >= want && want)
			return (double)t / 1000.0;
	return -1;
}

static bool report(const struct storm_opts *o, const struct storm_result *r)
{
	uint64_t bins = o->horizon_ms + 1, peak = 0;
	for (uint64_t s = 0; s < r->nsec; s++)
		for (unsigned k = 0; k < o->nodes; k++)
			if (r->secs[k * r->nsec + s].arrived > peak)
				peak = r->secs[k * r->nsec + s].arrived;
	printf("devices %llu, nodes %u x %.0f answers/s, queue %llu, %s window %.3f s, "
	       "start-spread %.3f s, rtt %llu ms\n",
	       (unsigned long long)o->devices, o->nodes, o->capacity, (unsigned long long)o->queue,
	       o->attach ? "network (attach)" : "boot", (double)o->boot_ms / 1000,
	       (double)o->spread_ms / 1000, (unsigned long long)o->rtt_ms);
	printf("answered %llu, gave up %llu, unanswered at the end %llu\n",
	       (unsigned long long)r->answered, (unsigned long long)r->gaveup,
	       (unsigned long long)r->waiting);
	char t999[32] = "never";
	if (r->answered * 1000 >= r->devices * 999)
		snprintf(t999, sizeof(t999), "%.3f", (double)r->t_999 / 1000);
	printf("99.9%% answered at %s s; all at %s%.3f s\n", t999, r->t_all ? "" : "(not all) ",
	       (double)(r->t_all ? r->t_all : r->t_end) / 1000);
	printf("datagrams %llu, dropped at full queues %llu (%.2f%%), largest queue %llu of "
	       "%llu, peak arrivals %llu/s at one node\n",
	       (unsigned long long)r->datagrams, (unsigned long long)r->dropped,
	       r->datagrams ? 100.0 * (double)r->dropped / (double)r->datagrams : 0,
	       (unsigned long long)r->qmax, (unsigned long long)o->queue, (unsigned long long)peak);
	double n = (double)r->sent[1].n, m = (double)r->sent[0].n;
	double ds = storm_ks(&r->sent[0], &r->sent[1], bins);
	double da = storm_ks(&r->ans[0], &r->ans[1], bins);
	double crit = 1.949 * sqrt((n + m) / (n * m)); /* two-sample KS, alpha 0.001 */
	double na = (double)r->ans[1].n, ma = (double)r->ans[0].n;
	double crita = 1.949 * sqrt((na + ma) / (na * ma));
	printf("sample: %llu real cores answered, %llu gave up\n",
	       (unsigned long long)r->real_answered, (unsigned long long)r->real_gaveup);
	printf("agreement: attempt send times KS D %.5f (critical %.5f at alpha 0.001; %llu real, "
	       "%llu model attempts); answer times KS D %.5f (critical %.5f)\n",
	       ds, crit, (unsigned long long)r->sent[1].n, (unsigned long long)r->sent[0].n, da,
	       crita);
	printf("agreement: attempts per device, model %.4f real %.4f; send time p50/p90/p99 s: "
	       "model %.3f/%.3f/%.3f real %.3f/%.3f/%.3f\n",
	       mean_attempts(r->attempts[0]), mean_attempts(r->attempts[1]),
	       pct(&r->sent[0], .5, bins), pct(&r->sent[0], .9, bins), pct(&r->sent[0], .99, bins),
	       pct(&r->sent[1], .5, bins), pct(&r->sent[1], .9, bins), pct(&r->sent[1], .99, bins));
	printf("agreement: devices by attempts (1, 2, 3, 4, 5+): model");
	for (int k = 0; k < 2; k++) {
		uint64_t more = 0;
		for (int i = 5; i < 16; i++)
			more += r->attempts[k][i];
		double t = 0;
		for (int i = 1; i < 16; i++)
			t += (double)r->attempts[k][i];
		if (k)
			printf(" real");
		for (int i = 1; i <= 5; i++)
			printf(" %.4f", t ? (double)(i < 5 ? r->attempts[k][i] : more) / t : 0);
	}
	bool ok = r->t_all && !r->gaveup && ds < crit && da < crita;
	printf("\nverdict: %s\n", ok ? "ok" : "NOT OK");
	return ok;
}

int main(int argc, char **argv)
{
	struct storm_opts o;
	if (parse(argc, argv, &o) < 0)
		return 64;
	struct storm_result r;
	if (storm_run(&o, &r) < 0)
		return 1;
	bool ok = report(&o, &r);
	int rc = o.csv && write_csv(&o, &r) < 0 ? 1 : o.check && !ok ? 2 : 0;
	storm_result_free(&r);
	return rc;
}
