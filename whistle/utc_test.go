package whistle_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

var (
	timeType = reflect.TypeOf(time.Time{})
	beijing  = time.FixedZone("CST", 8*3600)
	filedAt  = time.Date(2026, 3, 2, 9, 30, 0, 0, beijing)
)

// fill sets every time in v, however deep (pointers, slices of one
// element), to filedAt in +08:00, so a time field added later without
// InUTC knowing it fails TestCaseInUTC.
func fill(v reflect.Value) {
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(filedAt))
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem())
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// times calls f with the path and value of every time in v.
func times(v reflect.Value, path string, f func(string, time.Time)) {
	switch {
	case v.Type() == timeType:
		f(path, v.Interface().(time.Time))
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			times(v.Elem(), path, f)
		}
	case v.Kind() == reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			times(v.Index(i), path+"[]", f)
		}
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				times(v.Field(i), path+"."+v.Type().Field(i).Name, f)
			}
		}
	}
}

// TestCaseInUTC: every time of a case, its tasks, feedback, extension
// requests, escalations, evaluations, breaches and timeline comes back in
// UTC, the same instant, and the case it was called on keeps its own.
func TestCaseInUTC(t *testing.T) {
	var c whistle.Case
	fill(reflect.ValueOf(&c).Elem())
	n := 0
	got := c.InUTC()
	times(reflect.ValueOf(got), "Case", func(path string, at time.Time) {
		n++
		if at.Location() != time.UTC || !at.Equal(filedAt) {
			t.Errorf("%s = %s, want %s", path, at, filedAt.UTC())
		}
		if s := at.Format(time.RFC3339); s != "2026-03-02T01:30:00Z" {
			t.Errorf("%s answers %s, want 2026-03-02T01:30:00Z", path, s)
		}
	})
	if n < 21 {
		t.Fatalf("only %d times checked: fill missed some", n)
	}
	times(reflect.ValueOf(c), "Case", func(path string, at time.Time) {
		if at.Location() != beijing {
			t.Errorf("InUTC changed the original: %s = %s", path, at)
		}
	})
	if empty := (whistle.Case{}).InUTC(); empty.Tasks != nil || empty.Timeline != nil {
		t.Error("InUTC turned nil slices into empty ones: the JSON would change shape")
	}
}
