package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestReadModelAnswersUTC: a case projected with times in Beijing time
// (feedback and an extension request as the workflow of an older case, or
// a client, wrote them) reads back in UTC from every read: the case, the
// case list, the inbox and one task.
func TestReadModelAnswersUTC(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		cst := time.FixedZone("CST", 8*3600)
		at := time.Date(2026, 11, 23, 17, 0, 0, 0, cst)
		c := sampleCase("utc-1", 2, whistle.CaseOpen)
		c.CreatedAt, c.UpdatedAt = at, at
		task := &c.Tasks[0]
		task.Status, task.ReportedAt = whistle.TaskDone, &at
		task.ReportDeadline, task.HandleDeadline = at.Add(time.Hour), at.Add(48*time.Hour)
		task.Feedback = &whistle.Feedback{Result: "已处理", At: at, By: "s1-police"}
		task.Extension = &whistle.ExtensionRequest{Until: at.Add(96 * time.Hour), Reason: "等待配件", Status: whistle.ExtensionPending, RequestedAt: at, RequestedBy: "s1-police"}
		entries := []whistle.TimelineEntry{{Seq: 1, At: at, Type: whistle.EventFiled, Actor: "c1-secretary"}}
		if err := s.ApplyCase(ctx, c, entries); err != nil {
			t.Fatal(err)
		}
		got, err := s.Case(ctx, "utc-1")
		if err != nil {
			t.Fatal(err)
		}
		list, _, err := s.ListCases(ctx, store.CaseFilter{Scope: store.Scope{All: true}})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListCases = %d cases, %v", len(list), err)
		}
		inbox, _, err := s.ListTasks(ctx, store.TaskFilter{DepartmentID: "s1-police", Status: []string{"done"}})
		if err != nil || len(inbox) != 1 {
			t.Fatalf("ListTasks = %d tasks, %v", len(inbox), err)
		}
		one, err := s.TaskByID(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for name, v := range map[string]any{"Case": got, "ListCases": list[0], "ListTasks": inbox[0].Task, "TaskByID": one} {
			eachTime(reflect.ValueOf(v), name, func(path string, tm time.Time) {
				n++
				if tm.IsZero() {
					return
				}
				if _, off := tm.Zone(); off != 0 || tm.Location() != time.UTC {
					t.Errorf("%s = %s, want UTC", path, tm)
				}
			})
		}
		if n < 20 {
			t.Fatalf("only %d times seen", n)
		}
		if want := at.Add(96 * time.Hour).UTC(); !got.Tasks[0].Extension.Until.Equal(want) {
			t.Errorf("extension until %s, want the same instant %s", got.Tasks[0].Extension.Until, want)
		}
	})
}

func eachTime(v reflect.Value, path string, f func(string, time.Time)) {
	switch {
	case v.Type() == reflect.TypeOf(time.Time{}):
		f(path, v.Interface().(time.Time))
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			eachTime(v.Elem(), path, f)
		}
	case v.Kind() == reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			eachTime(v.Index(i), path+"[]", f)
		}
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				eachTime(v.Field(i), path+"."+v.Type().Field(i).Name, f)
			}
		}
	}
}
