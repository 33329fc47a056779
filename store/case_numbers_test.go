package store_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

func TestAllocateCaseNumber(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 12, 2, 9, 30, 0, 0, worktime.Location)
		for i, want := range []string{"20261202-00001", "20261202-00002", "20261202-00003"} {
			got, err := s.AllocateCaseNumber(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("allocation %d = %s, want %s", i, got, want)
			}
			if !store.IsCaseNumber(got) {
				t.Errorf("IsCaseNumber(%s) = false", got)
			}
		}
	})
}

// The day is China's: 23:59:59 and 00:00:00 China Standard Time are two
// days, though both are 2 December in UTC (15:59:59 and 16:00:00).
func TestAllocateCaseNumberRollsOverAtChinaMidnight(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		before := time.Date(2026, 12, 2, 15, 59, 59, 0, time.UTC)
		after := before.Add(time.Second)
		for _, step := range []struct {
			at   time.Time
			want string
		}{
			{before, "20261202-00001"},
			{before, "20261202-00002"},
			{after, "20261203-00001"},
			{before, "20261202-00003"}, // a slow filing of yesterday keeps yesterday's counter
			{after.In(worktime.Location), "20261203-00002"},
		} {
			got, err := s.AllocateCaseNumber(ctx, step.at)
			if err != nil {
				t.Fatal(err)
			}
			if got != step.want {
				t.Errorf("at %s: %s, want %s", step.at.Format(time.RFC3339), got, step.want)
			}
		}
	})
}

func TestAllocateCaseNumberConcurrently(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 12, 2, 10, 0, 0, 0, worktime.Location)
		const goroutines, each = 16, 25
		var (
			mu   sync.Mutex
			got  []int
			wg   sync.WaitGroup
			errs = make(chan error, goroutines)
		)
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					n, err := s.AllocateCaseNumber(ctx, at)
					if err != nil {
						errs <- err
						return
					}
					seq, err := strconv.Atoi(strings.TrimPrefix(n, "20261202-"))
					if err != nil {
						errs <- fmt.Errorf("number %s: %w", n, err)
						return
					}
					mu.Lock()
					got = append(got, seq)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		slices.Sort(got)
		if len(got) != goroutines*each {
			t.Fatalf("%d numbers, want %d", len(got), goroutines*each)
		}
		for i, seq := range got {
			if seq != i+1 {
				t.Fatalf("sorted numbers[%d] = %d, want %d: numbers are not distinct and consecutive", i, seq, i+1)
			}
		}
	})
}

func TestCaseNumberInReadModel(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := sampleCase("c-num", 1, whistle.CaseOpen)
		c.Number = "20261123-00007"
		old := sampleCase("c-old", 1, whistle.CaseOpen) // filed before numbers
		old2 := sampleCase("c-old2", 1, whistle.CaseOpen)
		for _, k := range []whistle.Case{c, old, old2} {
			if err := s.ApplyCase(ctx, k, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Case(ctx, "c-num")
		if err != nil {
			t.Fatal(err)
		}
		if got.Number != c.Number {
			t.Errorf("Case().Number = %q, want %q", got.Number, c.Number)
		}
		id, err := s.CaseIDByNumber(ctx, c.Number)
		if err != nil || id != "c-num" {
			t.Errorf("CaseIDByNumber = %q, %v; want c-num", id, err)
		}
		if _, err := s.CaseIDByNumber(ctx, "20261123-00008"); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("unknown number: %v, want not_found", err)
		}
		if _, err := s.CaseIDByNumber(ctx, ""); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("empty number: %v, want not_found (old cases share the empty number)", err)
		}
		items, _, err := s.ListCases(ctx, store.CaseFilter{Scope: store.Scope{All: true}, Query: "20261123-00007"})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].ID != "c-num" || items[0].Number != c.Number {
			t.Errorf("ListCases(q=number) = %+v, want c-num with its number", items)
		}
		// The unique index: a second case cannot take the number.
		dup := sampleCase("c-dup", 1, whistle.CaseOpen)
		dup.Number = c.Number
		if err := s.ApplyCase(ctx, dup, nil); err == nil {
			t.Error("a second case with the same number was stored")
		}
	})
}

func TestIsCaseNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"20261202-00123": true, "20261202-123456": true, "SB261202ABCDEF0123": false, "20261202": false,
		"2026120-00123": false, "20261202-0012": false, "20261202-00123 ": false, "": false,
	} {
		if got := store.IsCaseNumber(s); got != want {
			t.Errorf("IsCaseNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

// BenchmarkAllocateCaseNumber measures one allocation (one upsert on the
// day's counter row), serial and from parallel goroutines.
func BenchmarkAllocateCaseNumber(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.MustOpenSQLite}, {"postgres", storetest.MustOpenPostgres}} {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			ctx := context.Background()
			at := time.Date(2026, 12, 2, 10, 0, 0, 0, worktime.Location)
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.AllocateCaseNumber(ctx, at); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.AllocateCaseNumber(ctx, at); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

// TestCaseNumbersMigrationOnAnOlderDatabase: a database migrated before
// 202612020005 (no case_numbers, no cases.number, a case already filed)
// gets them, and its old case keeps an empty number.
func TestCaseNumbersMigrationOnAnOlderDatabase(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.ApplyCase(ctx, sampleCase("c-before", 1, whistle.CaseOpen), nil); err != nil {
			t.Fatal(err)
		}
		// Undo 202612020005 by hand, as a database from before it looks.
		for _, stmt := range []string{
			"DROP INDEX idx_cases_number", "DROP INDEX idx_cases_category_lat_lon",
			"ALTER TABLE cases DROP COLUMN number", "DROP TABLE case_numbers",
			"DELETE FROM schema_migrations WHERE id = '202612020005_case_numbers'",
		} {
			if err := s.DB.Exec(stmt).Error; err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		old, err := s.Case(ctx, "c-before")
		if err != nil || old.Number != "" {
			t.Fatalf("old case: %q, %v", old.Number, err)
		}
		n, err := s.AllocateCaseNumber(ctx, time.Date(2026, 12, 2, 9, 0, 0, 0, worktime.Location))
		if err != nil || n != "20261202-00001" {
			t.Fatalf("first number after the upgrade: %q, %v", n, err)
		}
		a, b := sampleCase("c-a", 1, whistle.CaseOpen), sampleCase("c-b", 1, whistle.CaseOpen)
		a.Number, b.Number = n, n
		if err := s.ApplyCase(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.ApplyCase(ctx, b, nil); err == nil {
			t.Error("the unique index on cases.number is missing after the upgrade")
		}
	})
}
