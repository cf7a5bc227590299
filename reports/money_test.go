package reports

import (
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
)

// TestTimelineTellsChargesFromCosts: a timeline says a charge took a
// customer's money, and that an enrichment merely cost some.
func TestTimelineTellsChargesFromCosts(t *testing.T) {
	t.Parallel()
	facts := fakes.NewLedger(nil).Facts()
	for _, c := range []struct {
		tool string
		want string
	}{
		{fakes.CreateCharge, "charging the customer $12.34"},
		{fakes.EnrichContact, "costing $12.34"},
		{fakes.PublishReport, "costing $12.34"},
	} {
		e := fakes.Effect{Kind: fakes.Applied, Tool: c.tool, Ref: "r1", CostCents: 1234, Op: fakes.Op{Tenant: fakes.Globex}}
		if got := describeEffect(e, false, facts.Money(fakes.Globex, c.tool)).Text; !strings.HasSuffix(got, c.want) {
			t.Errorf("%s: %q, want it to end %q", c.tool, got, c.want)
		}
	}
}
