package scenarios

import (
	"fmt"
	"strings"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/internal/slab"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Workflow is a named sequence of tool calls.
type Workflow struct {
	Name  string
	Tools []string
	// Salts give generated steps an identity of their own for fault sites,
	// so that removing a step does not change the faults of the others
	// (nil: a step's identity is its index).
	Salts []uint64
	// Planned is set when the first step is the orchestrator's planning
	// call, which reads the goal the other steps make up.
	Planned bool
}

// Execution is one run of a workflow for a tenant.
type Execution struct {
	ID       string
	Tenant   string
	Workflow Workflow
	// Ambiguous requests make the planner return an invalid task graph, every time.
	Ambiguous bool
	// Salt is the execution's identity for fault sites: removing another
	// execution does not change this one's faults.
	Salt uint64
}

// Unit is the fault-site identity of one step of the execution.
func (x Execution) Unit(step int) uint64 { return unitOf(x.Salt, x.Workflow.Salts, step) }

// unitOf is [Execution.Unit] of the execution with salt and step salts.
func unitOf(salt uint64, salts []uint64, step int) uint64 {
	id := uint64(step)
	if step >= 0 && step < len(salts) {
		id = salts[step]
	}
	return salt*0x9e3779b97f4a7c15 ^ id
}

// Units returns the fault-site identities of a scenario's steps, by
// execution id, for [faults.NewInjector].
func (s Scenario) Units() func(exec string, step int) uint64 {
	xs := s.Executions // a scenario has a few executions: a search beats a map
	return func(exec string, step int) uint64 {
		for i := len(xs) - 1; i >= 0; i-- { // the last of an id, as a map of them would keep
			if x := &xs[i]; x.ID == exec {
				return unitOf(x.Salt, x.Workflow.Salts, step) // not x.Unit: that copies the execution
			}
		}
		return unitOf(0, nil, step)
	}
}

// Scenario is a set of executions run interleaved in one world, and the
// faults that hit them.
type Scenario struct {
	Executions []Execution
	Faults     faults.Schedule
}

// Steps returns the number of steps across the scenario's executions.
func (s Scenario) Steps() int {
	n := 0
	for _, x := range s.Executions {
		n += len(x.Workflow.Tools)
	}
	return n
}

// WithoutExecution returns the scenario without its execution i, the
// others numbered again from e1, as the generators number them. The
// faults of the others stay theirs: a fault site is an execution's salt,
// not its place.
func (s Scenario) WithoutExecution(i int) Scenario {
	xs := make([]Execution, 0, len(s.Executions)-1)
	s.Executions = numbered(append(append(xs, s.Executions[:i]...), s.Executions[i+1:]...))
	return s
}

// numbered names executions by their place, e1 first, and returns them.
func numbered(xs []Execution) []Execution {
	for i := range xs {
		xs[i].ID = fmt.Sprintf("e%d", i+1)
	}
	return xs
}

// generatedName is the name of a generated workflow of n steps.
func generatedName(n int) string { return fmt.Sprintf("generated(%d)", n) }

// WithoutStep returns the scenario without step j of its execution i, and
// whether the step can go: a generated workflow's steps can, down to one
// (their salts keep the others' fault sites; a planning step taken out
// leaves a workflow without a plan), and a world's workflow's cannot.
func (s Scenario) WithoutStep(i, j int) (Scenario, bool) {
	w := s.Executions[i].Workflow
	if len(w.Tools) < 2 || len(w.Salts) != len(w.Tools) {
		return s, false
	}
	w.Tools = append(append(make([]string, 0, len(w.Tools)-1), w.Tools[:j]...), w.Tools[j+1:]...)
	w.Salts = append(append(make([]uint64, 0, len(w.Salts)-1), w.Salts[:j]...), w.Salts[j+1:]...)
	w.Planned = w.Planned && j > 0
	w.Name = generatedName(len(w.Tools))
	s.Executions = append([]Execution(nil), s.Executions...)
	s.Executions[i].Workflow = w
	return s, true
}

// Name summarises the scenario's workflows, e.g. "invoice-billing+generated(3)".
func (s Scenario) Name() string {
	parts := make([]string, len(s.Executions))
	for i, x := range s.Executions {
		parts[i] = x.Workflow.Name
	}
	return strings.Join(parts, "+")
}

// String renders the scenario on a few lines.
func (s Scenario) String() string {
	var b strings.Builder
	for _, x := range s.Executions {
		amb := ""
		if x.Ambiguous {
			amb = " (ambiguous request)"
		}
		fmt.Fprintf(&b, "%s %s %s: %s%s\n", x.ID, x.Tenant, x.Workflow.Name, strings.Join(x.Workflow.Tools, " > "), amb)
	}
	fmt.Fprintf(&b, "faults: %s", s.Faults)
	return b.String()
}

// Store returns the execution as the engine stores it: each step writes two
// context keys, and the input carries the request and the goal the planner
// reads.
func (x Execution) Store() store.Execution {
	steps := make([]store.Step, len(x.Workflow.Tools))
	keys := make([]string, 0, 2*len(steps)) // every step's keys in one array, each capped to its own
	for i := range steps {
		keys = append(keys, writes(i)...)
		steps[i].Writes = keys[len(keys)-2 : len(keys) : len(keys)]
	}
	return x.stored(steps, make(map[string]string, 2))
}

// StoreMemory is the memory [Execution.StoreIn] makes executions in.
type StoreMemory struct {
	steps  slab.Slab[store.Step]
	inputs []map[string]string
	used   int // inputs handed out since the last Reset
}

// Reset takes back everything made in the memory.
func (m *StoreMemory) Reset() { m.steps.Rewind(); m.used = 0 }

// StoreIn is [Execution.Store] for a caller that starts executions run
// after run (the simulation): the steps and the input are made in mem,
// which the next StoreIn after mem.Reset overwrites, and every step's
// context keys are an array all executions share, to read only.
func (x Execution) StoreIn(mem *StoreMemory) store.Execution {
	steps := mem.steps.Take(len(x.Workflow.Tools), 64)[:len(x.Workflow.Tools)]
	for i := range steps {
		steps[i].Writes = writes(i)
	}
	if mem.used == len(mem.inputs) {
		mem.inputs = append(mem.inputs, make(map[string]string, 2))
	}
	input := mem.inputs[mem.used]
	mem.used++
	clear(input)
	return x.stored(steps, input)
}

// stored fills the steps' tools and the input, and returns the execution.
func (x Execution) stored(steps []store.Step, input map[string]string) store.Execution {
	const ambiguous = " ambiguous"
	// The request and the goal are two pieces of one string: one allocation.
	var b strings.Builder
	size := 2*len(x.Tenant) + len(":request:") + len(x.Workflow.Name) + len(ambiguous) + 1
	for _, tool := range x.Workflow.Tools {
		size += len(tool) + 1
	}
	b.Grow(size)
	b.WriteString(x.Tenant)
	b.WriteString(":request:")
	b.WriteString(x.Workflow.Name)
	if x.Ambiguous {
		b.WriteString(ambiguous)
	}
	requestLen := b.Len()
	b.WriteString(x.Tenant)
	b.WriteByte(':')
	named := 0
	for i, tool := range x.Workflow.Tools {
		steps[i].Tool = tool
		if i > 0 || !x.Workflow.Planned {
			if named > 0 {
				b.WriteByte('>')
			}
			b.WriteString(tool)
			named++
		}
	}
	both := b.String()
	input["request"], input["goal"] = both[:requestLen], both[requestLen:]
	return store.Execution{Tenant: x.Tenant, Exec: x.ID, Workflow: x.Workflow.Name, Steps: steps, Input: input}
}

var keyNames = func() [][]string {
	ks := make([][]string, 16)
	for i := range ks {
		ks[i] = []string{fmt.Sprintf("s%d.out", i), fmt.Sprintf("s%d.meta", i)}
	}
	return ks
}()

// writes returns the context keys step i writes: "s<i>.out" and "s<i>.meta".
// The slice is shared (its capacity ends at its length): copy it before
// changing it.
func writes(i int) []string {
	if i < len(keyNames) {
		return keyNames[i]
	}
	return []string{fmt.Sprintf("s%d.out", i), fmt.Sprintf("s%d.meta", i)}
}
