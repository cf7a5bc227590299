package invariants

import (
	"strings"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

type anomalyKey struct {
	tenant, exec string
	step         int
	kind         store.Anomaly
}

// Anomaly is a discrepancy the reconciliation worker must report.
type Anomaly struct {
	Tenant string
	Exec   string
	Step   int
	Tool   string
	Kind   store.Anomaly
}

// Anomalies returns what the ledger shows, when the reconciliation pass
// began, for the executions the worker should audit: those with a failed
// attempt that had ended. Only tools that answer lookups by key are
// considered, for no worker can see anything else. A committed step must have
// exactly one live effect (more is a duplicate-effect, none a
// conflicting-state); a step its execution abandoned without dead-lettering
// must have none (orphaned-effect).
func Anomalies(h *History, l *fakes.Ledger) []Anomaly { return newIndex(h, l).anomalies() }

func (ix *index) anomalies() []Anomaly {
	cut, watermark := ix.audit, ix.watermark
	if cut < 0 {
		cut, watermark = len(ix.h.Events), ix.l.Len()
	}
	var out []Anomaly
	for k := range ix.execs {
		x := &ix.execs[k]
		if x.failed < 0 || x.end < 0 || x.end > cut {
			continue
		}
		for step, tool := range x.tools {
			t := x.truths[step]
			if !t.SideEffects || !t.Lookup || t.Streaming {
				continue
			}
			if x.deadLettered(step) {
				continue
			}
			o := ix.stepOp(x, step)
			n := 0
			if o != nil {
				_, n, _ = ix.live(o, watermark, true)
			}
			a := Anomaly{Tenant: x.key.tenant, Exec: x.key.exec, Step: step, Tool: tool}
			switch committed := x.committedFinal(step, cut); {
			case committed && n > 1:
				a.Kind = store.DuplicateEffect
			case committed && n == 0 && o != nil:
				a.Kind = store.ConflictingState
			case !committed && n > 0:
				a.Kind = store.OrphanedEffect
			default:
				continue
			}
			out = append(out, a)
		}
	}
	return out
}

// checkReconciliation holds the worker's reports to the anomalies: every
// one reported (recall), nothing else (precision).
func checkReconciliation(ix *index) Result {
	var r Result
	reported := map[anomalyKey]int{}
	if ix.audit >= 0 {
		for i := ix.audit; i < len(ix.evs); i++ {
			if ix.evs[i].kind == engine.EvRecon {
				e := &ix.h.Events[i]
				reported[anomalyKey{e.Tenant, e.Exec, e.Step, store.Anomaly(e.Detail)}] = i
			}
		}
	}
	expected := map[anomalyKey]bool{}
	for _, a := range ix.anomalies() {
		k := anomalyKey{a.Tenant, a.Exec, a.Step, a.Kind}
		expected[k] = true
		if _, ok := reported[k]; ok {
			continue
		}
		x := ix.find(execKey{a.Tenant, a.Exec})
		why := "the worker did not report it"
		if ix.audit < 0 {
			why = "no reconciliation worker ran"
		}
		r.Violations = append(r.Violations, violation(x, stepOp(x, a.Step), x.end,
			"%s/%s step %d (%s) has %s %s and %s", a.Tenant, a.Exec, a.Step, a.Tool, article(string(a.Kind)), a.Kind, why))
	}
	for k, i := range reported {
		if !expected[k] {
			x := ix.find(execKey{k.tenant, k.exec})
			r.Violations = append(r.Violations, violation(x, fakes.Op{Tenant: k.tenant, Exec: k.exec, Step: k.step, Sub: -1}, i,
				"the worker reported %s %s for %s/%s step %d where the ledger shows none", article(string(k.kind)), k.kind, k.tenant, k.exec, k.step))
		}
	}
	sortViolations(r.Violations)
	return r
}

// article is "an" before an anomaly kind that starts with a vowel, "a" before the others.
func article(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an"
	}
	return "a"
}
