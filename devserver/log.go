package devserver

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// silent is a level above any record's: a floor set to it drops everything.
const silent = slog.Level(1 << 20)

// minLevelHandler drops records below min before they reach next.
type minLevelHandler struct {
	next slog.Handler
	min  slog.Leveler
}

func (h minLevelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min.Level() && h.next.Enabled(ctx, level)
}

func (h minLevelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.next.Handle(ctx, r)
}

func (h minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevelHandler{next: h.next.WithAttrs(attrs), min: h.min}
}

func (h minLevelHandler) WithGroup(name string) slog.Handler {
	return minLevelHandler{next: h.next.WithGroup(name), min: h.min}
}

// serverLogger adapts the server's log.Logger to slog. Debug and Info are
// dropped; Panic and Fatal keep the meaning the server's code relies on
// (panic, exit), as its own zap logger does.
type serverLogger struct {
	slog *slog.Logger
	// tags from With, turned into attributes only when a line is logged:
	// the server calls With on hot paths and logs little at WARN.
	tags []tag.Tag
}

var (
	_ log.Logger      = serverLogger{}
	_ log.WithLogger  = serverLogger{}
	_ log.SLogWrapper = serverLogger{}
)

func newServerLogger(l *slog.Logger) serverLogger { return serverLogger{slog: l} }

func (serverLogger) Debug(string, ...tag.Tag) {}
func (serverLogger) Info(string, ...tag.Tag)  {}

func (l serverLogger) Warn(msg string, tags ...tag.Tag) {
	l.log(slog.LevelWarn, msg, tags)
}

func (l serverLogger) Error(msg string, tags ...tag.Tag) {
	l.log(slog.LevelError, msg, tags)
}

func (l serverLogger) DPanic(msg string, tags ...tag.Tag) {
	l.log(slog.LevelError, msg, tags)
}

func (l serverLogger) Panic(msg string, tags ...tag.Tag) {
	l.log(slog.LevelError, msg, tags)
	panic(msg)
}

func (l serverLogger) Fatal(msg string, tags ...tag.Tag) {
	l.log(slog.LevelError, msg, tags)
	os.Exit(1)
}

// With returns a logger that adds tags to every line.
func (l serverLogger) With(tags ...tag.Tag) log.Logger {
	return serverLogger{slog: l.slog, tags: append(l.tags[:len(l.tags):len(l.tags)], tags...)}
}

// SLog lets the server's slog-based parts log here directly (already
// filtered to WARN and above).
func (l serverLogger) SLog() *slog.Logger { return l.slog }

func (l serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !l.slog.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(l.tags)+len(tags))
	for _, t := range append(l.tags[:len(l.tags):len(l.tags)], tags...) {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	if isLockContention(attrs) {
		// Two of the pool's connections wanted to write at once. The plugin
		// opens DEFERRED transactions, so SQLite refuses the second at once
		// (SQLITE_BUSY or SQLITE_BUSY_SNAPSHOT, 517) instead of waiting out
		// busy_timeout; the server answers Unavailable and retries. Routine
		// with more than one connection, so not worth an ERROR line each.
		return
	}
	l.slog.LogAttrs(ctx, level, msg, attrs...)
}

func isLockContention(attrs []slog.Attr) bool {
	for _, a := range attrs {
		if a.Key == "error" && strings.Contains(a.Value.String(), "database is locked") {
			return true
		}
	}
	return false
}
