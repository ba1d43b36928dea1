/* Test fixtures built with librecall's own encoders and signers. */
#include <string.h>

#include <sodium.h>

#include "fixtures.h"
#include "recall/cose.h"

void fx_key(struct fx_key *k, uint8_t seed)
{
	uint8_t s[crypto_sign_SEEDBYTES];
	memset(s, seed, sizeof(s));
	if (sodium_init() < 0)
		return;
	crypto_sign_seed_keypair(k->pk, k->sk, s);
}

int fx_anchors(struct rc_anchors *a, struct fx_key *keys, size_t n, uint32_t k, uint64_t epoch,
	       uint8_t seed0)
{
	uint8_t pks[RC_ANCHOR_MAX][RC_PK_LEN];
	if (n == 0 || n > RC_ANCHOR_MAX)
		return RC_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		fx_key(&keys[i], (uint8_t)(seed0 + i));
		memcpy(pks[i], keys[i].pk, RC_PK_LEN);
	}
	return rc_anchors_init(a, epoch, k, (const uint8_t(*)[RC_PK_LEN])pks, n);
}

void fx_identity(struct rc_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->vendor = rc_str_c("acme");
	id->model = rc_str_c("cam-1");
	id->hwrev = rc_str_c("a");
	id->fwver = rc_str_c("1.2.3");
}

void fx_notice(struct rc_notice *n, uint64_t now)
{
	memset(n, 0, sizeof(*n));
	n->id = rc_str_c("RC-TEST-1");
	n->issued = now - 86400;
	n->not_before = now - 86400;
	n->expiry = now + 30u * 86400u;
	n->target.vendor = rc_str_c("acme");
	n->target.model = rc_str_c("cam-1");
	n->target.nversions = 1;
	n->target.versions[0] = rc_str_c("1.2.3");
	n->action = RC_ACTION_QUARANTINE;
	n->severity = RC_SEV_HIGH;
	n->nrefs = 1;
	n->refs[0] = rc_str_c("CVE-2099-0001");
	n->text = rc_str_c("Remote code execution in the web UI. Update the firmware.");
	n->remedy_url = rc_str_c("https://example.com/fw");
	n->nendpoints = 1;
	n->endpoints[0].family = 4;
	memcpy(n->endpoints[0].addr, (const uint8_t[]){192, 0, 2, 80}, 4);
	n->endpoints[0].plen = 32;
}

void fx_min_notice(struct rc_notice *n)
{
	memset(n, 0, sizeof(*n));
	n->id = rc_str_c("n1");
	n->expiry = 10;
	n->target.vendor = rc_str_c("acme");
	n->target.model = rc_str_c("cam-1");
	n->target.nversions = 1;
	n->target.versions[0] = rc_str_c("1.0");
	n->remedy_url = rc_str_c("https://x");
}

int fx_sign(uint8_t *out, size_t cap, size_t *len, uint64_t ct, const uint8_t *payload, size_t plen,
	    const struct fx_key *keys, size_t nkeys)
{
	uint8_t tmp[4096];
	size_t tl;
	if (cap > sizeof(tmp))
		cap = sizeof(tmp);
	int err = rc_cose_encode_unsigned(out, cap, len, ct, payload, plen);
	for (size_t i = 0; !err && i < nkeys; i++) {
		memcpy(tmp, out, *len);
		tl = *len;
		err = rc_cose_sign_add(out, cap, len, tmp, tl, keys[i].sk);
	}
	return err;
}

int fx_signed_notice(uint8_t *out, size_t cap, size_t *len, const struct rc_notice *n,
		     const struct fx_key *keys, size_t nkeys)
{
	uint8_t payload[RC_NOTICE_MAX];
	size_t pl;
	int err = rc_notice_encode(n, payload, sizeof(payload), &pl);
	if (err)
		return err;
	return fx_sign(out, cap, len, RC_CT_NOTICE, payload, pl, keys, nkeys);
}

int fx_rotation(uint8_t *out, size_t cap, size_t *len, const struct rc_anchors *from,
		const struct rc_anchors *next, const struct fx_key *keys, size_t nkeys)
{
	struct rc_rotation r;
	uint8_t payload[1024];
	size_t pl;
	memset(&r, 0, sizeof(r));
	r.from_epoch = from->epoch;
	r.next = *next;
	int err = rc_rotation_encode(&r, payload, sizeof(payload), &pl);
	if (err)
		return err;
	return fx_sign(out, cap, len, RC_CT_ROTATION, payload, pl, keys, nkeys);
}

int fx_answer(uint8_t *out, size_t cap, size_t *len, uint8_t t,
	      const uint8_t nonce[static RC_NONCE_LEN], uint64_t arg, const uint8_t *blob,
	      size_t blob_len)
{
	struct rc_answer a;
	memset(&a, 0, sizeof(a));
	a.type = t;
	memcpy(a.nonce, nonce, RC_NONCE_LEN);
	a.serial = arg;
	a.delay = (uint32_t)arg;
	a.max_version = arg;
	a.blob = blob;
	a.blob_len = blob_len;
	return rc_answer_encode(&a, out, cap, len);
}
