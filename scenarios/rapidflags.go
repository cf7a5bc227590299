package scenarios

import (
	"flag"
	"fmt"
	"sync"
	"testing"
)

// rapid's flags (-rapid.seed, -rapid.checks, ...) are process-wide, and
// drawing a scenario from a seed reads them (rapid's Example does, and so
// does every rapid.Check): whoever sets them holds the write lock for as
// long as they are set, and readers hold the read lock.
var (
	rapidFlags sync.RWMutex
	initOnce   sync.Once
)

// WithRapidFlags sets rapid's flags to values, runs f, and puts them back;
// nothing reads them meanwhile ([Seeded], [ReadingRapidFlags] wait). Outside
// a test binary rapid needs the testing flags registered and the command
// line parsed; the program's own flags are its business (the chaosrun CLI
// uses flag sets of its own).
func WithRapidFlags(values map[string]string, f func()) error {
	initOnce.Do(func() {
		testing.Init()
		if !flag.Parsed() {
			_ = flag.CommandLine.Parse(nil)
		}
	})
	rapidFlags.Lock()
	defer rapidFlags.Unlock()
	old := map[string]string{}
	defer func() {
		for name, v := range old {
			_ = flag.Lookup(name).Value.Set(v)
		}
	}()
	for name, v := range values {
		fl := flag.Lookup(name)
		if fl == nil {
			return fmt.Errorf("rapid flag %s is not registered", name)
		}
		old[name] = fl.Value.String()
		if err := fl.Value.Set(v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	f()
	return nil
}

// ReadingRapidFlags runs f while nobody changes rapid's flags: wrap a
// rapid.Check that must see the flags it was started with.
func ReadingRapidFlags(f func()) {
	rapidFlags.RLock()
	defer rapidFlags.RUnlock()
	f()
}
