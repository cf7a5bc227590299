package wire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/fakes"
)

// ErrBadOp is returned by [ParseOp] for an operation id it cannot read.
var ErrBadOp = errors.New(`operation id is not "tenant/execution/step"`)

// OpID returns the operation id of one step of one execution:
// "tenant/execution/step". The harness hands it to the code under test in
// the execution's inputs; the code passes it through unchanged.
func OpID(op fakes.Op) string {
	return op.Tenant + "/" + op.Exec + "/" + strconv.Itoa(op.Step)
}

// ParseOp reads an operation id made by [OpID]. The execution may itself
// contain slashes: the tenant is the first segment, the step the last.
func ParseOp(id string) (fakes.Op, error) {
	tenant, rest, ok1 := strings.Cut(id, "/")
	i := strings.LastIndexByte(rest, '/')
	if !ok1 || i <= 0 || tenant == "" {
		return fakes.Op{}, fmt.Errorf("%q: %w", id, ErrBadOp)
	}
	step, err := strconv.Atoi(rest[i+1:])
	if err != nil || step < 0 {
		return fakes.Op{}, fmt.Errorf("%q: %w", id, ErrBadOp)
	}
	return fakes.Op{Tenant: tenant, Exec: rest[:i], Step: step, Sub: -1}, nil
}
