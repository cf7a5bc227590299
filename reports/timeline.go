package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// timeline is a counterexample laid out for a reader who has no terminal:
// one row per recorded event, in words, with the ledger effects it caused
// beside it.
type timeline struct {
	Rows []row
	// Breach is the index of the event that breached the invariant (-1 when
	// the breach is an absence, such as an execution that never ended).
	Breach int
}

// row is one event of a timeline.
type row struct {
	Index   int
	At      string // virtual time since the run began
	Exec    string // tenant/execution, empty for engine-wide events
	Step    string // empty where it does not apply
	Attempt string
	Kind    string // the event kind, as engine.EventKind names it
	Class   string // the kind's family, for styling: see kindClass
	What    string // what happened, in words
	Tags    []string
	Effects []effect
	Breach  bool
}

// effect is one ledger entry shown beside the event that caused it.
type effect struct {
	Seq  int
	Kind string // applied, compensated, chunk, usage or lost
	Text string
	// Dup marks a repeat of an operation's non-idempotent effect while an
	// earlier one is still live: what duplicate_effects counts.
	Dup  bool
	Note string
}

// newTimeline lays out a run. breach is the index of the breaching event.
func newTimeline(run *harness.Run, breach int) timeline {
	evs := run.History.Events
	t := timeline{Rows: make([]row, len(evs)), Breach: breach}
	for i, e := range evs {
		t.Rows[i] = describe(i, e)
		t.Rows[i].Breach = i == breach
	}
	if run.Ledger == nil {
		return t
	}
	an := run.Analysis()
	for _, fx := range run.Ledger.Effects() {
		i := an.Cause(fx.Seq)
		if i < 0 {
			continue
		}
		charge := run.Ledger.Facts().Money(fx.Op.Tenant, fx.Tool)
		t.Rows[i].Effects = append(t.Rows[i].Effects, describeEffect(fx, an.Duplicate(fx.Seq), charge))
	}
	return t
}

// describe puts one event into words.
func describe(i int, e engine.Event) row {
	r := row{Index: i, At: e.At.Sub(harness.Epoch).String(), Kind: e.Kind.String(), Class: kindClass(e.Kind)}
	if e.Exec != "" {
		r.Exec = e.Tenant + "/" + e.Exec
		if e.Kind != engine.EvStart && e.Kind != engine.EvFinish {
			r.Step = strconv.Itoa(e.Step)
			if e.Attempt > 0 {
				r.Attempt = strconv.Itoa(e.Attempt)
			}
			if e.Run > 0 {
				r.Attempt += " (run " + strconv.Itoa(e.Run) + ")"
			}
		}
	}
	r.What, r.Tags = sentence(e)
	return r
}

// sentence says what an event records, with the typed details as tags.
func sentence(e engine.Event) (string, []string) {
	switch e.Kind {
	case engine.EvStart:
		return "execution started: " + strings.Join(e.Tools, " → "), nil
	case engine.EvBegin:
		return begin(e), nil
	case engine.EvRead:
		return fmt.Sprintf("read context v%d (%d keys)", e.Version, len(e.Reads)), provenance(e.Reads)
	case engine.EvInvoke:
		return "called " + e.Tool, keyTags(e.Key, e.Token)
	case engine.EvWrite:
		return "wrote context key " + e.Detail, nil
	case engine.EvCommit:
		s := fmt.Sprintf("committed the step: context v%d", e.Version)
		if e.Ref != "" {
			s += ", result " + e.Ref
		}
		return s, nil
	case engine.EvFailure:
		return failure(e)
	case engine.EvDecision:
		if e.Decision == nil {
			return "decided", nil
		}
		return "decided: " + e.Decision.String(), nil
	case engine.EvLookup:
		return lookup(e), keyTags(e.Key, "")
	case engine.EvCompensate:
		return fmt.Sprintf("compensated %s with %s", orNone(e.Ref), e.Tool), keyTags(e.Key, "")
	case engine.EvDeadLetter:
		return "dead-lettered for review: " + e.Detail, nil
	case engine.EvFinish:
		return finish(e), nil
	case engine.EvRestart:
		return fmt.Sprintf("workflow restarted from step 0 as run %d", e.Run), nil
	case engine.EvCrash:
		return "engine crashed: " + e.Detail, nil
	case engine.EvRecover:
		return "engine rebuilt: " + e.Detail, nil
	case engine.EvFault:
		return "fault injected: " + e.Detail, nil
	case engine.EvAudit:
		return fmt.Sprintf("reconciliation pass began (ledger watermark %d)", e.Seq), nil
	case engine.EvQueued:
		return "the review queue holds it: " + e.Detail, nil
	case engine.EvReviewed:
		return "the run ended; the store's review queue read back: " + e.Detail, nil
	case engine.EvRecon:
		return fmt.Sprintf("reconciliation found %s on %s: %s", e.Detail, orNone(e.Tool), orNone(e.Ref)), nil
	}
	return e.String(), nil
}

