package activities_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// BenchmarkOutbox measures the outbox's two costs on each database: a
// projection that writes two notifications with its entry (against one
// that writes none), and the dispatcher's delivery of b.N notifications
// through the log notifier (claim, try, record).
//
//	go test ./activities -run '^$' -bench BenchmarkOutbox -benchtime 2000x
func BenchmarkOutbox(b *testing.B) {
	for name, open := range map[string]func(testing.TB) *store.Store{
		"sqlite":   storetest.MustOpenSQLite,
		"postgres": storetest.MustOpenPostgres,
	} {
		for _, notes := range []int{0, 2} {
			b.Run(fmt.Sprintf("%s/project-%d-notifications", name, notes), func(b *testing.B) {
				st := open(b)
				a := &activities.Activities{Store: st, Logger: discard}
				ctx := context.Background()
				c, entries := sampleCase()
				b.ResetTimer()
				for i := range b.N {
					c.ID = fmt.Sprintf("B%d", i)
					in := workflows.ProjectInput{Case: c, Entries: entries}
					for k := range notes {
						in.Notifications = append(in.Notifications, workflows.Notification{CaseID: c.ID, Seq: 2, Event: whistle.EventSummoned,
							DepartmentID: fmt.Sprintf("d%d", k), Message: "m"})
					}
					if err := a.Project(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(name+"/deliver", func(b *testing.B) {
			st := open(b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c, _ := sampleCase()
			items := make([]store.OutboxItem, 0, b.N)
			for i := range b.N {
				n := workflows.Notification{CaseID: c.ID, Seq: int64(i + 1), Event: whistle.EventSummoned, DepartmentID: "a", Message: "m"}
				items = append(items, outboxItem(b, n, time.Now()))
			}
			if err := st.ApplyCaseWithOutbox(ctx, c, nil, items); err != nil {
				b.Fatal(err)
			}
			d := &activities.OutboxDispatcher{Store: st, Logger: discard, Poll: 10 * time.Millisecond}
			b.ResetTimer()
			ran := make(chan struct{})
			go func() { d.Run(ctx); close(ran) }()
			for {
				n, err := st.OutboxBacklog(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			b.StopTimer()
			cancel()
			<-ran
		})
	}
}
