package outcome

import (
	"errors"
	"fmt"
	"time"
)

// The failure vocabulary shared by tools, transports and the engine.
var (
	// ErrRefused: the connection was refused; nothing reached the tool.
	ErrRefused = errors.New("connection refused")
	// ErrTimeout: the request was sent and no answer came in time.
	ErrTimeout = errors.New("timed out waiting for the response")
	// ErrReset: the connection was reset after the request was sent.
	ErrReset = errors.New("connection reset after the request was sent")
	// ErrStreamCut: a streamed response stopped before its end.
	ErrStreamCut = errors.New("stream cut before the end")
	// ErrBadResponse: a complete response arrived and could not be handled.
	ErrBadResponse = errors.New("response could not be handled")
)

// StatusError is an HTTP-style status answered by a tool.
type StatusError struct {
	Code       int
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("status %d (retry after %s)", e.Code, e.RetryAfter)
	}
	return fmt.Sprintf("status %d", e.Code)
}

// Status returns a *StatusError with the given code and Retry-After.
func Status(code int, retryAfter time.Duration) error {
	return &StatusError{Code: code, RetryAfter: retryAfter}
}

// RejectedError reports a tool that acted and then rejected the operation
// (a business rule that failed after the write): a deterministic failure
// after the effect, the same on every attempt, which only compensation or a
// human undoes.
type RejectedError struct{ Reason string }

func (e *RejectedError) Error() string { return "rejected after acting: " + e.Reason }

// InvalidPlanError reports a task graph that the orchestrator rejected. The
// same input yields the same plan: the failure is deterministic.
type InvalidPlanError struct{ Reason string }

func (e *InvalidPlanError) Error() string { return "invalid plan: " + e.Reason }
