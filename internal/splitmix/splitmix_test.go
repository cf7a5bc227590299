package splitmix_test

import (
	"hash/fnv"
	"testing"

	"github.com/chaosrun/chaosrun/internal/splitmix"
)

// The values the history digests depend on, computed once by hand-coded
// versions of the same functions: a change here changes every seed's history.
func TestValuesArePinned(t *testing.T) {
	t.Parallel()
	if got, want := splitmix.Mix(1), uint64(0x5692161d100b05e5); got != want {
		t.Errorf("Mix(1) = %#x, want %#x", got, want)
	}
	s := splitmix.Stream(0)
	if got, want := s.Next(), uint64(0xe220a8397b1dcdaf); got != want {
		t.Errorf("the first value of Stream(0) = %#x, want %#x (splitmix64's reference output)", got, want)
	}
	if got, want := splitmix.String(7, "acme"), splitmix.Mix(splitmix.Fold(7, "acme")); got != want {
		t.Errorf("String(7, acme) = %#x, want Mix(Fold(7, acme)) = %#x", got, want)
	}
}

func TestHashIsFNV1a(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a", "acme:insert_record", "\x00\xff"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got, want := splitmix.Hash(s), h.Sum64(); got != want {
			t.Errorf("Hash(%q) = %#x, want FNV-1a %#x", s, got, want)
		}
	}
}

func TestMixIsABijectionOnASample(t *testing.T) {
	t.Parallel()
	seen := map[uint64]uint64{}
	for z := uint64(0); z < 1<<16; z++ {
		m := splitmix.Mix(z)
		if prev, ok := seen[m]; ok {
			t.Fatalf("Mix(%d) = Mix(%d) = %#x", z, prev, m)
		}
		seen[m] = z
	}
}
