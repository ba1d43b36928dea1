/* Ed25519 keys in a PKCS#11 token through p11-kit (p11key.h). URI parsing and matching are
 * p11-kit's (p11_kit_uri_*); this file finds one token and one key and signs with it.
 * Messages name the URI with any pin-value= masked, never the PIN. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>
#include <sodium.h>

#include "p11key.h"
#include "util.h"

#define PIN_MAX   256
#define NAME_MAX_ 512

struct p11key {
	CK_FUNCTION_LIST **mods; /* from p11-kit's configuration, or NULL */
	CK_FUNCTION_LIST *mod;   /* the module holding the token */
	bool direct;             /* mod loaded from module-path= */
	CK_SESSION_HANDLE s;
	bool session, login;
	CK_OBJECT_HANDLE priv;
	char token[33];
	char name[NAME_MAX_]; /* the URI for messages, pin-value masked */
};

/* Ed25519's curve in CKA_EC_PARAMS: the OID 1.3.101.112, or the PrintableString form. */
static const uint8_t ed25519_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t ed25519_str[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
				      'd',  's',  '2', '5', '5', '1', '9'};
static const uint8_t ed448_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x71};
#define CKK_MONTGOMERY_ 0x41UL /* CKK_EC_MONTGOMERY (PKCS#11 3.0), not in p11-kit 0.24 */

bool p11_is_uri(const char *s)
{
	return s && !strncmp(s, "pkcs11:", 7);
}

static void mask_pin(char out[static NAME_MAX_], const char *uri)
{
	size_t o = 0;
	for (const char *p = uri; *p && o < NAME_MAX_ - 4;) {
		if (!strncmp(p, "pin-value=", 10)) {
			o += (size_t)snprintf(out + o, NAME_MAX_ - o, "pin-value=***");
			p += strcspn(p, ";&?");
			continue;
		}
		out[o++] = *p++;
	}
	out[o < NAME_MAX_ ? o : NAME_MAX_ - 1] = 0;
}

static void fail_rv(const struct p11key *k, const char *what, CK_RV rv)
{
	warnx_("%s: %s: %s (0x%lx)", tsafe(k->name), what, p11_kit_strerror(rv), (unsigned long)rv);
}

/* Trim a blank-padded PKCS#11 text field into out (n + 1 bytes). */
static void trim(char *out, const CK_UTF8CHAR *f, size_t n)
{
	while (n && f[n - 1] == ' ')
		n--;
	memcpy(out, f, n);
	out[n] = 0;
}

static int load_modules(struct p11key *k, P11KitUri *u)
{
	const char *path = p11_kit_uri_get_module_path(u);
	if (path) {
		k->mod = p11_kit_module_load(path, 0);
		if (!k->mod) {
			warnx_("%s: module-path: cannot load %s: %s", tsafe(k->name), tsafe(path),
			       p11_kit_message() ? p11_kit_message() : "unknown error");
			return -1;
		}
		CK_RV rv = p11_kit_module_initialize(k->mod);
		if (rv != CKR_OK) {
			fail_rv(k, "cannot initialise the module", rv);
			p11_kit_module_release(k->mod);
			k->mod = NULL;
			return -1;
		}
		k->direct = true;
		return 0;
	}
	k->mods = p11_kit_modules_load_and_initialize(0);
	if (!k->mods || !k->mods[0]) {
		warnx_("%s: no PKCS#11 module is configured in p11-kit; add "
		       "module-path=/path/to/module.so to the URI",
		       tsafe(k->name));
		return -1;
	}
	return 0;
}

/* Does module m pass the URI's module-name= and library-* attributes? Without module-name=,
 * p11-kit's trust module is left out: it holds certificates only, and its token would make
 * every URI without token= ambiguous. Names of modules seen go to names. */
static bool module_matches(P11KitUri *u, CK_FUNCTION_LIST *m, char *names, size_t cap)
{
	const char *want = p11_kit_uri_get_module_name(u);
	char *name = p11_kit_module_get_name(m);
	size_t l = strlen(names);
	if (name && l < cap - 40)
		snprintf(names + l, cap - l, "%s%s", l ? ", " : "", tsafe(name));
	bool ok = want ? name && !strcmp(name, want) : !name || strcmp(name, "p11-kit-trust");
	free(name);
	if (!ok)
		return false;
	CK_INFO info;
	return m->C_GetInfo(&info) == CKR_OK && p11_kit_uri_match_module_info(u, &info);
}

