package reports

import (
	"encoding/json"
	"io"
)

// JSON renders the report as JSON, schema chaosrun.report/v1.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
