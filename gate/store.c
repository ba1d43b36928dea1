/* The inventory on disk: state_dir/inventory.json (jansson), written atomically (temporary
 * file, fsync, rename, fsync of the folder) and read back at start. A file that does not parse
 * or does not have the expected shape is refused as a whole with an error naming the file and
 * the position (line:column, or the JSON path of the bad member); it is kept aside as
 * inventory.json.bad and the gate starts with an empty inventory: the devices come back as they
 * are seen again, and quarantines are held by the enforcement's own state (enforce.json). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inv_int.h"
#include "recall/text.h"

#define STORE_FORMAT   "recall-gate-inventory"
#define STORE_FILE_MAX (8u << 20) /* 512 devices of ~4 KiB each fit many times over */

static json_t *val_json(const struct gate_val *v)
{
	return json_pack("{s:s, s:s, s:I}", "value", v->v, "source", gate_src_name(v->src), "seen",
			 (json_int_t)v->seen);
}

void *gate_dev_json(const struct gate_inv *inv, const struct gate_device *d, uint64_t now,
		    bool status)
{
	char mac[18], a[64];
	gate_mac_format(d->mac, mac);
	json_t *o = json_object(), *addrs = json_array(), *fields = json_object();
	if (!o || !addrs || !fields) {
		json_decref(o);
		json_decref(addrs);
		json_decref(fields);
		return NULL;
	}
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "first_seen", json_integer((json_int_t)d->first_seen));
	json_object_set_new(o, "last_seen", json_integer((json_int_t)d->last_seen));
	for (uint32_t i = 0; i < d->naddr && i < GATE_ADDRS_MAX; i++) {
		gate_addr_format(&d->addr[i], a, sizeof(a));
		json_array_append_new(
		    addrs, json_pack("{s:s, s:I}", "addr", a, "seen", (json_int_t)d->addr[i].seen));
	}
	json_object_set_new(o, "addrs", addrs);
	for (unsigned i = 0; i < GF__N; i++)
		if (d->f[i].src != GS_NONE)
			json_object_set_new(fields, gate_field_name(i), val_json(&d->f[i]));
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "state", json_string(gate_state_name(d->state)));
	json_object_set_new(o, "policy", json_string(gate_policy_name(d->policy)));
	json_object_set_new(o, "notice", json_string(d->notice_id));
	json_object_set_new(o, "checked", json_integer((json_int_t)d->checked));
	if (!status)
		return o;
	json_object_set_new(o, "mac_random", json_boolean(d->mac_random));
	json_object_set_new(o, "present", json_boolean(!gate_inv_absent(inv, d, now)));
	json_object_set_new(o, "confidence", json_string(gate_conf_name(d->conf)));
	if (d->conf >= GATE_CONF_MODEL) {
		const struct rc_identity *id = &d->id;
		json_object_set_new(o, "identity",
				    json_pack("{s:s%, s:s%, s:s%, s:s%}", "vendor",
					      id->vendor.p ? id->vendor.p : "", id->vendor.n,
					      "model", id->model.p ? id->model.p : "", id->model.n,
					      "hwrev", id->hwrev.p ? id->hwrev.p : "", id->hwrev.n,
					      "fwver", id->fwver.p ? id->fwver.p : "",
					      id->fwver.n));
	}
	json_object_set_new(o, "mapping", json_string(d->mapping));
	json_t *src = json_array();
	bool seen[GS__N] = {false};
	for (unsigned i = 0; i < GF__N; i++)
		seen[d->f[i].src < GS__N ? d->f[i].src : 0] = true;
	for (unsigned s = 1; s < GS__N; s++)
		if (seen[s])
			json_array_append_new(src, json_string(gate_src_name(s)));
	json_object_set_new(o, "sources", src);
	return o;
}

char *gate_inv_dumps(const struct gate_inv *inv)
{
	json_t *root =
	    json_pack("{s:s, s:i, s:[]}", "format", STORE_FORMAT, "version", 1, "devices");
	json_t *arr = root ? json_object_get(root, "devices") : NULL;
	for (size_t i = 0; arr && i < inv->n; i++) {
		json_t *d = gate_dev_json(inv, &inv->dev[i], 0, false);
		if (!d || json_array_append_new(arr, d) < 0)
			arr = NULL;
	}
	char *text = arr ? json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	return text;
}

