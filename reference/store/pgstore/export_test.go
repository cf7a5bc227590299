package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Hooks for the external tests: the claim queries, to read their plans, and
// the scoped transactions, to show what a tenant's transaction can see.
const (
	ClaimAudit      = claimAudit
	ClaimDeadLetter = claimDeadLetter
)

func (s *Store) AsTenant(ctx context.Context, tenant string, fn func(pgx.Tx) error) error {
	return s.asTenant(ctx, tenant, fn)
}

func (s *Store) AsSystem(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.asSystem(ctx, fn)
}

// Interpret translates err as a store on db.example:5432/app would.
func Interpret(ctx context.Context, err error, what string) error {
	s := &Store{where: "db.example:5432/app"}
	return s.interpret(ctx, err, what)
}

// ProcessTag is this process's tag in throwaway names.
func ProcessTag() string { return processTag() }

// ThrowawayNamed is a throwaway of a given name, as another process made it.
func ThrowawayNamed(admin *pgxpool.Config, name string) *Throwaway {
	return &Throwaway{name: name, admin: admin.Copy()}
}
