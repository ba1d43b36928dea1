#!/bin/sh
# Authority keys in a PKCS#11 token (SoftHSM2 in a scratch directory, through p11-kit): keygen
# in the token, then a notice, a rotation statement, a feed, log checkpoints and a publication
# signed with token keys and checked by the unchanged verifiers; the private key is sensitive and not
# extractable; a wrong URI, PIN, module, key or key type is refused with a message naming it.
. "$(dirname "$0")/tool_common"
MOD=/usr/lib/softhsm/libsofthsm2.so
if [ ! -e "$MOD" ] || ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null ||
	! command -v p11tool >/dev/null; then
	echo "SKIP: softhsm2, opensc (pkcs11-tool) or gnutls-bin (p11tool) not installed"
	exit 77
fi
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >softhsm2.conf
export SOFTHSM2_CONF="$T/softhsm2.conf"
# Under ASan: SoftHSM2's own leak in C_Sign is not recall's (softhsm2.lsan.supp).
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SRC/tests/integration/softhsm2.lsan.supp"
export LSAN_OPTIONS
unset RECALL_PKCS11_PIN
softhsm2-util --init-token --free --label recall-test --pin 1234 --so-pin 5678 >/dev/null ||
	fail "softhsm2-util --init-token"
TOK="pkcs11:token=recall-test"
P="pin-value=1234"

# Keys made in the token: the public key line is printed and written with --pub.
expect 0 "$R" keygen -C "alice's token" --pub alice.pub "$TOK;object=alice?$P" &&
	has out "secret key in the token (not extractable)"
tail -n 1 out >printed.pub
same printed.pub alice.pub
has alice.pub "recall-ed25519-public "
has alice.pub " alice's token"
expect 0 "$R" keygen --pub feed.pub "$TOK;object=feed?module-path=$MOD&$P"
expect 0 "$R" keygen --pub log.pub "$TOK;object=log?$P"
expect 1 "$R" keygen --pub again.pub "$TOK;object=alice?$P" && has err "already holds an object"
expect 0 "$R" keygen --json --pub erin.pub "$TOK;object=erin?$P" && cp out erin.json
eq "$(json erin.json 'd["in_token"]') $(json erin.json 'd["secret_key_file"]')" "True None"
eq "$(json erin.json 'd["public_key"]')" "$(cat erin.pub)" "(token public key line)"
[ ! -e again.pub ] || fail "again.pub written for a refused key"
expect 1 "$R" keygen "$TOK?$P" && has err "object=NAME"

# The private keys are sensitive and never extractable (the token's own view).
pkcs11-tool --module "$MOD" --token-label recall-test --login --pin 1234 --list-objects \
	--type privkey >objs 2>&1 || fail "pkcs11-tool --list-objects"
eq "$(grep -c 'Private Key Object; EC_EDWARDS' objs)" 4 "(Ed25519 private keys in the token)"
eq "$(grep -c 'Access: *sensitive, always sensitive, never extractable' objs)" 4 "(access flags)"
lacks objs ", extractable"
# Asking the token for the key's value fails: CKA_SENSITIVE hides it.
expect 1 env GNUTLS_PIN=1234 p11tool --provider "$MOD" --login --export \
	"$TOK;object=alice;type=private" && has err "not available"

# A notice signed by a token key and a file key verifies with the unchanged verifier.
"$R" keygen bob >/dev/null && "$R" keygen carol >/dev/null || fail "keygen bob carol"
"$R" anchors create --k 2 -o anchors.cbor alice.pub bob.pub carol.pub >/dev/null ||
	fail "anchors create"
"$R" notice create -o cam.notice "$DATA/cam.json" >/dev/null || fail "notice create"
expect 0 "$R" notice sign -k "$TOK;object=alice?$P" cam.notice
"$R" notice sign -k bob.key cam.notice >/dev/null || fail "notice sign bob"
expect 0 "$R" notice verify -a anchors.cbor --at 2025-01-02 cam.notice &&
	has out "threshold met: 2 valid of 2 needed"
# The PIN from a file, from the environment; Ed25519 signatures are deterministic, so the
# token's signature is the same whichever way the PIN came.
printf '1234\n' >pin
cp cam.notice cam1.notice
expect 0 "$R" notice sign -k "$TOK;object=alice?pin-source=file:$T/pin" cam.notice
same cam.notice cam1.notice
expect 0 env RECALL_PKCS11_PIN=1234 "$R" notice sign -k "$TOK;object=alice" cam.notice
same cam.notice cam1.notice

# A rotation statement signed by two token keys... and a file key.
"$R" keygen -C dave --pub dave.pub "$TOK;object=dave?$P" >/dev/null || fail "keygen dave"
"$R" anchors create --k 2 --epoch 2 -o e2.cbor dave.pub carol.pub >/dev/null || fail "e2"
expect 0 "$R" anchors rotate --from anchors.cbor --to e2.cbor -k "$TOK;object=alice?$P" \
	-k bob.key -o rot
