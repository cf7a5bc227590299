package feasibility_test

import (
	"errors"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// openai-go v3.98.0, unchanged: option.WithBaseURL and option.WithHTTPClient
// are all it needs.
func (r *rig) openai() *openai.Client {
	c := openai.NewClient(option.WithBaseURL(r.ep.ModelBaseURL), option.WithHTTPClient(r.http), option.WithAPIKey("sk-test"))
	return &c
}

var chatParams = openai.ChatCompletionNewParams{
	Model:    shared.ChatModelGPT4oMini,
	Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")},
	Metadata: shared.Metadata{"op": opID},
}

func (r *rig) modelAttempts() int {
	op, _ := wire.ParseOp(opID)
	return r.srv.Attempts(op, fakes.LLMComplete)
}

// Defaults: MaxRetries 2 (three attempts) on 408, 409, 429, 5xx and
// connection errors; a wait of 0.5s·2^n less up to 25% jitter (global
// math/rand) when no Retry-After came; X-Stainless-Retry-Count counts the
// attempts; no Idempotency-Key on chat completions.
func TestOpenAIRetriesTwiceAndSendsNoKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, always(fakes.LLMComplete, wire.Fault{Kind: wire.Status, Status: 500}))
		start := time.Now()
		_, err := r.openai().Chat.Completions.New(t.Context(), chatParams)
		elapsed := time.Since(start)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 {
			t.Fatalf("err = %v, want the last 500", err)
		}
		if n := r.modelAttempts(); n != 3 {
			t.Fatalf("%d attempts, want 3", n)
		}
		for i, h := range r.rec.headers() {
			if got, want := h.Get("X-Stainless-Retry-Count"), string(rune('0'+i)); got != want {
				t.Errorf("attempt %d: X-Stainless-Retry-Count %q, want %q", i+1, got, want)
			}
			if k := h.Get("Idempotency-Key"); k != "" {
				t.Errorf("attempt %d sent Idempotency-Key %q", i+1, k)
			}
		}
		if elapsed < 1125*time.Millisecond || elapsed > 1500*time.Millisecond {
			t.Fatalf("waited %v between attempts, want 0.375-0.5s + 0.75-1s", elapsed)
		}
	})
}

// Retry-After-Ms is preferred to Retry-After and used exactly (no jitter).
func TestOpenAIHonoursRetryAfterMs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, at(fakes.LLMComplete, wire.Fault{Kind: wire.RateLimit, RetryAfter: 1500 * time.Millisecond}, 1))
		start := time.Now()
		if _, err := r.openai().Chat.Completions.New(t.Context(), chatParams); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 1500*time.Millisecond {
			t.Fatalf("waited %v, want the 1500ms of Retry-After-Ms (Retry-After said 2s)", d)
		}
	})
}

// A reply lost after the generation (post-inference) is a connection
// error: openai-go generates again, and the tokens are paid twice.
func TestOpenAIRegeneratesAfterAPostInferenceLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, at(fakes.LLMComplete, wire.Fault{Kind: wire.Reset}, 1))
		if _, err := r.openai().Chat.Completions.New(t.Context(), chatParams); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		usages := 0
		for _, e := range r.world.Ledger().Effects() {
			if e.Kind == fakes.Usage {
				usages++
			}
		}
		if r.modelAttempts() != 2 || usages != 2 {
			t.Fatalf("%d attempts, %d generations paid; want 2 and 2", r.modelAttempts(), usages)
		}
	})
}

// A stream is retried only until its response head arrives: a 429 first
// is retried; a stream cut after two chunks is the caller's error.
func TestOpenAIStreamRetriesBeforeTheHeadOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		faults := wire.FaultsFunc(func(s wire.Site) wire.Fault {
			switch {
			case s.Tool != fakes.LLMComplete:
			case s.Attempt == 1:
				return wire.Fault{Kind: wire.RateLimit, RetryAfter: time.Second}
			case s.Attempt == 2:
				return wire.Fault{Kind: wire.StreamCut, Chunks: 2}
			}
			return wire.Fault{}
		})
		r := setup(t, faults)
		stream := r.openai().Chat.Completions.NewStreaming(t.Context(), chatParams)
		chunks := 0
		for stream.Next() {
			chunks++
		}
		stream.Close()
		if !errors.Is(stream.Err(), syscall.ECONNRESET) || chunks != 2 {
			t.Fatalf("%d chunks, err %v; want 2, then the reset; log %+v", chunks, stream.Err(), r.srv.Log())
		}
		if n := r.modelAttempts(); n != 2 {
			t.Fatalf("%d attempts, want 2 (the 429 retried, the cut stream not)", n)
		}
	})
}