/* Exactly one initialised token matching the URI: sets k->mod, *slot, *ti. */
static int find_token(struct p11key *k, P11KitUri *u, CK_SLOT_ID *slot, CK_TOKEN_INFO *ti)
{
	CK_FUNCTION_LIST *one[2] = {k->mod, NULL};
	CK_FUNCTION_LIST **mods = k->direct ? one : k->mods;
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(u);
	int found = 0, nmod = 0;
	char seen[256] = "", names[256] = "";
	for (size_t i = 0; mods[i]; i++) {
		if (!module_matches(u, mods[i], names, sizeof(names)))
			continue;
		nmod++;
		CK_SLOT_ID slots[64];
		CK_ULONG ns = 64;
		if (mods[i]->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK)
			continue;
		for (CK_ULONG j = 0; j < ns; j++) {
			CK_SLOT_INFO si;
			CK_TOKEN_INFO t;
			if ((want != (CK_SLOT_ID)-1 && slots[j] != want) ||
			    mods[i]->C_GetSlotInfo(slots[j], &si) != CKR_OK ||
			    mods[i]->C_GetTokenInfo(slots[j], &t) != CKR_OK ||
			    !(t.flags & CKF_TOKEN_INITIALIZED))
				continue;
			char label[33];
			trim(label, t.label, 32);
			size_t l = strlen(seen);
			if (l < sizeof(seen) - 40)
				snprintf(seen + l, sizeof(seen) - l, "%s'%s'", l ? ", " : "",
					 tsafe(label));
			if (!p11_kit_uri_match_slot_info(u, &si) ||
			    !p11_kit_uri_match_token_info(u, &t))
				continue;
			if (found++ == 0) {
				k->mod = mods[i];
				*slot = slots[j];
				*ti = t;
				memcpy(k->token, label, sizeof(label));
			}
		}
	}
	if (found == 1)
		return 0;
	if (nmod == 0)
		warnx_("%s: no PKCS#11 module matches (p11-kit modules: %s)", tsafe(k->name),
		       *names ? names : "none");
	else if (found == 0)
		warnx_("%s: no token matches (tokens present: %s)", tsafe(k->name),
		       *seen ? seen : "none");
	else
		warnx_("%s: %d tokens match (%s); add token= to the URI", tsafe(k->name), found,
		       seen);
	return -1;
}

/* The PIN: pin-value=, pin-source= (a file or file: URI), $RECALL_PKCS11_PIN, or the
 * terminal. Returns its length or -1; pin is sodium_malloc memory of PIN_MAX + 1 bytes. */
static int get_pin(struct p11key *k, P11KitUri *u, char *pin)
{
	const char *v = p11_kit_uri_get_pin_value(u), *src = p11_kit_uri_get_pin_source(u);
	if (!v)
		v = getenv(P11_PIN_ENV);
	if (v && !src) {
		if (strlen(v) > PIN_MAX) {
			warnx_("%s: the PIN is longer than %d bytes", tsafe(k->name), PIN_MAX);
			return -1;
		}
		strcpy(pin, v);
		return (int)strlen(pin);
	}
	int fd;
	const char *path = src ? src : "/dev/tty";
	if (src && !strncmp(src, "file:", 5))
		path = src + 5;
	fd = open(path, (src ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (src)
			warnx_("%s: pin-source: %s: %s", tsafe(k->name), tsafe(path),
			       strerror(errno));
		else
			warnx_("%s: token '%s' needs a PIN: add pin-source=FILE to the URI, set "
			       "%s, or run on a terminal",
			       tsafe(k->name), tsafe(k->token), P11_PIN_ENV);
		return -1;
	}
	struct termios old, quiet;
	bool tty = !src && tcgetattr(fd, &old) == 0;
	if (tty) {
		dprintf(fd, "PIN for token '%s': ", tsafe(k->token));
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	ssize_t n = 0, r;
	while (n < PIN_MAX && (r = read(fd, pin + n, 1)) == 1 && pin[n] != '\n')
		n++;
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		dprintf(fd, "\n");
	}
	close(fd);
	while (n && (pin[n - 1] == '\n' || pin[n - 1] == '\r'))
		n--;
	pin[n] = 0;
	if (n == PIN_MAX) {
		warnx_("%s: the PIN is longer than %d bytes", tsafe(k->name), PIN_MAX - 1);
		return -1;
	}
	return (int)n;
}

static int login(struct p11key *k, P11KitUri *u, const CK_TOKEN_INFO *ti)
{
	if (!(ti->flags & CKF_LOGIN_REQUIRED))
		return 0;
	char *pin = sodium_malloc(PIN_MAX + 1);
	if (!pin) {
		warnx_("%s: cannot allocate protected memory", tsafe(k->name));
		return -1;
	}
	int n = get_pin(k, u, pin);
	CK_RV rv =
	    n < 0 ? CKR_OK : k->mod->C_Login(k->s, CKU_USER, (CK_UTF8CHAR *)pin, (CK_ULONG)n);
	sodium_free(pin);
	if (n < 0)
		return -1;
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
		warnx_("%s: wrong PIN for token '%s'", tsafe(k->name), tsafe(k->token));
		return -1;
	}
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		fail_rv(k, "login", rv);
		return -1;
	}
	k->login = rv == CKR_OK;
	return 0;
}

