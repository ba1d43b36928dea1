// Command tlogcheck checks a recall transparency log with code we did not write: the note and
// tlog packages of golang.org/x/mod/sumdb and crypto/ed25519 (tests/integration/log_gocheck.sh).
//
//	tlogcheck -log DIR -vkey KEY [-incl PROOF=ENTRY]... [-cons PROOF=OLD=NEW]... [-cosig NOTE]
//	          [-wvkey WITNESSKEY]...
//
// It opens DIR/checkpoint with note.Open under KEY; reads every entry from the entry bundles;
// rebuilds the tree with tlog.StoredHashes and checks tlog.TreeHash against the checkpoint;
// reads our hash tiles through tlog.TileHashReader (which authenticates each tile against the
// tree) and compares every tile byte for byte with tlog.ReadTileData (Go names tiles
// tile/8/L/N, C2SP tile/L/N: the paths are mapped, the hashes compared); checks each
// c2sp.org/tlog-proof file with tlog.CheckRecord and each consistency proof with
// tlog.CheckTree; and checks a cosigned checkpoint (cosignature/v1) with crypto/ed25519. With
// -wvkey (witness verifier keys, algorithm 0x04), DIR/checkpoint must also carry a valid
// cosignature by each: note.Open matches the lines to the keys, cosigVerifier checks them.
// It prints one line per check and exits 1 on the first failure.
package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// open verifies a signed checkpoint with note.Open and parses its three lines.
func open(msg []byte, v note.Verifier) checkpoint {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		die("note.Open: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		die("checkpoint: fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != lines[1] {
		die("checkpoint: bad size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		die("checkpoint: bad root: %v", err)
	}
	return checkpoint{lines[0], size, root}
}

func read(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	return b
}

// C2SP tile path of a Go tile: no height segment, "entries" for data tiles.
func c2spPath(t tlog.Tile) string {
	p := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
	return strings.Replace(p, "tile/data/", "tile/entries/", 1)
}

type store []tlog.Hash

func (s store) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(s)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = s[x]
	}
	return out, nil
}

// ourTiles serves our tile files to tlog.TileHashReader.
type ourTiles struct{ dir string }

