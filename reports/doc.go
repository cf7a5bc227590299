// Package reports turns explorations into what people read. Every format
// renders one [Report] to an [io.Writer]:
//
//   - [Table]: a terminal table (tablewriter) of policies and invariants,
//     what the work became and what it cost, with a legend; [Terminal]
//     fits it to the terminal's width (see table.go for the layouts) and
//     adds each first failure's replay line.
//   - [Markdown]: GitHub-flavoured Markdown for a CI job summary
//     ($GITHUB_STEP_SUMMARY): the verdict on one line, the matrix, a table
//     of work and cost, and each violating policy's first counterexample
//     with its replay line.
//   - [JSON]: the chaosrun.report/v1 contract; its keys are only ever
//     added to, never renamed or removed. Its types are declared here
//     (schema.go), not borrowed from the harness, so that renaming an
//     internal field never changes the schema; [ReadJSON] reads it back.
//   - [JUnit]: JUnit XML in the shape CI systems read: a test suite per
//     policy, a test case per invariant, a failure per violated invariant
//     carrying the shrunk counterexample.
//   - [HTML]: one self-contained page (template and stylesheet embedded,
//     chart in inline SVG, no script) with the matrix, a cost chart and the
//     timeline of each violating policy's first counterexample.
//
// Writing a file is a thin wrapper ([WriteFile]) that writes nothing unless
// the whole report rendered. The same replay line ("chaosrun replay
// --policy P --seed S") appears in every format but the table, so that a
// counterexample found in CI is one copy and paste away from a terminal.
//
// # Coverage
//
// Every format shows each policy's coverage of the fault model: how many
// of the reachable cells (tenant x tool x phase x fault kind) received a
// fault, and which did not ([Coverage], additive to the JSON schema). A
// policy that broke nothing while a cell is missing or an invariant
// undecided is "inconclusive", not "clean" ([Policy.Inconclusive],
// [Inconclusiveness]). Merged shards are missing a cell when every shard
// is: every shard runs the pilot that decides the reachable cells.
//
// # Determinism
//
// A report renders byte for byte the same every time: invariants and
// policies keep the report's order, maps are only ever read in that order,
// and numbers are printed with fixed precision. The one field that varies
// between two explorations of the same seeds is the wall time
// (elapsed_ms, and the JUnit time attributes computed from it); the golden
// tests fix it before rendering.
//
// # Counterexamples
//
// A [Report] built with [Report.Add] keeps every violated invariant's
// first counterexample ([harness.Failure]: the shrunk run with its history
// and ledger), which the Markdown, JUnit and HTML formats lay out. A
// report decoded from JSON keeps each counterexample's seed, size,
// sentence and replay line, not the run: the formats show those and say
// where the timeline is ([Counterexample.From], in a merged report).
//
// # Shards
//
// A report covers a [Shard] of the seed space. [Merge] combines the
// reports of shards of one exploration into the report of all of them:
// merging every shard gives the unsharded report, wall times apart (see
// merge.go for what is refused, and why the merged counterexamples name
// their shards).
//
// # Golden files
//
// testdata/ holds every format rendered from a fixed exploration (see
// report_test.go), and the terminal's output at 80, 120 and 200 columns.
// After an intended change, regenerate them with
//
//	go test ./reports -run TestGolden -update
//
// and read the diff. TestHTMLInChromium opens the HTML report in headless
// Chromium when one is installed (apt-get install chromium; $CHROMIUM
// names another binary) and fails on any console message or script error.
package reports
