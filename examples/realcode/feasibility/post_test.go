package feasibility_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// post calls a tool as plain net/http code does; a status of 300 or more
// is an error.
func post(ctx context.Context, c *http.Client, url, key string) error {
	b, _ := json.Marshal(map[string]any{"op": opID, "args": map[string]any{"amount": 1200}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
