package main

import (
	"bytes"
	"testing"
)

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

// The table fits COLUMNS when it is set; --wide, or no COLUMNS and no
// terminal (a pipe, a CI log), gets the whole table.
func TestColumns(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		columns string
		wide    bool
		want    int
	}{
		{"80", false, 80}, {"120", false, 120}, {"80", true, 0}, {"", false, 0}, {"junk", false, 0}, {"-3", false, 0},
	} {
		e := &env{stdout: &bytes.Buffer{}, getenv: func(k string) string {
			if k == "COLUMNS" {
				return c.columns
			}
			return ""
		}}
		if got := e.columns(c.wide); got != c.want {
			t.Errorf("COLUMNS=%q wide=%t: width %d, want %d", c.columns, c.wide, got, c.want)
		}
	}
}
