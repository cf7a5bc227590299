package reports

import (
	"reflect"
	"slices"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
)

// TestSchemaCopiesEveryFigure gives every field of the harness's figures a
// distinct value and checks that the report's schema types carry each one:
// a figure added to the harness and not to the schema fails here, instead
// of silently missing from every report.
func TestSchemaCopiesEveryFigure(t *testing.T) {
	t.Parallel()
	var c harness.Cost
	var x harness.Executions
	want := fill(t, &c, 1)
	want = append(want, fill(t, &x, 100)...)
	got := values(costOf(c))
	got = append(got, values(executionsOf(x))...)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the schema carries %v of the harness's figures %v", got, want)
	}
}

// fill sets the int fields of *v to from, from+1, ... and returns them.
func fill(t *testing.T, v any, from int) []int {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	var out []int
	for i := range rv.NumField() {
		if rv.Field(i).Kind() != reflect.Int {
			t.Fatalf("%s.%s is not an int", rv.Type(), rv.Type().Field(i).Name)
		}
		rv.Field(i).SetInt(int64(from + i))
		out = append(out, from+i)
	}
	return out
}

func values(v any) []int {
	rv := reflect.ValueOf(v)
	var out []int
	for i := range rv.NumField() {
		out = append(out, int(rv.Field(i).Int()))
	}
	return out
}
