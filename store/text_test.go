package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestApplyCaseWithNULProjects: a case whose text holds NUL or invalid
// UTF-8 (a running case filed before the API refused them) still reaches
// the read model on both databases; PostgreSQL refused it forever before.
func TestApplyCaseWithNULProjects(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		c := sampleCase("c-nul", 4, whistle.CaseOpen)
		c.Title = "井盖\x00丢失"
		c.Description = "\x00"
		c.Location.Address = "东城区\xff某街"
		c.Tasks[0].Status = whistle.TaskDone
		c.Tasks[0].ReturnReason = "误派\x00"
		c.Tasks[0].Feedback = &whistle.Feedback{Result: "已\x00处理", Notes: "\x00", At: at, By: "s1-police"}
		c.Escalations = []whistle.Escalation{{Seq: 3, CaseID: "c-nul", From: whistle.LevelCommunity, To: whistle.LevelStreet, Kind: "manual", Reason: "\x00上报", At: at, By: "c1-secretary"}}
		entries := []whistle.TimelineEntry{
			{Seq: 1, At: at, Type: whistle.EventFiled, Actor: "c1-secretary", Detail: "井盖\x00丢失"},
			{Seq: 4, At: at, Type: whistle.EventFeedback, Actor: "s1-police\x00", TaskID: "c-nul-t1", Detail: "已\x00处理"},
		}
		if err := s.ApplyCase(ctx, c, entries); err != nil {
			t.Fatalf("ApplyCase with NUL: %v", err)
		}
		got, err := s.Case(ctx, "c-nul")
		if err != nil {
			t.Fatalf("the case is not in the read model: %v", err)
		}
		for name, v := range map[string]string{
			"title": got.Title, "description": got.Description, "address": got.Location.Address,
			"return reason": got.Tasks[0].ReturnReason, "escalation reason": got.Escalations[0].Reason,
			"timeline detail": got.Timeline[0].Detail, "timeline actor": got.Timeline[1].Actor,
		} {
			if strings.ContainsRune(v, 0) || !strings.ContainsRune(v, '\uFFFD') {
				t.Errorf("%s = %q, want each NUL or bad byte shown as U+FFFD", name, v)
			}
		}
		if got.Title != "井盖\uFFFD丢失" {
			t.Errorf("title = %q, want the rest of the text kept", got.Title)
		}
		// Feedback is stored as JSON text, where a NUL is the escape \u0000.
		if fb := got.Tasks[0].Feedback; fb == nil || !strings.HasSuffix(fb.Result, "处理") {
			t.Errorf("feedback = %+v, want it kept", fb)
		}
		// A search or an id with NUL is an ordinary miss, not a database error.
		if _, _, err := s.ListCases(ctx, store.CaseFilter{Scope: store.Scope{All: true}, Query: "\x00\xff", Page: store.Page{Page: 1, PageSize: 20}}); err != nil {
			t.Errorf("search with NUL: %v", err)
		}
		var we *whistle.Error
		if _, err := s.Case(ctx, "c-nul\x00"); !errors.As(err, &we) || we.Code != whistle.ENotFound {
			t.Errorf("case id with NUL: %v, want not found", err)
		}
	})
}

func TestSafeText(t *testing.T) {
	for _, row := range []struct{ in, want string }{
		{"", ""},
		{"井盖丢失\n第二行\t", "井盖丢失\n第二行\t"},
		{"\x00", "\uFFFD"},
		{"a\x00b\x00", "a\uFFFDb\uFFFD"},
		{"a\xff\xfeb", "a\uFFFDb"},
	} {
		if got := store.SafeText(row.in); got != row.want {
			t.Errorf("SafeText(%q) = %q, want %q", row.in, got, row.want)
		}
	}
}
