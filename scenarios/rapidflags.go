package scenarios

import (
	"flag"
	"fmt"
	"maps"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// rapid's flags (-rapid.seed, -rapid.checks, ...) are process-wide. Three
// kinds of users share them:
//   - WithRapidFlags sets any flags for as long as its function runs, alone;
//   - ReadingRapidFlags wraps a rapid.Check that must see the flags as they
//     are, and any number of them run side by side;
//   - RapidShrink runs minimisations side by side: all of them see the
//     same fixed flags, and each sets only the seed, which rapid reads once
//     when a check starts, so it holds the seed only until its property
//     first runs.
//
// A mode at a time: one WithRapidFlags, or readers, or minimisations. On
// top of that, every write of a flag holds flagsMu, and drawing from a
// seed ([Example], [Space.Seeded]: rapid's Example reads the seed flag)
// holds it for reading, in any mode, inside a WithRapidFlags too.
var (
	initOnce sync.Once
	flagsMu  sync.RWMutex
	mode     struct {
		sync.Mutex
		cond      *sync.Cond
		exclusive bool
		readers   int
		shrinkers int
		fixed     map[string]string // the shrinkers' flags
		saved     map[string]string // what they replaced
	}
)

func initFlags() {
	initOnce.Do(func() {
		testing.Init()
		if !flag.Parsed() {
			_ = flag.CommandLine.Parse(nil)
		}
		mode.cond = sync.NewCond(&mode.Mutex)
	})
}

// set sets flags to values and returns what they were; the caller holds flagsMu.
func set(values map[string]string) (map[string]string, error) {
	old := map[string]string{}
	for name, v := range values {
		fl := flag.Lookup(name)
		if fl == nil {
			restore(old)
			return nil, fmt.Errorf("rapid flag %s is not registered", name)
		}
		old[name] = fl.Value.String()
		if err := fl.Value.Set(v); err != nil {
			restore(old)
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}
	return old, nil
}

func restore(old map[string]string) {
	for name, v := range old {
		_ = flag.Lookup(name).Value.Set(v)
	}
}

// WithRapidFlags sets rapid's flags to values, runs f, and puts them back;
// nothing else uses them meanwhile ([Space.Seeded], [ReadingRapidFlags] and
// [RapidShrink] wait). Outside a test binary rapid needs the testing flags
// registered and the command line parsed; the program's own flags are its
// business (the chaosrun CLI uses flag sets of its own).
func WithRapidFlags(values map[string]string, f func()) error {
	initFlags()
	mode.Lock()
	for mode.exclusive || mode.readers > 0 || mode.shrinkers > 0 {
		mode.cond.Wait()
	}
	mode.exclusive = true
	mode.Unlock()
	defer func() {
		mode.Lock()
		mode.exclusive = false
		mode.cond.Broadcast()
		mode.Unlock()
	}()
	// Only the writes hold flagsMu: while f runs, the mode keeps every
	// other writer out, and f may draw from a seed (Example) itself.
	flagsMu.Lock()
	old, err := set(values)
	flagsMu.Unlock()
	if err != nil {
		return err
	}
	defer func() {
		flagsMu.Lock()
		restore(old)
		flagsMu.Unlock()
	}()
	f()
	return nil
}

// ReadingRapidFlags runs f while nobody changes rapid's flags: wrap a
// rapid.Check that must see the flags it was started with.
func ReadingRapidFlags(f func()) {
	initFlags()
	mode.Lock()
	for mode.exclusive || mode.shrinkers > 0 {
		mode.cond.Wait()
	}
	mode.readers++
	mode.Unlock()
	defer func() {
		mode.Lock()
		mode.readers--
		mode.cond.Broadcast()
		mode.Unlock()
	}()
	f()
}

// readingSeed runs f, which draws from a seed, while nobody writes a flag.
func readingSeed(f func()) {
	flagsMu.RLock()
	defer flagsMu.RUnlock()
	f()
}

// RapidShrink runs f, which calls rapid.Check once, with rapid's flags set
// to fixed and its seed flag to seed. Calls with equal fixed flags run side
// by side (one with other flags waits for them to end): each holds the seed
// flag from its start until f calls started, which it must do as soon as
// the check's property first runs — rapid has read the seed by then — or
// until f returns (f must not draw from a seed before: [Space.Seeded] waits
// for the seed flag). started may be called more than once.
func RapidShrink(fixed map[string]string, seed uint64, f func(started func())) error {
	if _, ok := fixed["rapid.seed"]; ok {
		return fmt.Errorf("RapidShrink: give the seed as its argument, not among the fixed flags")
	}
	initFlags()
	mode.Lock()
	for mode.exclusive || mode.readers > 0 || (mode.shrinkers > 0 && !maps.Equal(mode.fixed, fixed)) {
		mode.cond.Wait()
	}
	if mode.shrinkers == 0 {
		flagsMu.Lock()
		saved, err := set(fixed)
		flagsMu.Unlock()
		if err != nil {
			mode.Unlock()
			return err
		}
		saved["rapid.seed"] = flag.Lookup("rapid.seed").Value.String() // each sets it: put it back too
		mode.fixed, mode.saved = maps.Clone(fixed), saved
	}
	mode.shrinkers++
	mode.Unlock()
	defer func() {
		mode.Lock()
		mode.shrinkers--
		if mode.shrinkers == 0 {
			flagsMu.Lock()
			restore(mode.saved)
			flagsMu.Unlock()
			mode.fixed, mode.saved = nil, nil
			mode.cond.Broadcast()
		}
		mode.Unlock()
	}()

	flagsMu.Lock()
	var once sync.Once
	release := func() { once.Do(flagsMu.Unlock) }
	defer release()
	seedFlag := flag.Lookup("rapid.seed")
	if seedFlag == nil {
		return fmt.Errorf("rapid flag rapid.seed is not registered")
	}
	if err := seedFlag.Value.Set(fmt.Sprint(seed)); err != nil {
		return fmt.Errorf("set rapid.seed: %w", err)
	}
	f(release)
	return nil
}

// Example is g.Example(seed) while nobody writes rapid's flags: rapid's
// Example reads the seed flag even when given a seed, so a draw beside a
// minimisation or a WithRapidFlags must go through here.
func Example[V any](g *rapid.Generator[V], seed int) V {
	var v V
	readingSeed(func() { v = g.Example(seed) })
	return v
}
