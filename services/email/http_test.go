package email

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestLogQueryIsStrict: a malformed eventId and a parameter given twice are
// 400 naming the parameter, as every other bad parameter.
func TestLogQueryIsStrict(t *testing.T) {
	c := newFlowCluster(t)
	r := start(t, testConfig(t, c, &fakeSender{}))
	for q, field := range map[string]string{
		"?eventId=zzz":         "eventId",
		"?limit=1&limit=2":     "limit",
		"?userId=1&userId=1":   "userId",
		"?status=sent&status=": "status",
		"?eventId=5f0c6a4e-0a3c-4c57-9d0e-1b2a3c4d5e6f&eventId=5f0c6a4e-0a3c-4c57-9d0e-1b2a3c4d5e6f": "eventId",
	} {
		resp, err := http.Get(r.url + "/api/email-logs" + q)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error, Field string }
		_ = json.Unmarshal(b, &e)
		if resp.StatusCode != 400 || e.Field != field || !strings.Contains(e.Error, field) {
			t.Errorf("GET /api/email-logs%s = %d %s, want 400 naming %s", q, resp.StatusCode, b, field)
		}
	}
	if got := getLogs(t, r.url, "?eventId=5F0C6A4E-0A3C-4C57-9D0E-1B2A3C4D5E6F&limit=5"); len(got) != 0 {
		t.Errorf("logs = %v", got)
	}
}