func (r ourTiles) Height() int { return 8 }
func (r ourTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(r.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (r ourTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// entries reads every entry from the bundles tile/entries/N[.p/W]: 2-byte length, bytes.
func entries(dir string, size int64) [][]byte {
	var out [][]byte
	for n := int64(0); n*256 < size; n++ {
		w := size - n*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: n, W: int(w)}
		b := read(filepath.Join(dir, c2spPath(t)))
		for i := int64(0); i < w; i++ {
			if len(b) < 2 || len(b) < 2+int(binary.BigEndian.Uint16(b)) {
				die("%s: entry %d truncated", c2spPath(t), i)
			}
			l := int(binary.BigEndian.Uint16(b))
			out = append(out, b[2:2+l])
			b = b[2+l:]
		}
		if len(b) != 0 {
			die("%s: %d bytes after %d entries", c2spPath(t), len(b), w)
		}
	}
	return out
}

func hashes(lines []string) []tlog.Hash {
	var out []tlog.Hash
	for _, l := range lines {
		h, err := tlog.ParseHash(l)
		if err != nil {
			die("proof hash %q: %v", l, err)
		}
		out = append(out, h)
	}
	return out
}

func main() {
	var incl, cons list
	dir := flag.String("log", "", "log directory")
	vkey := flag.String("vkey", "", "verifier key")
	cosig := flag.String("cosig", "", "cosigned checkpoint note (keys from seeds 0x01.., 0x02..)")
	flag.Var(&incl, "incl", "PROOF=ENTRY")
	flag.Var(&cons, "cons", "PROOF=OLDCHECKPOINT=NEWCHECKPOINT")
	var wvkeys list
	flag.Var(&wvkeys, "wvkey", "witness verifier key (cosignature/v1)")
	flag.Parse()
	if *cosig != "" {
		checkCosig(read(*cosig))
	}
	if *dir == "" {
		return
	}
	v, err := note.NewVerifier(*vkey)
	if err != nil {
		die("note.NewVerifier: %v", err)
	}
	cp := open(read(filepath.Join(*dir, "checkpoint")), v)
	if cp.origin != v.Name() {
		die("origin %q is not the key name %q", cp.origin, v.Name())
	}
	fmt.Printf("checkpoint: note.Open ok, %s size %d\n", cp.origin, cp.size)
	if len(wvkeys) > 0 {
		checkWitnessed(read(filepath.Join(*dir, "checkpoint")), v, wvkeys)
	}

	var s store
	for i, e := range entries(*dir, cp.size) {
		h, err := tlog.StoredHashes(int64(i), e, s)
		if err != nil {
			die("StoredHashes: %v", err)
		}
		s = append(s, h...)
	}
	th, err := tlog.TreeHash(cp.size, s)
	if err != nil || th != cp.root {
		die("TreeHash over the entries = %v, checkpoint says %v (%v)", th, cp.root, err)
	}
	fmt.Printf("entries: %d, TreeHash matches the checkpoint root\n", cp.size)

	// Go publishes every partial width on the way; a C2SP log need only serve the tiles of
	// its current size: full tiles and the one partial tile per level.
	var tiles []tlog.Tile
	for _, t := range tlog.NewTiles(8, 0, cp.size) {
		if t.W == 256 || int64(t.W) == cp.size>>(8*t.L)-t.N*256 {
			tiles = append(tiles, t)
		}
	}
	for _, t := range tiles {
		want, err := tlog.ReadTileData(t, s)
		if err != nil {
			die("ReadTileData %s: %v", t.Path(), err)
		}
		got := read(filepath.Join(*dir, c2spPath(t)))
		if !bytes.Equal(got, want) {
			die("%s differs from Go's %s", c2spPath(t), t.Path())
		}
	}
	thr := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.root}, ourTiles{*dir})
	if th2, err := tlog.TreeHash(cp.size, thr); err != nil || th2 != cp.root {
		die("TreeHash through TileHashReader over our tiles: %v", err)
	}
	fmt.Printf("tiles: %d identical to Go's, authenticated by TileHashReader\n", len(tiles))

	for _, arg := range incl {
		f := strings.SplitN(arg, "=", 2)
		text := string(read(f[0]))
		head, rest, ok := strings.Cut(text, "\n\n")
		lines := strings.Split(head, "\n")
		if !ok || len(lines) < 2 || lines[0] != "c2sp.org/tlog-proof@v1" ||
			!strings.HasPrefix(lines[1], "index ") {
			die("%s: not a tlog-proof", f[0])
		}
		idx, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "index "), 10, 64)
		if err != nil {
			die("%s: index: %v", f[0], err)
		}
		pc := open([]byte(rest), v)
		p := hashes(lines[2:])
		if err := tlog.CheckRecord(p, pc.size, pc.root, idx, tlog.RecordHash(read(f[1]))); err != nil {
			die("%s: CheckRecord: %v", f[0], err)
		}
		gp, err := tlog.ProveRecord(pc.size, idx, thr)
		if err != nil || fmt.Sprint(gp) != fmt.Sprint(tlog.RecordProof(p)) {
			die("%s: differs from Go's ProveRecord over our tiles (%v)", f[0], err)
		}
		fmt.Printf("%s: CheckRecord ok (entry %d of %d), same as ProveRecord\n", f[0], idx, pc.size)
	}
	for _, arg := range cons {
		f := strings.SplitN(arg, "=", 3)
		old, cur := open(read(f[1]), v), open(read(f[2]), v)
		var lines []string
		sc := bufio.NewScanner(bytes.NewReader(read(f[0])))
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		p := hashes(lines)
		if err := tlog.CheckTree(p, cur.size, cur.root, old.size, old.root); err != nil {
			die("%s: CheckTree: %v", f[0], err)
		}
		fmt.Printf("%s: CheckTree ok (%d to %d)\n", f[0], old.size, cur.size)
	}
}

