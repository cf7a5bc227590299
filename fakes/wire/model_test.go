package wire_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

func (r *rig) chat(stream bool) (*http.Response, error) {
	body := map[string]any{"model": "gpt-test", "stream": stream, "metadata": map[string]string{"op": op1},
		"messages": []map[string]any{{"role": "user", "content": "summarise the ticket"}}}
	if stream {
		body["stream_options"] = map[string]any{"include_usage": true}
	}
	b, _ := json.Marshal(body)
	return r.client.Post(r.ep.ModelBaseURL+"/chat/completions", "application/json", bytes.NewReader(b))
}

// tokens returns the tokens the ledger recorded for model calls.
func (r *rig) tokens() int {
	synctest.Wait()
	n := 0
	for _, e := range r.world.Ledger().Effects() {
		if e.Kind == fakes.Usage {
			n += e.Tokens
		}
	}
	return n
}

func TestChatCompletionReportsTheLedgersTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, nil)
		resp, err := r.chat(false)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Object  string
			Choices []struct {
				Message struct{ Role, Content string }
			}
			Usage struct {
				Total int `json:"total_tokens"`
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got.Object != "chat.completion" || len(got.Choices) != 1 || !strings.HasPrefix(got.Choices[0].Message.Content, "acme:chunk-0") {
			t.Fatalf("completion %+v", got)
		}
		if got.Usage.Total == 0 || got.Usage.Total != r.tokens() {
			t.Fatalf("usage says %d tokens, the ledger %d", got.Usage.Total, r.tokens())
		}
	})
}

// events reads a stream's data lines until it ends.
func events(t *testing.T, resp *http.Response) ([]string, error) {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out, sc.Err()
}

func TestChatStreamEndsWithUsageAndDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, nil)
		resp, err := r.chat(true)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content type %q", ct)
		}
		evs, err := events(t, resp)
		if err != nil || len(evs) < 4 || evs[len(evs)-1] != "[DONE]" {
			t.Fatalf("events %q, %v", evs, err)
		}
		var last struct {
			Choices []any
			Usage   struct {
				Total int `json:"total_tokens"`
			}
		}
		json.Unmarshal([]byte(evs[len(evs)-2]), &last)
		if len(last.Choices) != 0 || last.Usage.Total != r.tokens() {
			t.Fatalf("usage chunk %s; the ledger says %d tokens", evs[len(evs)-2], r.tokens())
		}
	})
}

func TestChatStreamCutAfterKChunks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.StreamCut, Chunks: 2}))
		resp, err := r.chat(true)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		evs, err := events(t, resp)
		if len(evs) != 2 || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("events %q, err %v; want 2 chunks then a reset", evs, err)
		}
		if want := wire.PromptTokens + 2*wire.ChunkTokens; r.tokens() != want {
			t.Fatalf("the ledger has %d tokens for a stream cut after 2 chunks, want %d", r.tokens(), want)
		}
	})
}

func TestChatRateLimitedBeforeInference(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.RateLimit}))
		resp, err := r.chat(false)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || r.tokens() != 0 {
			t.Fatalf("status %d, Retry-After %q, %d tokens spent", resp.StatusCode, resp.Header.Get("Retry-After"), r.tokens())
		}
	})
}

func TestChatNeedsAnOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, nil)
		b := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
		resp, err := r.client.Post(r.ep.ModelBaseURL+"/chat/completions", "application/json", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("a request without metadata.op: status %d, want 400", resp.StatusCode)
		}
	})
}
