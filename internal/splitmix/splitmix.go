// Package splitmix is the one hashing scheme behind chaosrun's deterministic
// draws: where a fault fires (faults), how much jitter a backoff gets
// (reference/engine), and the data and costs the fake world draws from a
// payload (fakes, worlds). Strings are folded in FNV-1a style and the
// result scattered by splitmix64's finaliser; a [Stream] draws a sequence
// from one seed.
//
// Every value these functions compute is pinned by the simulation's history
// digests (harness/testdata/digests.txt): changing one constant or one
// shift changes every seed's history.
package splitmix

// Golden is splitmix64's increment, 2^64 divided by the golden ratio.
const Golden = 0x9e3779b97f4a7c15

// OffsetBasis is FNV-1a's initial value, for [Fold] from nothing.
const OffsetBasis = 14695981039346656037

// prime is FNV-1a's 64-bit prime.
const prime = 0x100000001b3

// Mix is splitmix64's finaliser: a bijection of the 64-bit values that
// scatters every input bit over the output.
func Mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Fold folds the bytes of s into h, FNV-1a style, with no finaliser: the
// FNV-1a hash of s is Fold(OffsetBasis, s). It does not allocate.
func Fold(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	return h
}

// Hash is the FNV-1a hash of s: Fold from the offset basis.
func Hash(s string) uint64 { return Fold(OffsetBasis, s) }

// String folds s into h and mixes the result.
func String(h uint64, s string) uint64 { return Mix(Fold(h, s)) }

// Stream is a splitmix64 sequence: its value is the state, and each Next
// advances it by [Golden] and returns the state mixed.
type Stream uint64

// Next returns the sequence's next value.
func (s *Stream) Next() uint64 {
	*s += Golden
	return Mix(uint64(*s))
}
