package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
	"github.com/shaobao/shaobao/worktime"
)

// filingTemporal stands in for Temporal on the filing path: a start keeps
// the first input of each workflow id (the USE_EXISTING conflict policy of
// startCase), and the filed update answers the case the workflow would
// (newMachine copies the number) after projecting it, as the real filed
// update does before it answers.
type filingTemporal struct {
	client.Client
	st *store.Store

	mu      sync.Mutex
	next    workflows.WhistleInput // the input of the start being built
	started map[string]workflows.WhistleInput
	sent    []string // the number of every start the API sent
}

func (f *filingTemporal) NewWithStartWorkflowOperation(_ client.StartWorkflowOptions, _ any, args ...any) client.WithStartWorkflowOperation {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = args[0].(workflows.WhistleInput)
	f.sent = append(f.sent, f.next.Number)
	return nil
}

func (f *filingTemporal) UpdateWithStartWorkflow(ctx context.Context, _ client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	in, ok := f.started[f.next.ID]
	if !ok {
		in = f.next
		f.started[in.ID] = in
	}
	f.mu.Unlock()
	kase := whistle.Case{ID: in.ID, Number: in.Number, Title: in.Title, Category: in.Category, Source: in.Source, Class: in.Class, Status: whistle.CaseOpen,
		Location: in.Location, OrgUnitID: in.OrgUnitID, OrgPath: in.OrgPath, Level: in.Chain[0].Level, HolderOrgUnitID: in.Chain[0].ID,
		HolderOrgPath: in.Chain[0].Path, FiledBy: in.Filer.Username, FiledByUserID: in.Filer.UserID, CreatedAt: in.CreatedAt, UpdatedAt: in.CreatedAt, Seq: 1,
		Tasks: []whistle.Task{}, Escalations: []whistle.Escalation{}, Evaluations: []whistle.Evaluation{}, Breaches: []whistle.Breach{}, Timeline: []whistle.TimelineEntry{}}
	if err := f.st.ApplyCase(ctx, kase, []whistle.TimelineEntry{{Seq: 1, At: in.CreatedAt, Type: whistle.EventFiled, Actor: in.Filer.Username}}); err != nil {
		return nil, err
	}
	return filedHandle{kase}, nil
}

func (f *filingTemporal) OperatorService() operatorservice.OperatorServiceClient {
	return preparedNamespace{}
}

type filedHandle struct{ kase whistle.Case }

func (h filedHandle) WorkflowID() string { return workflows.WorkflowID(h.kase.ID) }
func (h filedHandle) RunID() string      { return "run" }
func (h filedHandle) UpdateID() string   { return "filed" }
func (h filedHandle) Get(_ context.Context, v any) error {
	*(v.(*whistle.Case)) = h.kase
	return nil
}

// TestFilingCarriesItsNumber: the API allocates the number before the
// start, passes it in WhistleInput and answers it; a refused filing burns
// none; a retry with the same Idempotency-Key after its record expired
// reuses the number of the case it filed.
func TestFilingCarriesItsNumber(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	storetest.MustSeedDemo(t, st)
	ctx := context.Background()
	pol, err := policy.New(ctx, st.DB)
	if err != nil {
		t.Fatal(err)
	}
	fake := &filingTemporal{st: st, started: map[string]workflows.WhistleInput{}}
	h := (&Server{Store: st, Temporal: fake, Policy: pol, Logger: slog.New(slog.DiscardHandler)}).Handler()
	u, err := st.UserByUsername(ctx, "c1-secretary")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.IssueToken(ctx, u.ID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(worktime.Location).Format("20060102")
	file := func(body, key string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/api/v1/cases", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var kase whistle.Case
		if rec.Code == http.StatusCreated {
			if err := json.Unmarshal(rec.Body.Bytes(), &kase); err != nil {
				t.Fatal(err)
			}
			stored, err := st.CaseHeader(ctx, kase.ID)
			if err != nil || stored.Number != kase.Number {
				t.Fatalf("read model number %q (%v), answer %q", stored.Number, err, kase.Number)
			}
		}
		return rec.Code, kase.Number
	}
	steps := []struct {
		name, body, key string
		status          int
		want            string // the number answered
	}{
		{"First", fuzzGoodFiling, "", 201, day + "-00001"},
		{"Second", fuzzGoodFiling, "", 201, day + "-00002"},
		{"Refused", strings.Replace(fuzzGoodFiling, `"s1-police","s1-citymgmt"`, `"s1-police","s1-police"`, 1), "", 400, ""},
		{"WithKey", fuzzGoodFiling, "k-number", 201, day + "-00003"},
		{"Replayed", fuzzGoodFiling, "k-number", 201, day + "-00003"},
		{"Third", fuzzGoodFiling, "", 201, day + "-00004"},
	}
	for _, s := range steps {
		if s.name == "Replayed" {
			// The key's record has expired: the filing path itself runs again.
			if err := st.DB.Exec("DELETE FROM idempotency_keys").Error; err != nil {
				t.Fatal(err)
			}
		}
		status, number := file(s.body, s.key)
		if status != s.status || number != s.want {
			t.Fatalf("%s: %d %q, want %d %q", s.name, status, number, s.status, s.want)
		}
	}
	want := []string{day + "-00001", day + "-00002", day + "-00003", day + "-00003", day + "-00004"}
	if strings.Join(fake.sent, ",") != strings.Join(want, ",") {
		t.Errorf("numbers sent to the workflow %v, want %v", fake.sent, want)
	}
}