/* Parse the URI, load the module(s), find the token, open a session and log in. On failure
 * *kp may still need p11_close and *up p11_kit_uri_free. */
static int open_token(struct p11key **kp, const char *uri, bool rw, P11KitUri **up)
{
	struct p11key *k = *kp = calloc(1, sizeof(*k));
	if (!k) {
		warnx_("out of memory");
		return -1;
	}
	mask_pin(k->name, uri);
	P11KitUri *u = p11_kit_uri_new();
	if (!u) {
		warnx_("out of memory");
		return -1;
	}
	*up = u;
	int r = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u);
	if (r != P11_KIT_URI_OK) {
		warnx_("%s: not a valid pkcs11: URI (RFC 7512): %s", tsafe(k->name),
		       p11_kit_uri_message(r));
		return -1;
	}
	if (p11_kit_uri_any_unrecognized(u)) {
		warnx_("%s: the URI has an attribute p11-kit does not know (RFC 7512 names: token, "
		       "object, id, type, module-path, pin-value, pin-source...)",
		       tsafe(k->name));
		return -1;
	}
	CK_ATTRIBUTE *cls = p11_kit_uri_get_attribute(u, CKA_CLASS);
	if (cls && (cls->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
		    *(CK_OBJECT_CLASS *)cls->pValue != CKO_PRIVATE_KEY)) {
		warnx_("%s: type=: the URI must name a private key (type=private)", tsafe(k->name));
		return -1;
	}
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	if (load_modules(k, u) < 0 || find_token(k, u, &slot, &ti) < 0)
		return -1;
	CK_RV rv = k->mod->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL,
					 NULL, &k->s);
	if (rv != CKR_OK) {
		fail_rv(k, "cannot open a session", rv);
		return -1;
	}
	k->session = true;
	return login(k, u, &ti);
}

/* Objects matching tmpl: up to 2 handles in h, count in *n. */
static int find(struct p11key *k, CK_ATTRIBUTE *tmpl, CK_ULONG nt, CK_OBJECT_HANDLE h[2],
		CK_ULONG *n)
{
	CK_RV rv = k->mod->C_FindObjectsInit(k->s, tmpl, nt);
	if (rv == CKR_OK) {
		rv = k->mod->C_FindObjects(k->s, h, 2, n);
		k->mod->C_FindObjectsFinal(k->s);
	}
	if (rv != CKR_OK)
		fail_rv(k, "cannot search the token", rv);
	return rv == CKR_OK ? 0 : -1;
}

/* A template of the URI's object attributes (object=, id=) and class cls. */
static CK_ULONG uri_template(P11KitUri *u, CK_ATTRIBUTE t[4], CK_OBJECT_CLASS *cls)
{
	CK_ULONG n = 0, na = 0;
	CK_ATTRIBUTE *a = p11_kit_uri_get_attributes(u, &na);
	for (CK_ULONG i = 0; i < na && n < 3; i++)
		if (a[i].type == CKA_LABEL || a[i].type == CKA_ID)
			t[n++] = a[i];
	t[n++] = (CK_ATTRIBUTE){CKA_CLASS, cls, sizeof(*cls)};
	return n;
}

