// Package agent is a team's agent executor as teams write it: each step of
// a job is a model call through openai-go (streamed or not) or a tool
// call over plain net/http, retried by cenkalti/backoff v5. It knows
// nothing of chaosrun: it is configured with an HTTP client and URLs, as
// in production, and chaosrun's fakes answer on the other end.
//
// Naive (Config.Careful false) is the common code: backoff.Retry around
// every call, every error retried, nothing to tell one attempt of an
// operation from another. When a refund lands and its reply is lost, the
// retry refunds again; when a reply's stream is cut, the retry streams its
// first chunks to the customer again.
//
// Careful sends the step's operation id as the Idempotency-Key of every
// call (a model call's dedup token too), asks a tool that answers lookups
// whether the operation already happened before doing it again, and waits
// as long as a Retry-After says.
package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/cenkalti/backoff/v5"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// Config wires the executor to its model and tools.
type Config struct {
	HTTP     *http.Client
	ModelURL string
	// Tools maps a tool's name to the URL its calls are posted to.
	Tools map[string]string
	// Models are the tools that are model calls.
	Models []string
	// Lookups are the tools that answer a lookup by key.
	Lookups []string
	// Stream asks the model for streamed replies.
	Stream bool
	// Careful sends idempotency keys, looks up before re-executing and
	// honours Retry-After.
	Careful bool
}

// Job is one execution: a tenant and its steps.
type Job struct {
	Tenant string
	Steps  []Step
}

// Step is one step of a job. Op is the operation id the execution's
// inputs carry; the executor passes it on unchanged.
type Step struct {
	Tool string
	Op   string
	Args map[string]any
}

// Run runs the job's steps in order and returns the first error.
func Run(ctx context.Context, cfg Config, job Job) error {
	model := openai.NewClient(option.WithBaseURL(cfg.ModelURL), option.WithHTTPClient(cfg.HTTP), option.WithAPIKey("sk-test"))
	for i, st := range job.Steps {
		var err error
		if slices.Contains(cfg.Models, st.Tool) {
			err = draft(ctx, cfg, &model, st)
		} else {
			err = call(ctx, cfg, job.Tenant, st)
		}
		if err != nil {
			return fmt.Errorf("step %d (%s): %w", i, st.Tool, err)
		}
	}
	return nil
}

// retry runs op under backoff v5's defaults (every error retried for up to
// 15 minutes, 500ms growing 1.5x, ±50% jitter).
func retry(ctx context.Context, op func() error) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) { return struct{}{}, op() })
	return err
}

// draft asks the model for the step's text.
func draft(ctx context.Context, cfg Config, model *openai.Client, st Step) error {
	params := openai.ChatCompletionNewParams{
		Model:    shared.ChatModelGPT4oMini,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(fmt.Sprint(st.Args["request"]))},
		Metadata: shared.Metadata{"op": st.Op},
	}
	var opts []option.RequestOption
	if cfg.Careful {
		opts = append(opts, option.WithHeader("Idempotency-Key", st.Op))
	}
	return retry(ctx, func() error {
		err := generate(ctx, cfg, model, params, opts)
		var apiErr *openai.Error
		if cfg.Careful && errors.As(err, &apiErr) {
			return classify(apiErr.StatusCode, apiErr.Response.Header, err)
		}
		return err
	})
}

func generate(ctx context.Context, cfg Config, model *openai.Client, params openai.ChatCompletionNewParams, opts []option.RequestOption) error {
	if !cfg.Stream {
		c, err := model.Chat.Completions.New(ctx, params, opts...)
		if err == nil && len(c.Choices) == 0 {
			err = errors.New("the completion carried no choice")
		}
		return err
	}
	stream := model.Chat.Completions.NewStreaming(ctx, params, opts...)
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current()) // in production: each chunk shown to the customer as it comes
	}
	if err := stream.Err(); err != nil {
		return err
	}
	if len(acc.Choices) == 0 {
		return errors.New("the stream carried no choice")
	}
	return nil
}

// call posts a tool call; careful, it looks the operation up first on
// every attempt after the first.
func call(ctx context.Context, cfg Config, tenant string, st Step) error {
	body, err := json.Marshal(map[string]any{"op": st.Op, "args": st.Args})
	if err != nil {
		return err
	}
	attempt := 0
	return retry(ctx, func() error {
		attempt++
		if cfg.Careful && attempt > 1 && slices.Contains(cfg.Lookups, st.Tool) {
			if found, err := lookup(ctx, cfg, tenant, st); err == nil && found {
				return nil
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.Tools[st.Tool], bytes.NewReader(body))
		if err != nil {
			return backoff.Permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if cfg.Careful {
			req.Header.Set("Idempotency-Key", st.Op)
		}
		return do(cfg, req, nil)
	})
}

func lookup(ctx context.Context, cfg Config, tenant string, st Step) (bool, error) {
	u := cfg.Tools[st.Tool] + "/lookup?" + url.Values{"tenant": {tenant}, "key": {st.Op}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	var r struct{ Found bool }
	return r.Found, do(cfg, req, &r)
}

// do sends a request; a 4xx other than 429 is permanent, everything else
// that is not a 2xx is worth a retry.
func do(cfg Config, req *http.Request, into any) error {
	resp, err := cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		err := fmt.Errorf("%s: status %d", req.URL.Path, resp.StatusCode)
		if !cfg.Careful {
			if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
				return err
			}
			return backoff.Permanent(err)
		}
		return classify(resp.StatusCode, resp.Header, err)
	}
	if into != nil {
		return json.Unmarshal(b, into)
	}
	return nil
}

// classify is the careful code's reading of an error status: a 4xx other
// than 429 is permanent; a Retry-After is waited out (backoff v5 counts
// it in whole seconds, rounded up); the rest is retried with backoff.
func classify(status int, h http.Header, err error) error {
	switch {
	case status >= 400 && status < 500 && status != http.StatusTooManyRequests:
		return backoff.Permanent(err)
	case h.Get("Retry-After") != "":
		if secs, perr := strconv.ParseFloat(h.Get("Retry-After"), 64); perr == nil {
			return backoff.RetryAfter(int(math.Ceil(secs)))
		}
	}
	return err
}