// checkCosig checks the checkpoint note that tests/unit/test_note.c writes (fuzz seed
// corpus/note/cosigned-checkpoint): log key from seed 32 x 0x01 (note signature), witness key
// from seed 32 x 0x02 (cosignature/v1, key id over algorithm byte 0x04).
func checkCosig(msg []byte) {
	logPriv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	witPriv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	vk, err := note.NewEd25519VerifierKey("example.org/log", logPriv.Public().(ed25519.PublicKey))
	if err != nil {
		die("%v", err)
	}
	v, _ := note.NewVerifier(vk)
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		die("cosigned note: note.Open: %v", err)
	}
	wpub := witPriv.Public().(ed25519.PublicKey)
	id := sha256.Sum256(append([]byte("witness.example\n\x04"), wpub...))
	for _, s := range n.UnverifiedSigs {
		if s.Name != "witness.example" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil || len(raw) != 4+8+64 || !bytes.Equal(raw[:4], id[:4]) {
			die("cosignature: bad encoding or key id")
		}
		t := binary.BigEndian.Uint64(raw[4:12])
		m := fmt.Sprintf("cosignature/v1\ntime %d\n%s", t, n.Text)
		if !ed25519.Verify(wpub, []byte(m), raw[12:]) {
			die("cosignature: ed25519.Verify failed")
		}
		fmt.Printf("cosignature: ed25519.Verify ok (time %d), log signature note.Open ok\n", t)
		return
	}
	die("cosignature: no witness.example line")
}

// cosigVerifier is a note.Verifier for a cosignature/v1 key (c2sp.org/tlog-cosignature): the
// signature is an 8-byte big-endian timestamp and an Ed25519 signature of
// "cosignature/v1\ntime <t>\n" followed by the note text.
type cosigVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	time uint64
}

func (c *cosigVerifier) Name() string    { return c.name }
func (c *cosigVerifier) KeyHash() uint32 { return c.hash }
func (c *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	m := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	if t >= 1<<63 || !ed25519.Verify(c.pub, m, sig[8:]) {
		return false
	}
	c.time = t
	return true
}

// newCosigVerifier parses NAME+KEYHASH+BASE64(0x04 || public key) and checks the key hash.
func newCosigVerifier(vkey string) *cosigVerifier {
	f := strings.SplitN(vkey, "+", 3)
	if len(f) != 3 {
		die("witness key %q: not NAME+HASH+KEY", vkey)
	}
	h, err1 := strconv.ParseUint(f[1], 16, 32)
	k, err2 := base64.StdEncoding.DecodeString(f[2])
	if err1 != nil || err2 != nil || len(k) != 33 || k[0] != 4 {
		die("witness key %q: not a cosignature/v1 Ed25519 key", vkey)
	}
	id := sha256.Sum256(append([]byte(f[0]+"\n"), k...))
	if binary.BigEndian.Uint32(id[:4]) != uint32(h) {
		die("witness key %q: key hash does not match", vkey)
	}
	return &cosigVerifier{name: f[0], hash: uint32(h), pub: ed25519.PublicKey(k[1:])}
}

// checkWitnessed opens the checkpoint with the log key and every witness key: each must have
// signed (note.Open returns the verified signatures in n.Sigs).
func checkWitnessed(msg []byte, logv note.Verifier, wvkeys []string) {
	vs := []note.Verifier{logv}
	var ws []*cosigVerifier
	for _, k := range wvkeys {
		w := newCosigVerifier(k)
		ws = append(ws, w)
		vs = append(vs, w)
	}
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		die("cosigned checkpoint: note.Open: %v", err)
	}
	for _, w := range ws {
		found := false
		for _, s := range n.Sigs {
			found = found || (s.Name == w.name && s.Hash == w.hash)
		}
		if !found {
			die("cosigned checkpoint: no valid cosignature by %s", w.name)
		}
		fmt.Printf("cosigned checkpoint: note.Open ok, cosignature by %s (time %d)\n", w.name, w.time)
	}
}