/* The Ed25519 public key of object h (CKA_EC_POINT: raw, or a DER OCTET STRING). */
static int read_point(struct p11key *k, CK_OBJECT_HANDLE h, uint8_t pk[static RC_PK_LEN])
{
	uint8_t pt[64];
	CK_ATTRIBUTE a = {CKA_EC_POINT, pt, sizeof(pt)};
	CK_RV rv = k->mod->C_GetAttributeValue(k->s, h, &a, 1);
	if (rv != CKR_OK) {
		fail_rv(k, "public key object: cannot read CKA_EC_POINT", rv);
		return -1;
	}
	const uint8_t *p = pt;
	if (a.ulValueLen == RC_PK_LEN + 2 && pt[0] == 0x04 && pt[1] == RC_PK_LEN)
		p += 2;
	else if (a.ulValueLen != RC_PK_LEN) {
		warnx_("%s: public key object: CKA_EC_POINT is not a 32-byte Ed25519 point",
		       tsafe(k->name));
		return -1;
	}
	memcpy(pk, p, RC_PK_LEN);
	return 0;
}

/* Refuse anything but an Ed25519 (CKK_EC_EDWARDS, curve edwards25519) key. */
static int check_ed25519(struct p11key *k, CK_OBJECT_HANDLE h)
{
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	uint8_t par[64];
	CK_ATTRIBUTE a[2] = {{CKA_KEY_TYPE, &kt, sizeof(kt)}, {CKA_EC_PARAMS, par, sizeof(par)}};
	k->mod->C_GetAttributeValue(k->s, h, a, 2);
	const char *type = kt == CKK_RSA           ? "an RSA key"
			   : kt == CKK_EC          ? "an ECDSA key (CKK_EC)"
			   : kt == CKK_MONTGOMERY_ ? "an X25519/X448 key (CKK_EC_MONTGOMERY)"
						   : "not an EdDSA key";
	if (kt != CKK_EC_EDWARDS) {
		warnx_("%s: the key is %s; recall signs with Ed25519 keys only (create one with "
		       "'recall keygen pkcs11:...')",
		       tsafe(k->name), type);
		return -1;
	}
	CK_ULONG n = a[1].ulValueLen;
	if ((n == sizeof(ed25519_oid) && !memcmp(par, ed25519_oid, n)) ||
	    (n == sizeof(ed25519_str) && !memcmp(par, ed25519_str, n)))
		return 0;
	warnx_("%s: the key is %s; recall signs with Ed25519 keys only", tsafe(k->name),
	       n == sizeof(ed448_oid) && !memcmp(par, ed448_oid, n)
		   ? "an Ed448 key"
		   : "an EdDSA key on an unknown curve");
	return -1;
}

/* The public key object paired with private key h: same CKA_ID, else same label. */
static int pair_public(struct p11key *k, CK_OBJECT_HANDLE h, uint8_t pk[static RC_PK_LEN])
{
	uint8_t id[256];
	char label[256];
	CK_ATTRIBUTE a[2] = {{CKA_ID, id, sizeof(id)}, {CKA_LABEL, label, sizeof(label)}};
	CK_RV rv = k->mod->C_GetAttributeValue(k->s, h, a, 2);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID) {
		fail_rv(k, "cannot read the key's id and label", rv);
		return -1;
	}
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, a[0]};
	if (a[0].ulValueLen == 0 || a[0].ulValueLen == CK_UNAVAILABLE_INFORMATION)
		t[1] = a[1];
	CK_OBJECT_HANDLE ph[2];
	CK_ULONG n = 0;
	if (t[1].ulValueLen != CK_UNAVAILABLE_INFORMATION && find(k, t, 2, ph, &n) < 0)
		return -1;
	if (n != 1) {
		warnx_("%s: %s in token '%s' (recall reads the public key from it)", tsafe(k->name),
		       n ? "two public key objects share the key's id"
			 : "no public key object has the key's id",
		       tsafe(k->token));
		return -1;
	}
	return read_point(k, ph[0], pk);
}

