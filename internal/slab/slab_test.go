package slab

import "testing"

// Parts handed out between resets never overlap; a reset hands the same
// memory out again, zeroed, and a rewind as it was.
func TestPartsDoNotOverlapAndComeBackZeroed(t *testing.T) {
	var s Slab[int]
	a := append(s.Take(3, 8), 1, 2, 3)
	b := append(s.Take(4, 8), 4, 5, 6, 7)
	c := append(s.Take(3, 8), 8, 9, 10) // does not fit the first chunk's last one
	if a[0] != 1 || b[0] != 4 || c[0] != 8 || &a[0] == &c[0] {
		t.Fatalf("parts overlap: %v %v %v", a, b, c)
	}
	if big := s.Take(9, 8); cap(big) != 9 {
		t.Fatalf("a part above the chunk size: cap %d", cap(big))
	}
	s.Rewind()
	if d := s.Take(3, 8)[:3]; &d[0] != &a[0] || d[0] != 1 {
		t.Fatalf("a rewind hands out %v, want the first part as it was", d)
	}
	s.Take(4, 8)
	s.Reset()
	if d := s.Take(3, 8)[:3]; &d[0] != &a[0] || d[0] != 0 {
		t.Fatalf("a reset hands out %v, want the first part zeroed", d)
	}
	if p := s.One(8); *p != 0 || p != &b[0] {
		t.Fatalf("One: %d, want the second part's first value, zeroed", *p)
	}
}
