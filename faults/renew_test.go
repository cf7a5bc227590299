package faults

import (
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/engine"
)

// TestARenewedInjectorIsANewOne: an injector that held crashes, outages
// and zombies, renewed for another schedule, is the one NewInjector makes
// for it, its maps empty but kept.
func TestARenewedInjectorIsANewOne(t *testing.T) {
	var s Schedule
	s.Seed, s.Rates[Crash], s.Rates[LostResponse] = 7, 3, 5
	in := NewInjector(s, nil, nil)
	in.crashed = map[Stream]bool{1: true}
	in.down = map[string]time.Time{"send_email": time.Unix(10, 0)}
	in.held = map[string]engine.Call{"k": {Tool: "send_email"}}
	in.order = []string{"k"}
	var next Schedule
	next.Seed, next.Rates[Drift] = 9, 2
	got := in.Renew(next, nil, nil)
	want := NewInjector(next, nil, nil)
	if got != in || got.s != want.s || got.active != want.active || got.clock != nil || got.cat != nil || got.drift != nil || got.order != nil {
		t.Fatalf("renewed: %+v\nwant %+v", got, want)
	}
	if len(got.crashed)+len(got.down)+len(got.held) != 0 || got.crashed == nil || got.down == nil || got.held == nil {
		t.Fatalf("renewed maps %v %v %v, want empty and kept", got.crashed, got.down, got.held)
	}
	if got.unit("e1", 2) != want.unit("e1", 2) {
		t.Fatal("the renewed injector's fault sites are not a new one's")
	}
}