int p11_open(const char *uri, struct p11key **out, uint8_t pk[static RC_PK_LEN])
{
	*out = NULL;
	struct p11key *k = NULL;
	P11KitUri *u = NULL;
	int ret = -1;
	if (open_token(&k, uri, false, &u) < 0)
		goto out;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[4];
	CK_ULONG nt = uri_template(u, t, &cls), n = 0;
	CK_OBJECT_HANDLE h[2];
	if (find(k, t, nt, h, &n) < 0)
		goto out;
	if (n != 1) {
		warnx_("%s: %s in token '%s'%s", tsafe(k->name),
		       n ? "more than one private key matches" : "no private key matches",
		       tsafe(k->token),
		       n          ? "; add object= or id= to the URI"
		       : k->login ? ""
				  : " (no PIN given: the token may hide private keys)");
		goto out;
	}
	k->priv = h[0];
	if (check_ed25519(k, k->priv) < 0 || pair_public(k, k->priv, pk) < 0)
		goto out;
	*out = k;
	ret = 0;
out:
	p11_kit_uri_free(u);
	if (ret)
		p11_close(k);
	return ret;
}

int p11_sign(struct p11key *k, uint8_t sig[static RC_SIG_LEN], const uint8_t *msg, size_t len)
{
	CK_MECHANISM m = {CKM_EDDSA, NULL, 0};
	CK_ULONG sl = RC_SIG_LEN;
	CK_RV rv = k->mod->C_SignInit(k->s, &m, k->priv);
	if (rv == CKR_OK)
		rv = k->mod->C_Sign(k->s, (CK_BYTE *)(uintptr_t)msg, len, sig, &sl);
	if (rv == CKR_OK && sl != RC_SIG_LEN)
		rv = CKR_SIGNATURE_LEN_RANGE;
	if (rv != CKR_OK)
		fail_rv(k, "cannot sign with CKM_EDDSA", rv);
	return rv == CKR_OK ? 0 : -1;
}

void p11_close(struct p11key *k)
{
	if (!k)
		return;
	if (k->login)
		k->mod->C_Logout(k->s);
	if (k->session)
		k->mod->C_CloseSession(k->s);
	if (k->direct) {
		p11_kit_module_finalize(k->mod);
		p11_kit_module_release(k->mod);
	} else if (k->mods) {
		p11_kit_modules_finalize_and_release(k->mods);
	}
	free(k);
}

int p11_keygen(const char *uri, uint8_t pk[static RC_PK_LEN])
{
	struct p11key *k = NULL;
	P11KitUri *u = NULL;
	int ret = -1;
	if (open_token(&k, uri, true, &u) < 0)
		goto out;
	CK_ATTRIBUTE *lab = p11_kit_uri_get_attribute(u, CKA_LABEL);
	if (!lab || !lab->ulValueLen) {
		warnx_("%s: give the new key a name with object=NAME", tsafe(k->name));
		goto out;
	}
	CK_ATTRIBUTE *idp = p11_kit_uri_get_attribute(u, CKA_ID);
	uint8_t rid[16];
	randombytes_buf(rid, sizeof(rid));
	CK_ATTRIBUTE id = idp && idp->ulValueLen ? *idp : (CK_ATTRIBUTE){CKA_ID, rid, sizeof(rid)};
	/* Refuse a name or id already in use: a second key would make the URI ambiguous. */
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0, n2 = 0;
	if (find(k, lab, 1, h, &n) < 0 || find(k, &id, 1, h, &n2) < 0)
		goto out;
	if (n || n2) {
		warnx_("%s: token '%s' already holds an object with this %s; not making another",
		       tsafe(k->name), tsafe(k->token), n ? "label" : "id");
		goto out;
	}
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_KEY_TYPE kt = CKK_EC_EDWARDS;
	CK_ATTRIBUTE pub[] = {
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_VERIFY, &yes, sizeof(yes)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_EC_PARAMS, (void *)(uintptr_t)ed25519_oid, sizeof(ed25519_oid)},
	    *lab,
	    id,
	};
	CK_ATTRIBUTE priv[] = {
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &no, sizeof(no)},
	    {CKA_SIGN, &yes, sizeof(yes)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    *lab,
	    id,
	};
	CK_MECHANISM m = {CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_RV rv = k->mod->C_GenerateKeyPair(k->s, &m, pub, sizeof(pub) / sizeof(pub[0]), priv,
					     sizeof(priv) / sizeof(priv[0]), &hpub, &hpriv);
	if (rv != CKR_OK) {
		fail_rv(k, "cannot generate an Ed25519 key pair (CKM_EC_EDWARDS_KEY_PAIR_GEN)", rv);
		goto out;
	}
	ret = read_point(k, hpub, pk);
out:
	p11_kit_uri_free(u);
	p11_close(k);
	return ret;
}
