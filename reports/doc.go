// Package reports turns explorations into what people read: a terminal
// table (tablewriter), Markdown for a CI job summary, JSON (schema
// chaosrun.report/v1), JUnit XML, and a self-contained HTML report.
//
// Every format renders one [Report] to an [io.Writer]; writing a file is a
// thin wrapper ([WriteFile]) that writes nothing unless the whole report
// rendered. The same replay line ("chaosrun replay --policy P --seed S")
// appears in every format, so that a counterexample found in CI is one copy
// and paste away from a terminal.
package reports