func begin(e engine.Event) string {
	switch e.Detail {
	case "invoke":
		return fmt.Sprintf("attempt %d of %s began", e.Attempt, e.Tool)
	case "reconcile":
		return fmt.Sprintf("attempt %d reconciles %s instead of calling it again", e.Attempt, e.Tool)
	case "compensate":
		return fmt.Sprintf("attempt %d compensates with %s", e.Attempt, e.Tool)
	}
	return fmt.Sprintf("attempt %d of %s began (%s)", e.Attempt, e.Tool, e.Detail)
}

func failure(e engine.Event) (string, []string) {
	if e.Outcome == nil {
		return e.Tool + " failed", nil
	}
	o := e.Outcome
	tags := []string{
		"phase " + o.Phase.String(), "class " + o.Class.String(), "layer " + o.Layer.String(),
		"effects " + o.Effects.String(), "context " + o.Context.String(),
	}
	if o.LLM != 0 {
		tags = append(tags, "llm "+o.LLM.String())
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{o.SignalsSent, "signals sent"}, {o.InHand, "response in hand"}, {o.Crashed, "crashed"}, {o.Reconciled, "reconciled"}} {
		if f.on {
			tags = append(tags, f.name)
		}
	}
	if o.RetryAfter > 0 {
		tags = append(tags, "retry after "+o.RetryAfter.String())
	}
	return fmt.Sprintf("%s failed: %s", e.Tool, o.Cause), tags
}

func lookup(e engine.Event) string {
	if !e.Found {
		return fmt.Sprintf("looked %s up by key: not found", e.Tool)
	}
	if e.Ref != "" {
		return fmt.Sprintf("looked %s up by key: found %s", e.Tool, e.Ref)
	}
	return fmt.Sprintf("looked %s up by key: found", e.Tool)
}

func finish(e engine.Event) string {
	s := "execution ended " + e.Status.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// provenance groups the keys a read saw by the attempt that wrote them.
func provenance(reads []engine.Read) []string {
	var order []store.Writer
	keys := map[store.Writer][]string{}
	for _, rd := range reads {
		if _, ok := keys[rd.Writer]; !ok {
			order = append(order, rd.Writer)
		}
		keys[rd.Writer] = append(keys[rd.Writer], rd.Key)
	}
	tags := make([]string, 0, len(order))
	for _, w := range order {
		tags = append(tags, writerName(w)+": "+strings.Join(keys[w], ", "))
	}
	return tags
}

func writerName(w store.Writer) string {
	if w.Step < 0 {
		return "input"
	}
	s := fmt.Sprintf("step %d attempt %d", w.Step, w.Attempt)
	if w.Run > 0 {
		s += fmt.Sprintf(" run %d", w.Run)
	}
	return s
}

func keyTags(key, token string) []string {
	var tags []string
	if key != "" {
		tags = append(tags, "idempotency key "+key)
	}
	if token != "" {
		tags = append(tags, "dedup token "+token)
	}
	if key == "" && token == "" {
		tags = append(tags, "no idempotency key")
	}
	return tags
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// kindClass groups event kinds into the families a reader tells apart at a
// glance.
func kindClass(k engine.EventKind) string {
	switch k {
	case engine.EvStart, engine.EvBegin, engine.EvRead, engine.EvInvoke, engine.EvWrite:
		return "work"
	case engine.EvCommit:
		return "commit"
	case engine.EvFailure, engine.EvFault, engine.EvCrash:
		return "fault"
	case engine.EvDecision, engine.EvLookup, engine.EvRestart, engine.EvRecover:
		return "decision"
	case engine.EvCompensate, engine.EvDeadLetter, engine.EvQueued:
		return "undo"
	case engine.EvAudit, engine.EvRecon, engine.EvReviewed:
		return "recon"
	case engine.EvFinish:
		return "end"
	}
	return "work"
}

// describeEffect puts a ledger entry into words; charge says whether its
// tool takes a customer's money, which a cost is then a charge of.
func describeEffect(e fakes.Effect, dup, charge bool) effect {
	x := effect{Seq: e.Seq, Kind: e.Kind.String(), Dup: dup}
	switch e.Kind {
	case fakes.Applied:
		x.Text = fmt.Sprintf("%s applied %s", e.Tool, orNone(e.Ref))
		switch {
		case e.CostCents > 0 && charge:
			x.Text += ", charging the customer " + money(e.CostCents)
		case e.CostCents > 0:
			x.Text += ", costing " + money(e.CostCents)
		}
	case fakes.Compensated:
		x.Text = fmt.Sprintf("%s compensated: undid %s", e.Tool, orNone(e.Ref))
	case fakes.Chunk:
		x.Text = fmt.Sprintf("chunk %d delivered downstream", e.Op.Sub)
	case fakes.Usage:
		x.Text = fmt.Sprintf("%s used %d tokens", e.Tool, e.Tokens)
	case fakes.Lost:
		x.Text = e.Tool + " acknowledged the call and lost the write"
	default:
		x.Text = e.Kind.String()
	}
	var notes []string
	if dup {
		notes = append(notes, "duplicate")
	}
	if e.Idempotent && e.Kind == fakes.Applied {
		notes = append(notes, "idempotent")
	}
	if e.World {
		notes = append(notes, "by the world on its own")
	}
	if e.Foreign != "" {
		notes = append(notes, "carries "+e.Foreign+"'s data")
	}
	x.Note = strings.Join(notes, ", ")
	return x
}
