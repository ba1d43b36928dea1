// Command vectors prints Merkle tree test vectors computed with golang.org/x/mod/sumdb/tlog,
// an implementation we did not write, for tests/unit/test_tlog.c (tests/data/tlog/vectors.txt).
// Run: GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(mktemp -d) go run main.go
package main

import (
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

type storage []tlog.Hash

func (s storage) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = s[x]
	}
	return out, nil
}

func join(p []tlog.Hash) string {
	var parts []string
	for _, h := range p {
		parts = append(parts, fmt.Sprintf("%x", h[:]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// emit prints roots, all inclusion proofs and all consistency proofs up to max leaves, and
// the proofs of the listed (index or old, size) pairs beyond.
func emit(name string, leaves [][]byte, full int64, pairs [][2]int64) {
	var s storage
	for i, l := range leaves {
		h, err := tlog.StoredHashes(int64(i), l, s)
		if err != nil {
			panic(err)
		}
		s = append(s, h...)
	}
	n := int64(len(leaves))
	for size := int64(0); size <= n; size++ {
		r, _ := tlog.TreeHash(size, s)
		if size >= 1 && (size <= full || size == n) { // Go hashes the empty tree as zeros
			fmt.Printf("root %s %d %x\n", name, size, r[:])
		}
	}
	proofs := func(m, size int64) {
		p, err := tlog.ProveRecord(size, m, s)
		if err == nil && m < size {
			fmt.Printf("incl %s %d %d %s\n", name, m, size, join(p))
		}
		if m >= 1 && m <= size {
			c, err := tlog.ProveTree(size, m, s)
			if err != nil {
				panic(err)
			}
			fmt.Printf("cons %s %d %d %s\n", name, m, size, join(c))
		}
	}
	for size := int64(1); size <= full; size++ {
		for m := int64(0); m <= size; m++ {
			proofs(m, size)
		}
	}
	for _, p := range pairs {
		proofs(p[0], p[1])
	}
}

func main() {
	// The eight leaves of the Certificate Transparency test tree (RFC 6962 test data).
	ct := [][]byte{{}, {0x00}, {0x10}, {0x20, 0x21}, {0x30, 0x31}, {0x40, 0x41, 0x42, 0x43},
		{0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
		{0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f}}
	emit("ct", ct, 8, nil)
	// 1000 leaves "entry <i>": proofs across tile and power-of-two boundaries.
	var big [][]byte
	for i := 0; i < 1000; i++ {
		big = append(big, []byte(fmt.Sprintf("entry %d", i)))
	}
	emit("big", big, 0, [][2]int64{{0, 1000}, {255, 256}, {256, 257}, {511, 1000}, {999, 1000},
		{1, 1000}, {256, 1000}, {300, 700}, {511, 512}, {512, 513}, {697, 999}, {1000, 1000}})
}
