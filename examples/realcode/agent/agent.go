// Package agent is a team's agent step as teams write it: a model call
// through openai-go (streamed or not), then a charge through a plain
// net/http tool call retried by cenkalti/backoff v5. It knows nothing of
// chaosrun: it is configured with an HTTP client and URLs, as in
// production, and chaosrun's fakes answer on the other end.
//
// Naive (Config.Careful false) is the common code: backoff.Retry around the
// POST, every error retried. When the charge lands and its reply is lost,
// the retry charges again. Careful sends the step's operation id as the
// Idempotency-Key and, before re-executing, asks the tool by key whether
// the charge already happened.
package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// ChargeTool is the tool the step calls.
const ChargeTool = "create_charge"

// Config wires the step to its model and tools.
type Config struct {
	HTTP     *http.Client
	ModelURL string
	// Tools maps a tool's name to the URL its calls are posted to.
	Tools map[string]string
	// Stream asks the model for a streamed reply.
	Stream bool
	// Careful sends an idempotency key and looks up before re-executing.
	Careful bool
	// MaxElapsed bounds the retries of the charge (0: backoff's 15 minutes).
	MaxElapsed time.Duration
}

// Task is the step's input. Op is the operation id the execution's inputs
// carry; the step passes it on unchanged.
type Task struct {
	Tenant string
	Op     string
	Ticket string
	Amount int
}

// Result is what the step produced.
type Result struct {
	Note     string
	ChargeID string
	// Tokens is the model's reported usage.
	Tokens int64
}

// Refund drafts a refund note with the model, then charges.
func Refund(ctx context.Context, cfg Config, task Task) (Result, error) {
	note, tokens, err := draft(ctx, cfg, task)
	if err != nil {
		return Result{}, fmt.Errorf("draft the note: %w", err)
	}
	id, err := charge(ctx, cfg, task, note)
	if err != nil {
		return Result{Note: note, Tokens: tokens}, fmt.Errorf("charge: %w", err)
	}
	return Result{Note: note, ChargeID: id, Tokens: tokens}, nil
}

func draft(ctx context.Context, cfg Config, task Task) (string, int64, error) {
	client := openai.NewClient(option.WithBaseURL(cfg.ModelURL), option.WithHTTPClient(cfg.HTTP), option.WithAPIKey("sk-test"))
	params := openai.ChatCompletionNewParams{
		Model:    shared.ChatModelGPT4oMini,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Draft a refund note for ticket " + task.Ticket)},
		Metadata: shared.Metadata{"op": task.Op},
	}
	if !cfg.Stream {
		c, err := client.Chat.Completions.New(ctx, params)
		if err != nil {
			return "", 0, err
		}
		return c.Choices[0].Message.Content, c.Usage.TotalTokens, nil
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		return "", 0, err
	}
	if len(acc.Choices) == 0 {
		return "", 0, errors.New("the stream carried no choice")
	}
	return acc.Choices[0].Message.Content, acc.Usage.TotalTokens, nil
}

// toolReply is the tool's answer to a call, and to a lookup.
type toolReply struct {
	Found bool   `json:"found"`
	Data  string `json:"data"`
	Ref   string `json:"ref"`
}

func charge(ctx context.Context, cfg Config, task Task, note string) (string, error) {
	body, err := json.Marshal(map[string]any{"op": task.Op, "args": map[string]any{"amount": task.Amount, "note": note}})
	if err != nil {
		return "", err
	}
	attempt := 0
	return backoff.Retry(ctx, func() (string, error) {
		attempt++
		if cfg.Careful && attempt > 1 {
			if r, err := lookup(ctx, cfg, task); err == nil && r.Found {
				return r.Ref, nil
			}
		}
		var r toolReply
		if err := post(ctx, cfg, task, body, &r); err != nil {
			return "", err
		}
		return r.Ref, nil
	}, backoff.WithMaxElapsedTime(cfg.MaxElapsed))
}

func post(ctx context.Context, cfg Config, task Task, body []byte, into *toolReply) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.Tools[ChargeTool], bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cfg.Careful {
		req.Header.Set("Idempotency-Key", task.Op)
	}
	return do(cfg.HTTP, req, into)
}

func lookup(ctx context.Context, cfg Config, task Task) (toolReply, error) {
	u := cfg.Tools[ChargeTool] + "/lookup?" + url.Values{"tenant": {task.Tenant}, "key": {task.Op}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return toolReply{}, err
	}
	var r toolReply
	return r, do(cfg.HTTP, req, &r)
}

// do sends a request; a 4xx other than 429 is permanent, everything else
// that is not a 2xx is worth a retry.
func do(c *http.Client, req *http.Request, into *toolReply) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("%s: status %d", req.URL.Path, resp.StatusCode)
	case resp.StatusCode >= 300:
		return backoff.Permanent(fmt.Errorf("%s: status %d", req.URL.Path, resp.StatusCode))
	}
	return json.Unmarshal(b, into)
}
