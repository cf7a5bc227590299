package reports

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Shard is the part of the seed space a report covers. The seed space of
// an exploration of R runs from seed S is S ... S+R-1; shard i of n runs the
// seeds S+i-1, S+i-1+n, S+i-1+2n, ... (harness.ExploreOptions). A report
// covers one shard ("2/4"), all of them ("1/1", also what merging every
// shard gives), or, merged from some shards only, a few of them ("1,3/4").
type Shard struct {
	// Parts are the shards covered, 1-based and in order; Of is n.
	Parts []int
	Of    int
}

// OneShard returns shard i of n.
func OneShard(i, n int) Shard { return Shard{Parts: []int{i}, Of: n} }

// Whole reports whether the report covers every shard.
func (s Shard) Whole() bool { return s.Of > 0 && len(s.Parts) == s.Of }

// String writes the shard as --shard takes it: "2/4", "1/1" for the whole
// seed space, "1,3/4" for a few shards of four.
func (s Shard) String() string {
	if s.Whole() {
		return "1/1"
	}
	parts := make([]string, len(s.Parts))
	for i, p := range s.Parts {
		parts[i] = strconv.Itoa(p)
	}
	return strings.Join(parts, ",") + "/" + strconv.Itoa(s.Of)
}

// MarshalText implements encoding.TextMarshaler: the JSON "shard" is the string.
func (s Shard) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; see [ParseShard].
func (s *Shard) UnmarshalText(b []byte) error {
	v, err := ParseShard(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseShard reads a shard as [Shard.String] writes it.
func ParseShard(text string) (Shard, error) {
	list, of, ok := strings.Cut(text, "/")
	n, err := strconv.Atoi(of)
	if !ok || err != nil || n < 1 {
		return Shard{}, fmt.Errorf("shard %q is not i/n", text)
	}
	s := Shard{Of: n}
	for _, f := range strings.Split(list, ",") {
		i, err := strconv.Atoi(f)
		if err != nil || i < 1 || i > n {
			return Shard{}, fmt.Errorf("shard %q is not i/n with 1 <= i <= n", text)
		}
		if slices.Contains(s.Parts, i) {
			return Shard{}, fmt.Errorf("shard %q names %d twice", text, i)
		}
		s.Parts = append(s.Parts, i)
	}
	slices.Sort(s.Parts)
	if s.Whole() {
		return Shard{Parts: []int{1}, Of: 1}, nil
	}
	return s, nil
}

// runs returns how many of an exploration's total runs fall in the shards.
func (s Shard) runs(total int) int {
	n := 0
	for _, i := range s.Parts {
		n += ShardRuns(total, i, s.Of)
	}
	return n
}

// lastSeed returns the highest seed of a shard's first runs runs (under
// --duration, where each policy ran its own count).
func (s Shard) lastSeed(first uint64, runs int) uint64 {
	last := first
	for _, i := range s.Parts {
		last = max(last, first+uint64((runs-1)*s.Of+i-1))
	}
	return last
}

// ShardRuns is how many of the first total runs fall in shard i of n: shard
// i takes runs i, i+n, i+2n, ...
func ShardRuns(total, i, n int) int {
	if total < i {
		return 0
	}
	return (total-i)/n + 1
}
