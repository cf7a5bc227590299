package fakes_test

import (
	"slices"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
)

// TestReleasedWorldLeavesNoTrace releases worlds that kept records, keys,
// refs and fences, and makes new ones, which may be handed what the old
// ones held: a new world knows none of the old one's effects, and the old
// world's ledger, which outlives it, stays as it was.
func TestReleasedWorldLeavesNoTrace(t *testing.T) {
	t.Parallel()
	for range 20 {
		old := setup(t, &fakes.Opts{Quirks: quirks{"k2": fakes.DoubleDelivery}})
		old.invoke(call(fakes.Acme, fakes.InsertRecord, "k1"))
		old.invoke(call(fakes.Acme, fakes.InsertRecord, "k1"))
		old.invoke(call(fakes.Acme, fakes.InsertRecord, "k2"))
		old.invoke(call(fakes.Acme, fakes.PublishReport, ""))
		old.invoke(call(fakes.Acme, fakes.DeleteRecord, "k1"))
		ledger := old.world.Ledger()
		want := slices.Clone(ledger.Effects())
		old.world.Release()

		e := setup(t, nil)
		for _, key := range []string{"k1", "k2"} {
			if res := e.lookup(fakes.Acme, fakes.InsertRecord, key); res.Found || len(res.Refs) != 0 {
				t.Fatalf("a new world finds %s: %+v", key, res)
			}
		}
		first := e.invoke(call(fakes.Acme, fakes.InsertRecord, "k1")) // k1 was undone, and fenced, in the old world only
		if first.Ref != fakes.InsertRecord+"-1" {
			t.Errorf("a new world's first ref is %s", first.Ref)
		}
		if again := e.invoke(call(fakes.Acme, fakes.InsertRecord, "k1")); again != first {
			t.Errorf("a new world's repeat answered %+v, then %+v", first, again)
		}
		e.invoke(call(fakes.Acme, fakes.PublishReport, ""))
		if resp := e.invoke(call(fakes.Acme, fakes.DeleteRecord, "k2")); resp.Data != "acme:undone:0" {
			t.Errorf("a new world undid the old one's k2: %q", resp.Data)
		}
		if res := e.lookup(fakes.Acme, fakes.InsertRecord, "k1"); !res.Found || !slices.Equal(res.Refs, []string{first.Ref}) {
			t.Errorf("Lookup(k1) in a new world = %+v", res)
		}
		if got := e.effects(fakes.Applied); len(got) != 2 {
			t.Errorf("a new world applied %+v, want its own two effects", got)
		}
		if !slices.Equal(ledger.Effects(), want) {
			t.Fatalf("a released world's ledger changed:\n%+v\nwant\n%+v", ledger.Effects(), want)
		}
		e.world.Release()
	}
}

// TestReleaseTwice releases a world twice: the second release hands
// nothing on, so the two worlds made next do not share its maps.
func TestReleaseTwice(t *testing.T) {
	t.Parallel()
	old := setup(t, nil)
	old.invoke(call(fakes.Acme, fakes.InsertRecord, "k"))
	old.world.Release()
	old.world.Release()
	a, b := setup(t, nil), setup(t, nil)
	a.invoke(call(fakes.Acme, fakes.InsertRecord, "k"))
	if res := b.lookup(fakes.Acme, fakes.InsertRecord, "k"); res.Found {
		t.Fatalf("a world finds another's effect: %+v", res)
	}
	a.world.Release()
	b.world.Release()
}
