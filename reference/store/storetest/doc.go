// Package storetest is the conformance suite of the storage port. Every
// implementation runs it:
//
//	func TestConformance(t *testing.T) {
//		storetest.Exercise(context.Background(), t, func(t *testing.T) store.Store { return memstore.New() })
//	}
//
// newStore must return an empty store for each call; each subtest calls it once.
package storetest
