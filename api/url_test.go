package api_test

import (
	"strings"
	"testing"
)

// TestFeedbackEvidenceHTTPOnly: evidence links follow Open311's media_url
// rule (one helper): absolute http(s) URLs only, since readers click them.
func TestFeedbackEvidenceHTTPOnly(t *testing.T) {
	srv, st := newServer(t)
	clerk := token(t, st, "s1-police")
	for _, row := range []struct {
		name, url string
		status    int // 404: the link passed, the task X does not exist
	}{
		{"HTTPS", "https://example.org/p/1.jpg", 404},
		{"HTTPUpperScheme", "HTTP://example.org/p/1.jpg?x=1", 404},
		{"Javascript", "javascript:alert(1)", 400},
		{"JavascriptSlashes", "javascript://example.org/%0Aalert(1)", 400},
		{"Data", "data:image/png;base64,AAAA", 400},
		{"FTP", "ftp://example.org/p.jpg", 400},
		{"NoHost", "https:///p.jpg", 400},
		{"Relative", "/p/1.jpg", 400},
	} {
		t.Run(row.name, func(t *testing.T) {
			r := call(t, srv, clerk, "POST", "/api/v1/tasks/X/feedback", `{"result":"已处置","evidence":["`+row.url+`"]}`)
			if r.status != row.status {
				t.Fatalf("got %d %q, want %d", r.status, errMessage(r), row.status)
			}
			if row.status == 400 && !strings.Contains(errMessage(r), "证据链接") {
				t.Errorf("message %q does not name evidence", errMessage(r))
			}
		})
	}
}
