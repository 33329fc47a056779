// Package workflows is the whistle workflow: one durable Temporal workflow
// per case (id WorkflowID(case id), type WorkflowName, task queue
// TaskQueue) that runs the closed loop of DESIGN.md §2 — summons, report
// for duty, handling, returns and re-routing, extensions, verification,
// evaluation, closing — with the SLA clocks as timers and escalation up the
// four-level command chain.
//
// The rules live in state.go as plain check/apply functions on a
// whistle.Case, shared by each update's validator and handler and tested
// without Temporal. whistle.go is the orchestration: updates, the query,
// the one timer loop, projection and notifications through activities
// (called by name; see the Activity* constants and activities.Register),
// search attributes and Continue-As-New.
//
// Determinism. Workflow code never reads the clock, the database or the
// network except through workflow.Now, timers and activities. CI checks it
// with the SDK's analyser:
//
//	GOTOOLCHAIN=auto go run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows/
//
// and replays the histories recorded in testdata/ (TestReplayRecordedHistories).
//
// Versioning. A change that alters the commands a running case issues on
// replay (a new activity, timer or upsert, a reordering) is patched with
// workflow.GetVersion(ctx, "<change-id>", workflow.DefaultVersion, N), the
// old path kept until no case of that shape is running; a validator may
// change freely (validators do not run on replay). Record new histories
// after a change of shape:
//
//	GOTOOLCHAIN=auto go test ./integration -run 'TestRecord' -record
package workflows
