package main

import "testing"

// The reports name the kind of store, never its address: a DSN may hold a
// password.
func TestStoreKindHidesTheAddress(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		o    options
		want string
	}{
		{options{mode: "sim"}, "memory"},
		{options{mode: "net"}, "memory"},
		{options{mode: "net", store: "postgres://ci:s3cret@db.internal:5432/chaos"}, "postgres"},
	} {
		if got := storeKind(&c.o); got != c.want {
			t.Errorf("storeKind(%+v) = %q, want %q", c.o, got, c.want)
		}
	}
}
