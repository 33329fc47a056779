package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shaobao/shaobao/activities"
)

// A notification logged as JSON keeps the line's own level: the org level
// goes under org_level (two "level" keys made jq and Loki read the last).
func TestLogNotifier_OrgLevelDoesNotOverwriteTheLogLevel(t *testing.T) {
	var buf bytes.Buffer
	lg := slog.New(slog.NewJSONHandler(&buf, nil))
	require.NoError(t, activities.LogNotifier{Logger: lg}.Notify(context.Background(), note))
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
	require.Equal(t, "INFO", line["level"], buf.String())
	require.Equal(t, string(note.Level), line["org_level"], buf.String())
	require.Equal(t, 1, strings.Count(buf.String(), `"level":`), buf.String())
}

// A webhook that cannot be reached fails with an error that names the URL
// without its password or token: neither the activity's error (kept in
// Temporal's history) nor the warning in the log shows them.
func TestNotify_FailedWebhookHidesItsSecrets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens: the POST fails to connect

	for _, tc := range []struct{ name, url string }{
		{"DingTalkToken", "http://" + addr + "/robot/send?access_token=tok3n-s3cret&timestamp=1&sign=s1gn-s3cret"},
		{"BasicAuth", "http://ops:pa55-s3cret@" + addr + "/notify"},
		{"MalformedURL", "http://ops:pa55-s3cret@" + addr + ":x/notify?key=k3y-s3cret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			a := &activities.Activities{
				Notifier: &activities.WebhookNotifier{URL: tc.url, Secret: []byte("k")},
				Logger:   slog.New(slog.NewJSONHandler(&buf, nil)),
			}
			err := a.Notify(context.Background(), note)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "s3cret")
			require.Contains(t, buf.String(), "notification failed")
			require.NotContains(t, buf.String(), "s3cret")
		})
	}
}
