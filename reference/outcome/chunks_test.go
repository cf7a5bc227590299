package outcome_test

import (
	"testing"

	"github.com/chaosrun/chaosrun/reference/outcome"
)

// Chunks that reached the consumer are effects even when the error that
// ended the call reads like one from before the tool acted.
func TestDeliveredChunksAreEffectsWhateverTheError(t *testing.T) {
	t.Parallel()
	o := outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrRefused, Streaming: true, SideEffects: true, Chunks: 2})
	if o.Effects != outcome.ConfirmedEffects || !o.SignalsSent {
		t.Fatalf("2 chunks delivered, then a refusal: effects %s, signals %v", o.Effects, o.SignalsSent)
	}
}
