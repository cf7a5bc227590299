package pgstoretest

import (
	"context"
	"fmt"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
)

// Image is the Postgres image testcontainers starts.
const Image = "postgres:15-alpine"

// startContainer starts a Postgres container and returns its DSN. It asks
// the Docker engine for its health first, which fails at once where there
// is none. The container lives as long as the test binary: testcontainers'
// reaper removes it when the process ends.
func startContainer(ctx context.Context) (string, error) {
	if err := dockerHealth(ctx); err != nil {
		return "", err
	}
	c, err := postgres.Run(ctx, Image,
		postgres.WithDatabase("postgres"),
		postgres.WithUsername("postgres"),
		postgres.WithPassword("postgres"),
		postgres.BasicWaitStrategies(),
	)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", Image, err)
	}
	return c.ConnectionString(ctx, "sslmode=disable")
}

// dockerHealth reports whether a Docker engine answers.
func dockerHealth(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil { // testcontainers panics on some broken setups
			err = fmt.Errorf("testcontainers: %v", r)
		}
	}()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return err
	}
	defer provider.Close()
	return provider.Health(ctx)
}