int gate_inv_save_path(struct gate_inv *inv, const char *dir, char *err, size_t errlen)
{
	char *text = gate_inv_dumps(inv);
	if (!text) {
		snprintf(err, errlen, "inventory: out of memory");
		return -1;
	}
	int rc = -1, dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = dfd < 0 ? -1
			 : openat(dfd, GATED_INV_FILE ".tmp",
				  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t len = strlen(text), off = 0;
	while (fd >= 0 && off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (fd >= 0 && off == len && fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		if (renameat(dfd, GATED_INV_FILE ".tmp", dfd, GATED_INV_FILE) == 0 &&
		    fsync(dfd) == 0)
			rc = 0;
	}
	if (rc < 0)
		snprintf(err, errlen, "inventory: cannot write %s/%s: %s", dir, GATED_INV_FILE,
			 strerror(errno));
	else
		inv->dirty = inv->seen_dirty = false;
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(text);
	return rc;
}

int gate_inv_save(struct gate *g)
{
	char err[512];
	return gate_inv_save_path(g->inv, g->cfg.state_dir, err, sizeof(err));
}

/* Reading: each helper writes "where: what" into err and returns -1. */
struct rd {
	char *err;
	size_t errlen;
	const char *path;
};

static int bad(struct rd *r, const char *where, const char *what)
{
	snprintf(r->err, r->errlen, "%s: %s: %s", r->path, where, what);
	return -1;
}

static int get_u64(struct rd *r, json_t *o, const char *key, const char *where, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	char w[96];
	snprintf(w, sizeof(w), "%s.%s", where, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(r, w, "not a non-negative integer");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* A string member into out (cap bytes): must fit and be already safe text. */
static int get_str(struct rd *r, json_t *o, const char *key, const char *where, char *out,
		   size_t cap)
{
	json_t *v = json_object_get(o, key);
	char w[96];
	snprintf(w, sizeof(w), "%s.%s", where, key);
	if (!json_is_string(v))
		return bad(r, w, "not a string");
	size_t n = json_string_length(v);
	char safe[RC_TEXT_SAFE_CAP(GATE_VAL_MAX)];
	if (n >= cap || n >= GATE_VAL_MAX)
		return bad(r, w, "too long");
	rc_text_safe(safe, sizeof(safe), json_string_value(v), n, RC_TEXT_ONELINE);
	if (strlen(safe) != n || memcmp(safe, json_string_value(v), n) != 0)
		return bad(r, w, "control bytes or invalid UTF-8");
	memcpy(out, safe, n + 1);
	return 0;
}

static int get_name(struct rd *r, json_t *o, const char *key, const char *where,
		    int (*index)(const char *), int *out)
{
	char s[32], w[96];
	if (get_str(r, o, key, where, s, sizeof(s)) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.%s", where, key);
	if ((*out = index(s)) < 0)
		return bad(r, w, "unknown name");
	return 0;
}

static int read_device(struct rd *r, json_t *j, const char *where, struct gate_device *d)
{
	char mac[18], w[96], w2[128];
	json_t *addrs, *fields, *v;
	const char *key;
	int idx;
	if (!json_is_object(j))
		return bad(r, where, "not an object");
	if (get_str(r, j, "mac", where, mac, sizeof(mac)) < 0)
		return -1;
	if (gate_mac_parse(mac, d->mac) < 0 || (d->mac[0] & 1))
		return bad(r, where, "mac is not a unicast MAC address aa:bb:cc:dd:ee:ff");
	d->mac_random = (d->mac[0] & 2) != 0;
	if (get_u64(r, j, "first_seen", where, &d->first_seen) < 0 ||
	    get_u64(r, j, "last_seen", where, &d->last_seen) < 0 ||
	    get_u64(r, j, "checked", where, &d->checked) < 0 ||
	    get_str(r, j, "notice", where, d->notice_id, sizeof(d->notice_id)) < 0)
		return -1;
	if (get_name(r, j, "state", where, inv_state_index, &idx) < 0)
		return -1;
	d->state = (enum gate_state)idx;
	if (get_name(r, j, "policy", where, inv_policy_index, &idx) < 0)
		return -1;
	d->policy = (enum gate_policy)idx;
	addrs = json_object_get(j, "addrs");
	if (!json_is_array(addrs) || json_array_size(addrs) > GATE_ADDRS_MAX)
		return bad(r, where, "addrs is not an array of at most 8 addresses");
	for (size_t i = 0; i < json_array_size(addrs); i++) {
		char a[64];
		snprintf(w, sizeof(w), "%s.addrs[%zu]", where, i);
		v = json_array_get(addrs, i);
		if (!json_is_object(v) || get_str(r, v, "addr", w, a, sizeof(a)) < 0 ||
		    get_u64(r, v, "seen", w, &d->addr[i].seen) < 0)
			return r->err[0] ? -1 : bad(r, w, "not an object");
		uint64_t seen = d->addr[i].seen;
		if (gate_addr_parse(a, &d->addr[i]) < 0)
			return bad(r, w, "addr is not an IPv4 or IPv6 address");
		d->addr[i].seen = seen;
	}
	d->naddr = (uint32_t)json_array_size(addrs);
	fields = json_object_get(j, "fields");
	if (!json_is_object(fields))
		return bad(r, where, "fields is not an object");
	json_object_foreach(fields, key, v)
	{
		int fi = inv_field_index(key), si;
		snprintf(w2, sizeof(w2), "%s.fields.%.40s", where, key);
		if (fi < 0)
			return bad(r, w2, "unknown field");
		if (!json_is_object(v))
			return bad(r, w2, "not an object");
		struct gate_val *f = &d->f[fi];
		if (get_str(r, v, "value", w2, f->v, sizeof(f->v)) < 0 ||
		    get_u64(r, v, "seen", w2, &f->seen) < 0 ||
		    get_name(r, v, "source", w2, inv_src_index, &si) < 0)
			return -1;
		if (si == GS_NONE)
			return bad(r, w2, "source none");
		f->src = (uint8_t)si;
	}
	return 0;
}

static int parse_store(struct rd *r, const char *buf, size_t len, struct gate_inv *inv)
{
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(r->err, r->errlen, "%s:%d:%d (byte %d): %s", r->path, je.line, je.column,
			 je.position, je.text);
		return -1;
	}
	int rc = -1;
	json_t *fmt = json_object_get(root, "format"), *ver = json_object_get(root, "version");
	json_t *devs = json_object_get(root, "devices");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), STORE_FORMAT) != 0)
		bad(r, "format", "not \"" STORE_FORMAT "\"");
	else if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		bad(r, "version", "not 1");
	else if (!json_is_array(devs) || json_array_size(devs) > GATE_DEVICES_MAX)
		bad(r, "devices", "not an array of at most 512 devices");
	else
		rc = 0;
	for (size_t i = 0; rc == 0 && i < json_array_size(devs); i++) {
		char where[32];
		snprintf(where, sizeof(where), "devices[%zu]", i);
		struct gate_device *d = &inv->dev[inv->n];
		memset(d, 0, sizeof(*d));
		if (read_device(r, json_array_get(devs, i), where, d) < 0)
			rc = -1;
		else if (gate_inv_find(inv, d->mac))
			rc = bad(r, where, "the same mac twice");
		else
			inv->n++;
	}
	json_decref(root);
	return rc;
}

int gate_inv_parse(struct gate_inv *inv, const char *name, const char *buf, size_t len, char *err,
		   size_t errlen)
{
	struct rd r = {err, errlen, name};
	err[0] = 0;
	if (parse_store(&r, buf, len, inv) == 0) {
		inv->dirty = inv->seen_dirty = false;
		return 0;
	}
	memset(inv->dev, 0, inv->n * sizeof(inv->dev[0]));
	inv->n = 0;
	return -1;
}

int gate_inv_load(struct gate *g, char *err, size_t errlen)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", g->cfg.state_dir, GATED_INV_FILE);
	err[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	struct stat st;
	char *buf = NULL;
	ssize_t n = -1;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || st.st_size > STORE_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path,
			 STORE_FILE_MAX);
	} else if ((buf = malloc((size_t)st.st_size + 1)) != NULL) {
		size_t off = 0;
		while (off < (size_t)st.st_size) {
			ssize_t k = read(fd, buf + off, (size_t)st.st_size - off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			off += (size_t)k;
		}
		n = (ssize_t)off;
		if (off != (size_t)st.st_size)
			snprintf(err, errlen, "%s: short read", path);
	}
	if (fd >= 0)
		close(fd);
	int rc = -1;
	if (buf && !err[0])
		rc = gate_inv_parse(g->inv, path, buf, (size_t)n, err, errlen);
	free(buf);
	if (rc == 0)
		return 0;
	/* Refused: nothing of it is kept, the file is put aside for the owner to look at. */
	char aside[520];
	snprintf(aside, sizeof(aside), "%s.bad", path);
	if (rename(path, aside) == 0) {
		size_t l = strlen(err);
		snprintf(err + l, errlen - l,
			 " (kept aside as %s; starting with an empty inventory)", aside);
	}
	return -1;
}
