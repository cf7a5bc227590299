package memstore_test

import (
	"context"
	"testing"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
	"github.com/chaosrun/chaosrun/reference/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(context.Background(), t, func(*testing.T) store.Store { return memstore.New() })
}