expect 0 "$R" anchors verify anchors.cbor rot && has out "accepted: 2 of 2 needed signatures"

# A feed signed by the feed key in the token (module loaded from module-path=).
expect 0 "$R" feed build -k "$TOK;object=feed?module-path=$MOD&$P" -a anchors.cbor \
	--issued 2025-01-01 --valid 30d -o f1 cam.notice && has out "f1: feed serial"
expect 0 "$R" feed verify -K feed.pub -a anchors.cbor --at 2025-01-02 f1 && has out "feed valid"
expect 1 "$R" feed verify -K alice.pub -a anchors.cbor --at 2025-01-02 f1

# A log whose checkpoints the token key signs.
expect 0 "$R" log create --origin example.org/hsm-log --key "$TOK;object=log?$P" L
printf '%s\n' "$(cat out)" >log.vkey
expect 0 "$R" log vkey --origin example.org/hsm-log log.pub
eq "$(cat out)" "$(cat log.vkey)" "(log vkey from the token's public key)"
expect 0 "$R" log append --key "$TOK;object=log?$P" --anchors anchors.cbor L cam.notice rot
has out "L: 2 entries"
expect 0 "$R" log verify --vkey log.vkey L/checkpoint && has out "size 2"
expect 1 "$R" log append --key "$TOK;object=alice?$P" --anchors anchors.cbor L cam.notice
has err "not signed by the key in"

# A publication whose log and top file token keys sign (docs/PUBLISH.md): the reader takes it
# under the feed key's public half only.
PROBE="$BUILD/responder/recalld-probe"
[ -x "$PROBE" ] || fail "no $PROBE"
mkdir pf && "$PROBE" fixture "$T/pf" -n 2 -L log.pub -O example.org/hsm-pub -W 3 -Q 2 || fail "fixture"
expect 0 "$R" log create --origin example.org/hsm-pub --key "$TOK;object=log?$P" PL
expect 0 "$R" log append --key "$TOK;object=log?$P" --anchors pf/anchors PL pf/n1.notice \
	pf/n2.notice
"$PROBE" cosign PL/checkpoint -w 0 -w 1 || fail "cosign"
expect 0 "$R" publish -k "$TOK;object=feed?module-path=$MOD&$P" -a pf/anchors -l PL PUB &&
	has out "PUB: serial 1, log size 2 (2 new), 2 notices in the feed"
expect 0 "$R" publish verify -K feed.pub -a pf/anchors PUB && has out "new: serial 1"
expect 1 "$R" publish verify -K alice.pub -a pf/anchors PUB && has err "cose.signatures"
expect 1 "$R" publish -k "$TOK;object=alice?$P" -a pf/anchors -l PL PUB &&
	has err "recall-publication"

# Refusals: each names the URI (the PIN masked) and what to do.
pkcs11-tool --module "$MOD" --token-label recall-test --login --pin 1234 --keypairgen \
	--key-type EC:prime256v1 --label p256 --id 0102 >/dev/null 2>&1 || fail "P-256 key"
expect 1 "$R" notice sign -k "$TOK;object=p256?$P" cam.notice &&
	has err "the key is an ECDSA key (CKK_EC); recall signs with Ed25519 keys only"
expect 1 "$R" notice sign -k "$TOK;object=nokey?$P" cam.notice &&
	has err "no private key matches in token 'recall-test'"
expect 1 "$R" notice sign -k "$TOK;object=alice?pin-value=0000" cam.notice &&
	has err "$TOK;object=alice?pin-value=***: wrong PIN for token 'recall-test'"
lacks err "0000"
expect 1 "$R" notice sign -k "$TOK;object=alice?module-path=$T/none.so&$P" cam.notice &&
	has err "module-path: cannot load $T/none.so"
expect 1 "$R" notice sign -k "$TOK;object=alice?module-name=nosuch&$P" cam.notice &&
	has err "no PKCS#11 module matches (p11-kit modules: "
expect 1 "$R" notice sign -k "pkcs11:token=nosuch;object=alice?$P" cam.notice &&
	has err "no token matches (tokens present: "
expect 1 "$R" notice sign -k "$TOK;object=%zz" cam.notice && has err "not a valid pkcs11: URI"
expect 1 "$R" notice sign -k "$TOK;obj%65ct=alice?$P" cam.notice && has err "p11-kit does not know"
expect 1 "$R" notice sign -k "$TOK;object=alice;type=cert?$P" cam.notice && has err "type=private"
expect 1 "$R" notice sign -k "$TOK;object=alice?pin-source=$T/nopin" cam.notice &&
	has err "pin-source: $T/nopin: No such file"
# No PIN and no terminal (setsid: no controlling tty): say where a PIN can come from.
expect 1 setsid -w "$R" notice sign -k "$TOK;object=alice" cam.notice &&
	has err "needs a PIN: add pin-source=FILE to the URI, set RECALL_PKCS11_PIN"
same cam.notice cam1.notice
finish
