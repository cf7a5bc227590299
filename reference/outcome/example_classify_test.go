package outcome_test

import (
	"fmt"

	"github.com/chaosrun/chaosrun/reference/outcome"
)

// Classify types a failure from what the engine observed, not from an HTTP
// status alone.
func ExampleClassify() {
	lost := outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrTimeout, SideEffects: true})
	limited := outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.Status(429, 0), SideEffects: true})
	cut := outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrStreamCut, SideEffects: true, Streaming: true, Chunks: 2})
	fmt.Println(lost)
	fmt.Println(limited)
	fmt.Println(cut)
	// Output:
	// mid/timeout/agent effects=possible context=clean
	// pre/rate-limited/agent effects=none context=clean
	// mid/transient/agent effects=confirmed context=clean llm=mid-inference signals
}
