package devserver

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.temporal.io/server/common/log/tag"
)

func TestServerLogger(t *testing.T) {
	tests := []struct {
		name string
		log  func(l serverLogger)
		want string // substring of the output; "" means no output
	}{
		{name: "InfoDropped", log: func(l serverLogger) { l.Info("chatty", tag.NewStringTag("k", "v")) }},
		{name: "WarnKept", log: func(l serverLogger) { l.Warn("careful", tag.NewStringTag("k", "v")) }, want: `level=WARN msg=careful k=v`},
		{name: "ErrorKeepsWithTags", log: func(l serverLogger) {
			l.With(tag.NewStringTag("service", "history")).Error("broke", tag.Error(errors.New("boom")))
		}, want: `level=ERROR msg=broke service=history error=boom`},
		{name: "LockContentionDropped", log: func(l serverLogger) {
			l.Error("Operation failed with internal error.", tag.Error(errors.New("UpdateTaskQueue: database is locked (517)")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			floor := new(slog.LevelVar)
			floor.Set(slog.LevelWarn)
			h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
			tt.log(newServerLogger(slog.New(minLevelHandler{next: h, min: floor})))
			got := buf.String()
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("logged %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("SilentFloorDropsErrors", func(t *testing.T) {
		var buf bytes.Buffer
		floor := new(slog.LevelVar)
		floor.Set(silent)
		newServerLogger(slog.New(minLevelHandler{next: slog.NewTextHandler(&buf, nil), min: floor})).Error("late")
		if buf.Len() != 0 {
			t.Fatalf("logged %q after Stop", buf.String())
		}
	})
}
