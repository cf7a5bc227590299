package policies

import (
	"fmt"
	"sync"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
)

// world is what a policy file is read and linted against: the names its
// `tool:` and `tenant:` values may take, the tools' layers and which of
// them carry an LLM phase, the registry and the tenants' contracts.
type world struct {
	w       *worlds.World
	reg     *registry.Registry
	tools   []string // step tools, in the world's order
	tenants []string
	layer   map[string]outcome.Layer
	model   map[string]bool // streamed model calls: their failures carry an LLM phase
}

func newWorld(w *worlds.World) (*world, error) {
	reg, err := w.Registry()
	if err != nil {
		return nil, err
	}
	v := &world{w: w, reg: reg, tools: w.ToolNames(), tenants: w.TenantNames(), layer: map[string]outcome.Layer{}, model: map[string]bool{}}
	for _, t := range v.tools {
		s, _ := w.Spec("", t)
		v.layer[t], v.model[t] = s.Layer, s.Stream
	}
	return v, nil
}

var builtinWorld = sync.OnceValue(func() *world {
	v, err := newWorld(worlds.Default())
	if err != nil {
		panic(fmt.Sprintf("the built-in world does not compile: %v", err)) // a test covers it
	}
	return v
})

// worldOf returns w, or the built-in world for nil.
func worldOf(w *worlds.World) (*world, error) {
	if w == nil {
		return builtinWorld(), nil
	}
	return newWorld(w)
}

// models names the streamed model calls, for messages.
func (v *world) models() []string {
	var out []string
	for _, t := range v.tools {
		if v.model[t] {
			out = append(out, t)
		}
	}
	return out
}

// planners names the tools that run at the orchestrator, for messages.
func (v *world) planners() []string {
	var out []string
	for _, t := range v.tools {
		if v.layer[t] == outcome.Orchestrator {
			out = append(out, t)
		}
	}
	return out
}
