// Package feasibility holds the measurements behind chaosrun's way of
// testing real code: each test runs one library, unchanged, against the
// wire fakes in a testing/synctest bubble and pins what it does — its
// defaults, the headers it sends, what it retries and how long it waits
// on the bubble's clock. When a library's new version changes any of it,
// a test here says which.
package feasibility
